// Per-field evidence of a match suggestion: both values, the comparison level and its
// weight (log2 odds), coloured by the weight's sign, with a bar for its size.
import { evidenceRows, formatWeight, totalWeight, type Evidence } from '../lib/matching';

export function EvidenceTable({ evidence }: { evidence: Evidence[] }) {
  if (evidence.length === 0) return <p className="empty">No field comparisons recorded.</p>;
  const rows = evidenceRows(evidence);
  const total = totalWeight(evidence);
  return (
    <table className="evidence" aria-label="Evidence">
      <thead>
        <tr>
          <th>Field</th>
          <th>Left</th>
          <th>Right</th>
          <th>Level</th>
          <th className="num">Weight</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={`${r.field}-${i}`} className={`tone-${r.tone}`} data-field={r.field} data-tone={r.tone}>
            <th scope="row">{r.label}</th>
            <td className="value">{r.left || <span className="missing">—</span>}</td>
            <td className="value">{r.right || <span className="missing">—</span>}</td>
            <td>
              <span className="chip level">{r.level}</span>
            </td>
            <td className="num weight">
              <span className="bar" style={{ width: `${r.barPercent}%` }} aria-hidden="true" />
              <span className="weight-text">{r.weightText}</span>
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr className={`tone-${total > 0 ? 'for' : total < 0 ? 'against' : 'neutral'}`}>
          <th scope="row" colSpan={4}>
            Total (log2 odds)
          </th>
          <td className="num weight">{formatWeight(total)}</td>
        </tr>
      </tfoot>
    </table>
  );
}
