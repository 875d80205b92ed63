// "Areas to improve" on the Management screen: return rate and CSAT per product or per
// category (schema/quality.graphqls), from the server's in-process aggregate of order
// lines and tickets; a bar chart of the weakest rows' return rates and a table. The rate
// counts returns matched to a sale to that customer; credit notes of goods not sold to
// them on record (older sales, write-offs) are a column apart.
import { useState } from 'react';
import { Bar } from 'react-chartjs-2';
import type { ProductQualityQuery as QualityData, ProductQualityQueryVariables } from '../gql/graphql';
import type { Client } from '../lib/graphql';
import { formatCsat, formatPer100, formatRate, formatUnmatched, ORDERINGS, returnRateBars, rowLabel, type QualityBy, type QualityOrderBy } from '../lib/quality';
import { ProductQualityQuery } from '../operations';
import { ReportFrame, usePolled } from './ReportFrame';

const TOP = 15;
const MIN_UNITS = 20;

export function ProductQuality({ client }: { client: Client }) {
  const [by, setBy] = useState<QualityBy>('PRODUCT');
  const [orderBy, setOrderBy] = useState<QualityOrderBy>('RETURN_RATE');
  const polled = usePolled(`quality:${by}:${orderBy}`, (signal) =>
    client<QualityData, ProductQualityQueryVariables>(ProductQualityQuery, { by, orderBy, minUnits: MIN_UNITS, first: 50 }, signal).then((d) => d.productQuality),
  );
  const what = by === 'PRODUCT' ? 'Product' : 'Category';
  return (
    <section className="product-quality" aria-label="Areas to improve">
      <header className="section-header">
        <h2>Areas to improve</h2>
        <div className="report-filters" role="group" aria-label="Areas to improve options">
          <span role="radiogroup" aria-label="Group by">
            {(['PRODUCT', 'CATEGORY'] as const).map((b) => (
              <button key={b} className={`small${by === b ? ' primary' : ''}`} aria-pressed={by === b} onClick={() => setBy(b)}>
                By {b === 'PRODUCT' ? 'product' : 'category'}
              </button>
            ))}
          </span>
          <label>
            Order by
            <select aria-label="Order by" value={orderBy} onChange={(e) => setOrderBy(e.target.value as QualityOrderBy)}>
              {ORDERINGS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </label>
        </div>
      </header>
      <ReportFrame
        label="Return rate"
        title={`Return rate, top ${TOP} (at least ${MIN_UNITS} units sold)`}
        preparingText="Loading order lines and tickets"
        polled={polled}
        empty={(d) => (d.rows.length === 0 ? `No ${what.toLowerCase()} with at least ${d.minUnits} units sold.` : null)}
        summary={(d) => (
          <div className="report-kpis">
            <span className="report-kpi">
              Orders <strong>{d.orders.toLocaleString('en')}</strong>
            </span>
            <span className="report-kpi" title={`Tickets naming an order, or within ${d.ticketWindowDays} days after the requester's last order`}>
              Tickets <strong>{d.tickets.toLocaleString('en')}</strong>
            </span>
            <span className="report-kpi">
              {what === 'Product' ? 'Products' : 'Categories'} <strong>{d.totalCount.toLocaleString('en')}</strong>
            </span>
          </div>
        )}
      >
        {(d) => {
          const bars = returnRateBars(d.rows, TOP);
          return (
            <Bar
              role="img"
              aria-label={`Return rate per ${what.toLowerCase()}`}
              data={{ labels: bars.labels, datasets: [{ label: 'Return rate (%)', data: bars.values, backgroundColor: '#c0392b' }] }}
              options={{
                indexAxis: 'y',
                maintainAspectRatio: false,
                plugins: {
                  legend: { display: false },
                  tooltip: { callbacks: { label: (c) => `${bars.rates[c.dataIndex]}% of units sold came back` } },
                },
                scales: {
                  x: {
                    min: 0,
                    max: bars.max,
                    ticks: { callback: (v) => `${v}%` },
                    title: { display: true, text: 'Units returned of a sale / units sold' },
                  },
                  y: { ticks: { autoSkip: false, font: { size: 11 } } },
                },
              }}
            />
          );
        }}
      </ReportFrame>
      {polled.data && polled.data.rows.length > 0 && (
        <p className="muted quality-note">
          Return rate counts returns of what the customer bought; credit notes placed in the period count. Unmatched returns are credit-note units
          with no earlier sale to that customer on record (older sales, write-offs, no customer) and are not in the rate.
        </p>
      )}
      {polled.data && polled.data.rows.length > 0 && (
        <table className="compact quality-table" aria-label={`${what} quality`}>
          <thead>
            <tr>
              <th scope="col">{what}</th>
              {by === 'PRODUCT' && <th scope="col">Category</th>}
              <th scope="col">Orders</th>
              <th scope="col">Sold</th>
              <th scope="col">Returned</th>
              <th scope="col">Return rate</th>
              <th
                scope="col"
                title="Credit-note units with no earlier sale of that product to that customer on record (returns of sales before the data, stock write-offs, credit notes without a customer), and the credit notes they are in. Not in the return rate."
              >
                Unmatched returns
              </th>
              <th scope="col">Net revenue</th>
              <th scope="col">Tickets / 100 orders</th>
              <th scope="col">Rated</th>
              <th scope="col">CSAT</th>
              <th scope="col">Satisfied</th>
            </tr>
          </thead>
          <tbody>
            {polled.data.rows.map((r) => (
              <tr key={r.key} data-key={r.key}>
                <th scope="row" title={r.name}>
                  {rowLabel(r, 40)}
                </th>
                {by === 'PRODUCT' && <td>{r.category}</td>}
                <td>{r.orders.toLocaleString('en')}</td>
                <td>{r.unitsSold.toLocaleString('en')}</td>
                <td>{r.unitsReturned.toLocaleString('en')}</td>
                <td data-testid="return-rate">{formatRate(r.returnRate)}</td>
                <td data-testid="unmatched-returns">{formatUnmatched(r.unmatchedReturnedUnits, r.unmatchedReturns)}</td>
                <td>{r.netRevenue.formatted}</td>
                <td>{formatPer100(r.ticketsPer100Orders)}</td>
                <td>{r.ratedTickets}</td>
                <td>{formatCsat(r.averageCsat)}</td>
                <td>{r.satisfiedShare == null ? '–' : formatRate(r.satisfiedShare)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
