// Package quality answers "areas to improve" (issue 17): per product and per category,
// how often what was sold came back and how the customers who wrote in about their
// orders rated the help they got, from an in-process aggregate of order lines and
// tickets, never from a scan per request.
//
// # The figures
//
// A report covers the orders placed in [From, To] (either end open when zero). Per
// product (SKU) or per category:
//
//   - orders: orders containing it, credit notes left out;
//   - units sold: the positive quantities of its lines, in every order (cancelled and
//     refunded ones too: they were sold, then came back);
//   - units returned, of a sale: the quantities of its lines in CANCELLED or REFUNDED
//     orders (returns of their own sale), and of its negative lines (credit notes) the
//     matched units; return rate = returned / sold;
//   - unmatched returns: the rest of its negative lines' units, and the orders they are in;
//     not in the rate;
//   - net revenue in one currency (default: the one with the most orders), as in the
//     commerce ledger: a counted order's line amounts, a credit note's (negative) line
//     amounts, nothing of a voided order (cancelled with a total that is not negative);
//   - tickets attributed to orders containing it, per 100 orders, rated tickets, their
//     average CSAT and the share satisfied (4 or 5).
//
// Matching: a negative line of product P in an order of customer C placed at t returns,
// first come first served in time order, what C bought of P in counted orders (neither
// cancelled nor refunded) placed at or before t and not returned by C's earlier negative
// lines; the rest of it is unmatched (returns of sales before the data, stock write-offs,
// guests' credit notes). At one time, sales come before returns; an order's negative lines
// of one product and category are taken together, in the order they first appear. C is the
// order's owner, the live profile (merged profiles' orders move to it). Over all time a
// product's rate is at most 1. A return counts in the period in which its credit note was
// placed, wherever its sale was, so over a period the rate can pass 1.
//
// A ticket is attributed to the order it names (ticket.Ticket.OrderID), else to the
// requester's most recent order (not a credit note) placed within TicketWindowDays
// (default 30) before the ticket was created, else to none. The requester follows merge
// redirects, so a ticket of an absorbed profile finds the survivor's orders. Tickets
// merged into another ticket do not count. A ticket counts once for each product and
// category of its order.
//
// A line's category is its own (commerce.Line.Category), else the product catalogue's,
// else Uncategorised. A product's name and category are the catalogue's, else those of
// its most recently seen line.
//
// # The aggregate
//
// Per order: its id's 64-bit FNV-1a hash, time, owner, currency, kind, and per product
// a 16-byte item (product index, quantity, amount); per product its SKU, name and
// category; per ticket its requester, time, named order and score. It is built once in
// the background (one pass over orders, tickets, the catalogue and the merged
// profiles), then kept current by commerce's order observer (new, replaced, moved
// orders), the ticket store's write observer, identity's merges and splits, erasures
// and catalogue writes. While it loads a report answers Ready false. A report is one
// walk of the orders in its range and of the tickets under a read lock.
//
// The matching is kept in the aggregate: per order with a negative item, its matched
// units per item. A write marks the owners of the orders it changes (before and after)
// dirty; the next read applies the queued writes and walks again, in time order, the
// orders of the dirty owners only (a build walks every owner once). The walk depends only
// on the owner's orders as they stand, so the order in which they arrived does not matter.
package quality
