// The order a ticket is about (product quality attributes the ticket to it): its number,
// date and total, and for agents a field to name another or clear it.
import { useEffect, useState } from 'react';
import type { SetTicketOrderMutation as SetData, SetTicketOrderMutationVariables, TicketOrderQuery as OrderData, TicketOrderQueryVariables } from '../gql/graphql';
import { errorMessage, type Client } from '../lib/graphql';
import { formatTime } from '../lib/provenance';
import { SetTicketOrderMutation, TicketOrderQuery } from '../operations';

type Order = NonNullable<NonNullable<OrderData['ticket']>['order']>;

export function TicketOrder({ ticketId, client, canWork }: { ticketId: string; client: Client; canWork: boolean }) {
  const [order, setOrder] = useState<Order | null>(null);
  const [input, setInput] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const ac = new AbortController();
    client<OrderData, TicketOrderQueryVariables>(TicketOrderQuery, { id: ticketId }, ac.signal)
      .then((d) => setOrder(d.ticket?.order ?? null))
      .catch((e) => !ac.signal.aborted && setError(errorMessage(e)));
    return () => ac.abort();
  }, [ticketId]);
  const save = async (orderId: string | null) => {
    setBusy(true);
    setError(null);
    try {
      const d = await client<SetData, SetTicketOrderMutationVariables>(SetTicketOrderMutation, { id: ticketId, orderId });
      setOrder(d.setTicketOrder.order ?? null);
      setInput('');
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="ticket-order" aria-label="Order">
      {order ? (
        <p className="muted" data-testid="ticket-order">
          Order <span className="mono">{order.externalId}</span> · {formatTime(order.placedAt)} · {order.total.formatted}
          {canWork && (
            <button className="small" disabled={busy} onClick={() => void save(null)}>
              Clear
            </button>
          )}
        </p>
      ) : (
        <p className="muted">No order named (the report takes the customer's last order within 30 days).</p>
      )}
      {canWork && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (input.trim()) void save(input.trim());
          }}
        >
          <input aria-label="Order id" placeholder="source:order number" value={input} onChange={(e) => setInput(e.target.value)} />
          <button className="small" type="submit" disabled={busy || !input.trim()}>
            Set order
          </button>
        </form>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
