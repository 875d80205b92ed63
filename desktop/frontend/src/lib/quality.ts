// "Areas to improve" (product quality): the pure logic behind the Management screen's
// section — labels that stay legible on real catalogues (long retail names), the top
// rows of the return-rate chart and the formatting of the table's figures.

export type QualityBy = 'PRODUCT' | 'CATEGORY';
export type QualityOrderBy = 'RETURN_RATE' | 'CSAT' | 'TICKET_RATE' | 'REVENUE';

export const ORDERINGS: { value: QualityOrderBy; label: string }[] = [
  { value: 'RETURN_RATE', label: 'Return rate (highest first)' },
  { value: 'CSAT', label: 'CSAT (lowest first)' },
  { value: 'TICKET_RATE', label: 'Tickets per 100 orders (most first)' },
  { value: 'REVENUE', label: 'Net revenue (highest first)' },
];

/** The fields of a report row the section reads. */
export interface QualityRow {
  key: string;
  sku?: string | null;
  name: string;
  category: string;
  returnRate: number;
  averageCsat?: number | null;
  ticketsPer100Orders: number;
}

/** Shortens text to max characters with an ellipsis (max >= 2). */
export function truncate(text: string, max: number): string {
  const t = text.trim().replace(/\s+/g, ' ');
  if (t.length <= max) return t;
  return `${t.slice(0, Math.max(1, max - 1)).trimEnd()}…`;
}

/**
 * A row's axis label: a product's name truncated, with its SKU ("Lantern (A12)"), so two
 * products with one name stay apart; a category's name. Without a name, the SKU alone.
 */
export function rowLabel(r: QualityRow, max = 28): string {
  if (!r.sku) return truncate(r.name || r.key, max);
  const name = r.name.trim();
  if (!name || name === r.sku) return r.sku;
  return `${truncate(name, Math.max(8, max - r.sku.length - 3))} (${r.sku})`;
}

/**
 * Return rate as a percentage: 0.1234 -> "12.3%". The rate counts only returns matched to
 * a sale to that customer, so it is at most 100% over all time; over a period it can pass
 * 100% when returns of the period's credit notes are of sales before it.
 */
export function formatRate(rate: number): string {
  return `${(100 * rate).toFixed(1)}%`;
}

export function formatCsat(avg: number | null | undefined): string {
  return avg == null ? '–' : avg.toFixed(2);
}

export function formatPer100(x: number): string {
  return x.toFixed(1);
}

/** Unmatched returned units, with the credit notes they are in: "1,440 in 2", or "–". */
export function formatUnmatched(units: number, notes: number): string {
  return units === 0 ? '–' : `${units.toLocaleString('en')} in ${notes.toLocaleString('en')}`;
}

/**
 * The horizontal bar chart of the first n rows' (matched) return rates, in percent, on a
 * 0-100% axis; a rate over 100% (a period's returns of earlier sales) is drawn at 100%,
 * its true value kept in rates for the tooltip.
 */
export function returnRateBars(rows: QualityRow[], n: number): { labels: string[]; values: number[]; rates: number[]; max: number } {
  const top = rows.slice(0, Math.max(0, n));
  const rates = top.map((r) => Math.round(1000 * r.returnRate) / 10);
  return { labels: top.map((r) => rowLabel(r)), values: rates.map((v) => Math.min(100, v)), rates, max: 100 };
}
