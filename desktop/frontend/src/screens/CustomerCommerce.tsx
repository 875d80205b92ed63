// Customer 360: value metrics, orders and the timeline (orders, interactions and ticket
// activity). Loaded apart from the profile so a slow timeline does not hold it up.
import { useCallback, useEffect, useState } from 'react';
import type { CustomerCommerceQuery as CommerceData, CustomerCommerceQueryVariables } from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import { formatTime } from '../lib/provenance';
import { enumLabel } from '../lib/tickets';
import { describeTimelineItem, type TimelineItem } from '../lib/timeline';
import { CustomerCommerceQuery } from '../operations';
import { href } from '../routes';

type Commerce = NonNullable<CommerceData['customer']>;

export function CustomerCommerce({ id, client }: { id: string; client: Client }) {
  const [data, setData] = useState<Commerce | null>(null);
  const [timeline, setTimeline] = useState<TimelineItem[]>([]);
  const [more, setMore] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (after: string | null) => {
      try {
        const d = await client<CommerceData, CustomerCommerceQueryVariables>(CustomerCommerceQuery, { id, timelineAfter: after });
        if (!d.customer) return;
        const tl = d.customer.timeline;
        setData(d.customer);
        setTimeline((cur) => [...(after ? cur : []), ...tl.edges.map((e) => e.node)]);
        setMore(tl.pageInfo.hasNextPage ? tl.pageInfo.endCursor : null);
      } catch (e) {
        setError(errorMessage(e));
      }
    },
    [client, id],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  if (error)
    return (
      <p className="error" role="alert">
        Metrics, orders and timeline: {error}
      </p>
    );
  if (!data) return <p className="loading">Loading metrics and timeline…</p>;
  return (
    <>
      <Metrics m={data.metrics} />
      <Orders orders={data.orders} />
      <section aria-labelledby="timeline-h">
        <h2 id="timeline-h">Timeline</h2>
        {timeline.length === 0 ? (
          <p className="empty">Nothing yet.</p>
        ) : (
          <ol className="timeline" aria-label="Timeline">
            {timeline.map((it) => (
              <li key={`${it.kind}-${it.id}-${it.type}-${it.at}`} className={`kind-${it.kind.toLowerCase()}`}>
                <span className="muted">{formatTime(it.at)}</span>{' '}
                {it.kind === 'TICKET' && it.ticket ? <a href={href({ name: 'ticket', id: it.ticket.id })}>{describeTimelineItem(it)}</a> : <span>{describeTimelineItem(it)}</span>}
              </li>
            ))}
          </ol>
        )}
        {more && (
          <button className="more" onClick={() => load(more)}>
            Older entries
          </button>
        )}
      </section>
    </>
  );
}

function Metrics({ m }: { m: Commerce['metrics'] }) {
  const rows: [string, string][] = [
    ['Net revenue (CLV to date)', m.revenue?.formatted ?? '—'],
    ['Orders', `${m.orderCount}${m.cancellationCount ? ` (+${m.cancellationCount} cancelled/refunded)` : ''}`],
    ['Average order', m.averageOrderValue?.formatted ?? '—'],
    ['Returns', m.returns?.formatted ?? '—'],
    ['Interactions', String(m.interactionCount)],
    ['First / last order', m.firstOrderAt ? `${formatTime(m.firstOrderAt)} / ${formatTime(m.lastOrderAt!)}` : '—'],
    ['Last seen', m.lastSeenAt ? formatTime(m.lastSeenAt) : '—'],
    ['RFM', m.rfm ? `R${m.rfm.recency} F${m.rfm.frequency} M${m.rfm.monetary}` : 'not scored yet'],
    [
      'Churn risk',
      m.churnRisk.basis === 'NONE'
        ? '—'
        : `${Math.round(m.churnRisk.score * 100)}% (${Math.round(m.churnRisk.daysSinceLastOrder)} days since last order, usual gap ${Math.round(m.churnRisk.meanIntervalDays)})`,
    ],
  ];
  if (m.otherCurrencies.length) rows.push(['Other currencies', m.otherCurrencies.map((x) => x.formatted).join(', ')]);
  return (
    <section aria-labelledby="metrics-h">
      <h2 id="metrics-h">Value</h2>
      <dl className="facts metrics">
        {rows.map(([k, v]) => (
          <div key={k} className="fact">
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

function Orders({ orders }: { orders: Commerce['orders'] }) {
  return (
    <section aria-labelledby="orders-h">
      <h2 id="orders-h">
        Orders <span className="muted">{orders.pageInfo.hasNextPage ? '(10 newest)' : `(${orders.edges.length})`}</span>
      </h2>
      {orders.edges.length === 0 ? (
        <p className="empty">No orders.</p>
      ) : (
        <table className="orders">
          <thead>
            <tr>
              <th>Order</th>
              <th>Placed</th>
              <th>Status</th>
              <th>Channel</th>
              <th className="num">Total</th>
            </tr>
          </thead>
          <tbody>
            {orders.edges.map(({ node: o }) => (
              <tr key={o.id}>
                <td>
                  <details>
                    <summary className="mono">{o.id}</summary>
                    <ul>
                      {o.lines.map((l, i) => (
                        <li key={i}>
                          {l.quantity} × {l.description ?? l.sku} <span className="muted">{l.amount.formatted}</span>
                        </li>
                      ))}
                    </ul>
                  </details>
                </td>
                <td>{formatTime(o.placedAt)}</td>
                <td>{enumLabel(o.status)}</td>
                <td>{o.channel}</td>
                <td className="num">{o.total.formatted}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
