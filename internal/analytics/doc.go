// Package analytics answers the management reports and forecasts (issue 17) from an
// in-process book of order history, never from a scan per request.
//
// The package is the Service and the reports; the book is package orderbook and the
// customer-value models with the ranking by them package valuemodel (the Service runs
// its loop and answers through it).
//
// # The book
//
// Book (package orderbook) holds, per live profile, its orders (time, what the order
// contributed as in the commerce ledger, currency, source) and its country, and the
// guest orders apart: a 32-byte entry an order, its place in the id index and the
// customer's share, about 100 bytes an order in all (measured 104 with 100,000
// customers and 500,000 orders: 52 MB; BenchmarkReports). It is built once in the
// background at start (one pass over the orders, one over the profiles' countries) and
// kept current by the writes: commerce's order observer (new, replaced and moved
// orders), identity's change hook (the country of changed profiles is read again by
// _id, in the background, for those with orders) and erasures (the orders become guest
// orders, as in the database). While it loads every report answers Ready false and no
// figures. Where several instances write one database (MongoDB) each hears only its own
// writes, so the book is rebuilt now and then (Service.RebuildEvery).
//
// Order ids are kept as 64-bit FNV-1a hashes: two ids that collide (a chance of about
// 10⁻⁶ with ten million orders) would count as one order.
//
// # The figures
//
// Every report sees the orders placed before its as-of date (default: now, or, when the
// newest order is more than 30 days old — historical data such as the retail demo, which
// ends on 2011-12-09 — the end of that order's day), optionally only those of one source
// and of customers of one country (the profile's `country` attribute). Counted orders,
// credit notes and voided orders are as in commerce's ledger (package ledger): revenue is
// net, orders less credit notes. Amounts are reported in one currency, by default the one
// with the most orders; orders in other currencies count as orders and customers but not
// as revenue, since the code has no exchange-rate rule (ledger keeps them apart too).
//
//   - Trend: per day, ISO week or month, new, active, returning and churned customers
//     (churned: ChurnDays without an order passed during the period), counted orders and
//     net revenue, each with its change from the previous period.
//   - Cohorts: customers by the month of their first order, the share of each cohort
//     that ordered in each following month, and its net revenue.
//   - RFM: customers in fixed recency and frequency bands (RecencyBands,
//     FrequencyBands) with their net revenue, and a cell's customers by revenue.
//   - ValueDistribution: quantiles and a 1-2-5 histogram of customers' net revenue.
//   - PredictedValue and Model (package valuemodel): BG/NBD and Gamma-Gamma (package
//     forecast) fitted in the background on the book's orders before the as-of day; a
//     customer's expected purchases, value and probability of being alive over a
//     horizon, with the summary they come from.
//   - SalesForecast: weekly orders and revenue by damped-trend smoothing, with a
//     prediction interval, and the weekly history it was fitted on.
//
// # How each report scales
//
// In process every report is one walk of the book under a read lock, O(orders held) —
// 50 to 110 ms per 500,000 orders on two busy cores — plus, for a cell's drill-down, a
// sort of the cell and one _id read per customer of the page; nothing reads the database
// per request. A model fit takes about 40 s on 100,000 customers, in the background. On a
// real MongoDB the same figures could come from the database (each function's comment
// says how): aggregations over all orders per request for the trend, the cohorts and
// the weekly sales series (O(orders) on the server each time), and over the
// customer_metrics documents, which commerce keeps on write, for the RFM grid and the
// value distribution as of now (O(customers)). The book is kept on MongoDB too because
// it answers every as-of date and scope from the same data in milliseconds; its cost is
// the memory above and the periodic rebuild.
package analytics
