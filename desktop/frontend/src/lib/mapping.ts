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

/** Mappings as the form's text: "email:email, mobile:phone". */
export function formatMappings(ms: readonly FieldMapping[]): string {
  return ms.map((m) => `${m.field}:${m.target}`).join(', ');
}

export interface SourceEditForm {
  kind: string;
  priority: number;
  identifiers: string;
  /** The source's own trait mappings; empty = the default names only. */
  traits: string;
}

/**
 * updateSource's input from the edit form: the identifier and trait mappings parsed as
 * the new-source form parses them, and the revision the form was loaded at (the server
 * answers CONFLICT if the source changed since). Errors are the parser's, and a source
 * needs an identifier mapping.
 */
export function sourceUpdateInput(
  f: SourceEditForm,
  revision: number,
): { input: { kind: string; priority: number; identifierFields: FieldMapping[]; traitFields: FieldMapping[]; expectedRevision: number } | null; errors: string[] } {
  const ids = parseMappings(f.identifiers);
  const traits = parseMappings(f.traits);
  const errors = [...ids.errors.map((e) => `identifiers: ${e}`), ...traits.errors.map((e) => `traits: ${e}`)];
  if (!ids.errors.length && ids.mappings.length === 0) errors.push('map at least one payload field to an identifier type');
  if (errors.length) return { input: null, errors };
  return { input: { kind: f.kind, priority: f.priority, identifierFields: ids.mappings, traitFields: traits.mappings, expectedRevision: revision }, errors };
}
