// Loads a slice of the UCI Online Retail file (the data `tessera demo` loads) through
// GraphQL: every invoice of the customers whose id is a multiple of `every`, so the slice
// spans the whole year (2010-12-01 to 2011-12-09) with real ordering patterns. Mirrors
// internal/retail: GBP, "C" invoices are cancellations (credit notes), prices rounded to
// the penny, guests and adjustments ("A"/"B" invoices) left out.
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import Papa from 'papaparse';

export async function retailFileExists(file) {
  return access(file).then(
    () => true,
    () => false,
  );
}

// "2010-12-01 08:26:00" (UTC, as internal/retail reads it) -> ISO 8601.
function isoTime(s) {
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d)(:\d\d)?$/.exec(s.trim());
  if (!m) throw new Error(`retail: unexpected InvoiceDate ${s}`);
  return `${m[1]}T${m[2]}${m[3] ?? ':00'}Z`;
}

async function readInvoices(file, every) {
  const invoices = new Map();
  const stream = createReadStream(file).pipe(createGunzip());
  await new Promise((resolve, reject) => {
    Papa.parse(stream, {
      header: true,
      skipEmptyLines: true,
      step: ({ data: r }) => {
        const cid = r.CustomerID ? String(Math.round(Number(r.CustomerID))) : '';
        if (!cid || Number(cid) % every !== 0 || !/^C?\d/.test(r.InvoiceNo)) return;
        let inv = invoices.get(r.InvoiceNo);
        if (!inv) {
          inv = { no: r.InvoiceNo, customer: cid, country: r.Country, at: isoTime(r.InvoiceDate), lines: [] };
          invoices.set(r.InvoiceNo, inv);
        }
        inv.lines.push({ sku: r.StockCode, description: r.Description || undefined, quantity: Number(r.Quantity), unitPrice: Number(r.UnitPrice).toFixed(2) });
      },
      complete: resolve,
      error: reject,
    });
  });
  return [...invoices.values()];
}

/** Returns { customers, orders } loaded. */
export async function loadRetailSlice(gql, { file, every, source }) {
  const invoices = await readInvoices(file, every);
  await gql(`mutation($input: SourceInput!) { createSource(input: $input) { name } }`, {
    input: {
      name: source,
      kind: 'WEB_SHOP',
      priority: 3,
      identifierFields: [{ field: 'customer_id', target: 'customer_id' }],
      traitFields: [{ field: 'country', target: 'attributes.country' }],
    },
  });
  // A customer's country is that of their first invoice, as internal/retail keeps it.
  const customers = new Map();
  for (const inv of invoices) if (!customers.has(inv.customer)) customers.set(inv.customer, inv.country);
  const records = [...customers].map(([id, country]) => ({ externalId: id, payload: { customer_id: id, country } }));
  for (let i = 0; i < records.length; i += 500) {
    const d = await gql(`mutation($source: String!, $records: [RecordInput!]!) { ingestRecords(source: $source, records: $records) { rejected rejects { reason } } }`, {
      source,
      records: records.slice(i, i + 500),
    });
    if (d.ingestRecords.rejected) throw new Error(`retail customers rejected: ${JSON.stringify(d.ingestRecords.rejects.slice(0, 3))}`);
  }
  const orders = invoices.map((inv) => ({
    externalId: inv.no,
    customer: { recordId: `${source}:${inv.customer}` },
    status: inv.no.startsWith('C') ? 'CANCELLED' : 'PAID',
    currency: 'GBP',
    placedAt: inv.at,
    lines: inv.lines.slice(0, 1000),
  }));
  let written = 0;
  for (let i = 0; i < orders.length; i += 200) {
    const d = await gql(`mutation($source: String!, $orders: [OrderInput!]!) { ingestOrders(source: $source, orders: $orders) { written rejected rejects { reason } } }`, {
      source,
      orders: orders.slice(i, i + 200),
    });
    if (d.ingestOrders.rejected) throw new Error(`retail orders rejected: ${JSON.stringify(d.ingestOrders.rejects.slice(0, 3))}`);
    written += d.ingestOrders.written;
  }
  return { customers: customers.size, orders: written };
}
