// Parses the "payload field -> target" list typed in the new-source form,
// e.g. "email:email, mobile:phone, shop_id:customer_id".
export interface FieldMapping {
  field: string;
  target: string;
}

export function parseMappings(text: string): { mappings: FieldMapping[]; errors: string[] } {
  const mappings: FieldMapping[] = [];
  const errors: string[] = [];
  for (const part of text.split(/[,\n]/)) {
    const p = part.trim();
    if (!p) continue;
    const m = /^([^:=\s]+)\s*(?::|=|->)\s*([^:=\s]+)$/.exec(p);
    if (!m) {
      errors.push(`"${p}" is not field:target`);
      continue;
    }
    if (mappings.some((x) => x.field === m[1])) {
      errors.push(`field "${m[1]}" is mapped twice`);
      continue;
    }
    mappings.push({ field: m[1], target: m[2] });
  }
  return { mappings, errors };
}
