// Renders the evidence table to static HTML (no DOM needed) and checks what a reviewer sees.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { EvidenceTable } from './Evidence';

const evidence = [
  { field: 'last_name', left: 'Okafor', right: 'Okafor', level: 'exact', weight: 7.25 },
  { field: 'street', left: '12 High St', right: '12 High Street', level: 'close', weight: 2.5 },
  { field: 'birth_date', left: '1975-03-09', right: '1957-03-09', level: 'different', weight: -3.5 },
  { field: 'phone', left: null, right: '+4711223344', level: 'missing', weight: 0 },
];

function render(ev: typeof evidence) {
  const html = renderToStaticMarkup(createElement(EvidenceTable, { evidence: ev }));
  // Parse just enough: one entry per body row.
  const body = html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>'));
  const rows = [...body.matchAll(/<tr class="([^"]+)" data-field="([^"]+)" data-tone="([^"]+)">(.*?)<\/tr>/g)].map((m) => ({
    className: m[1],
    field: m[2],
    tone: m[3],
    cells: [...m[4].matchAll(/<t[hd][^>]*>(.*?)<\/t[hd]>/g)].map((c) => c[1].replace(/<[^>]+>/g, '')),
    bar: /width:(\d+)%/.exec(m[4])?.[1],
  }));
  return { html, rows };
}

describe('EvidenceTable', () => {
  it('shows value left, value right, level and signed weight per field', () => {
    const { rows } = render(evidence);
    expect(rows.map((r) => r.cells)).toEqual([
      ['Last name', 'Okafor', 'Okafor', 'exact', '+7.25'],
      ['Street', '12 High St', '12 High Street', 'close', '+2.50'],
      ['Birth date', '1975-03-09', '1957-03-09', 'different', '−3.50'],
      ['Phone', '—', '+4711223344', 'missing', '0.00'],
    ]);
  });

  it('colours rows by the sign of the weight and sizes the bar by its magnitude', () => {
    const { rows } = render(evidence);
    expect(rows.map((r) => [r.field, r.className, r.tone, r.bar])).toEqual([
      ['last_name', 'tone-for', 'for', '100'],
      ['street', 'tone-for', 'for', '34'],
      ['birth_date', 'tone-against', 'against', '48'],
      ['phone', 'tone-neutral', 'neutral', '0'],
    ]);
  });

  it('totals the weights in the footer, itself coloured by sign', () => {
    const { html } = render(evidence);
    expect(html).toMatch(/<tfoot><tr class="tone-for">.*Total \(log2 odds\).*\+6\.25<\/td>/);
    expect(render([{ ...evidence[2] }]).html).toMatch(/<tfoot><tr class="tone-against">/);
  });

  it('escapes values (they come from customer data)', () => {
    const { html } = render([{ field: 'street', left: '<b>x</b>', right: 'y', level: 'different', weight: -1 }]);
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(html).not.toContain('<b>x</b>');
  });

  it('says so when there is no evidence', () => {
    expect(renderToStaticMarkup(createElement(EvidenceTable, { evidence: [] }))).toContain('No field comparisons recorded.');
  });
});
