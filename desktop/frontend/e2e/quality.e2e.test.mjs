// End-to-end: "Areas to improve" (product quality, issue 17) in the desktop frontend, in
// Debian's Chromium against a real server (scripts/desktop-test.sh sets
// TESSERA_E2E_SERVER_URL and TESSERA_E2E_API_KEY): orders with returns and
// cancellations and tickets with CSAT are stored over GraphQL; the Management screen's
// section shows the test's categories (unique to the run, so other data on the server
// does not matter) with the return rates and unmatched returns the test computes, and a
// ticket shows its order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveDist } from './static-server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SERVER = process.env.TESSERA_E2E_SERVER_URL;
const KEY = process.env.TESSERA_E2E_API_KEY;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = process.env.TESSERA_ARTIFACTS ?? path.resolve(here, '../../../artifacts');
if (!SERVER || !KEY) throw new Error('set TESSERA_E2E_SERVER_URL and TESSERA_E2E_API_KEY (see scripts/desktop-test.sh)');

const suffix = Math.random().toString(36).replace(/[^a-z]/g, '').slice(0, 6).padEnd(6, 'q');
const source = `e2e-qual-${suffix}`;
const lamps = `E2E ${suffix} Lamps`;
const mugs = `E2E ${suffix} Mugs`;

async function gql(query, variables = {}) {
  const res = await fetch(`${SERVER}/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) throw new Error(`seed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const day = (d) => new Date(Date.now() - d * 86400000).toISOString();
// Lamps: catalogue category; mugs: the lines' own. Units: lamps sold 30 + 12 + 6, returned
// 6 (cancelled) + 9 (credit note) + 40 (a later credit note, of which only the 33 bought
// and not yet returned match a sale: 7 unmatched); mugs sold 25, returned 5 (credit note).
const orders = [
  { externalId: 'o1', status: 'PAID', placedAt: day(20), lines: [{ sku: `L${suffix}`, quantity: 30, unitPrice: '4.00' }, { sku: `M${suffix}`, quantity: 25, unitPrice: '2.50', category: mugs }] },
  { externalId: 'o2', status: 'PAID', placedAt: day(12), lines: [{ sku: `L${suffix}`, quantity: 12, unitPrice: '4.00' }] },
  { externalId: 'o3', status: 'CANCELLED', placedAt: day(10), lines: [{ sku: `L${suffix}`, quantity: 6, unitPrice: '4.00' }] },
  { externalId: 'c1', status: 'REFUNDED', placedAt: day(5), lines: [{ sku: `L${suffix}`, quantity: -9, unitPrice: '4.00' }, { sku: `M${suffix}`, quantity: -5, unitPrice: '2.50', category: mugs }] },
  { externalId: 'c2', status: 'REFUNDED', placedAt: day(3), lines: [{ sku: `L${suffix}`, quantity: -40, unitPrice: '4.00' }] },
];

// Each category's return rate and unmatched returns the way the report defines them: one
// customer, orders in time order; a credit-note line returns what is left of that SKU
// bought in orders not cancelled or refunded, the rest is unmatched.
function expectedRates() {
  const by = {};
  const left = {};
  for (const o of [...orders].sort((a, b) => a.placedAt.localeCompare(b.placedAt))) {
    const counted = o.status !== 'CANCELLED' && o.status !== 'REFUNDED';
    for (const l of o.lines) {
      const cat = l.category ?? lamps;
      const r = (by[cat] ??= { sold: 0, returned: 0, unmatched: 0, notes: 0 });
      if (l.quantity > 0) {
        r.sold += l.quantity;
        if (counted) left[l.sku] = (left[l.sku] ?? 0) + l.quantity;
        else r.returned += l.quantity;
      } else {
        const m = Math.min(-l.quantity, left[l.sku] ?? 0);
        left[l.sku] = (left[l.sku] ?? 0) - m;
        r.returned += m;
        if (-l.quantity > m) {
          r.unmatched += -l.quantity - m;
          r.notes++;
        }
      }
    }
  }
  return Object.entries(by).map(([k, r]) => ({
    cat: k,
    rate: `${((100 * r.returned) / r.sold).toFixed(1)}%`,
    unmatched: r.unmatched === 0 ? '–' : `${r.unmatched} in ${r.notes}`,
  }));
}

let ticketId;

async function seed() {
  await gql(`mutation($input: SourceInput!) { createSource(input: $input) { name } }`, {
    input: { name: source, kind: 'WEB_SHOP', identifierFields: [{ field: 'email', target: 'email' }] },
  });
  const r = await gql(`mutation($source: String!, $records: [RecordInput!]!) { ingestRecords(source: $source, records: $records) { profileIds } }`, {
    source,
    records: [{ externalId: 'c', payload: { email: `qual.${suffix}@example.com`, firstName: 'Quinn' } }],
  });
  const customer = r.ingestRecords.profileIds[0];
  await gql(`mutation($p: [ProductInput!]!) { putProducts(input: $p) }`, { p: [{ sku: `L${suffix}`, name: `Brass desk lamp with a very long catalogue name ${suffix}`, category: lamps }] });
  const o = await gql(`mutation($s: String!, $o: [OrderInput!]!) { ingestOrders(source: $s, orders: $o) { rejected rejects { reason } } }`, {
    s: source,
    o: orders.map((x) => ({ ...x, customer: { recordId: `${source}:c` }, currency: 'GBP' })),
  });
  assert.equal(o.ingestOrders.rejected, 0, JSON.stringify(o));
  // A ticket about the first order, rated 2; one without an order (the last order in 30 days), rated 5.
  for (const [orderId, score] of [[`${source}:o1`, 2], [null, 5]]) {
    const t = await gql(`mutation($c: ID!, $o: ID) { createTicket(input: {subject: "Broken lamp", body: "It arrived broken", customerId: $c, orderId: $o}) { id } }`, { c: customer, o: orderId });
    await gql(`mutation($t: ID!) { setTicketStatus(id: $t, status: SOLVED) { id } }`, { t: t.createTicket.id });
    await gql(`mutation($t: ID!, $s: Int!) { rateTicket(id: $t, score: $s) { id } }`, { t: t.createTicket.id, s: score });
    ticketId ??= t.createTicket.id;
  }
}

describe('areas to improve', () => {
  let browser, site, page;
  const pageErrors = [];

  before(async () => {
    await seed();
    site = await serveDist(path.resolve(here, '../dist'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
    page.setDefaultTimeout(30000);
    page.on('pageerror', (e) => pageErrors.push(e));
    await page.goto(site.url);
    await page.evaluate(([url, key]) => localStorage.setItem('tessera.desktop.settings', JSON.stringify({ serverUrl: url, apiKey: key })), [SERVER, KEY]);
    await page.reload();
  });

  after(async () => {
    await browser?.close();
    await site?.close();
  });

  async function step(name, fn) {
    try {
      await fn();
    } catch (e) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page?.screenshot({ path: path.join(ARTIFACTS, `e2e-failed-${name}.png`), fullPage: true }).catch(() => {});
      throw e;
    }
  }

  test('the section shows the categories with the return rates computed here', () =>
    step('quality', async () => {
      await page.goto(`${site.url}#/management`);
      await page.getByRole('heading', { level: 1, name: 'Management' }).waitFor();
      const section = page.getByRole('region', { name: 'Areas to improve' });
      await section.getByRole('heading', { name: 'Areas to improve' }).waitFor();
      await section.getByRole('img', { name: 'Return rate per product' }).waitFor();
      await section.getByRole('button', { name: 'By category' }).click();
      const table = section.getByRole('table', { name: 'Category quality' });
      const want = expectedRates();
      assert.ok(want.some((w) => w.unmatched !== '–'), 'the data has an unmatched return');
      for (const { cat, rate, unmatched } of want) {
        const row = table.locator(`tr[data-key="${cat}"]`);
        await row.waitFor();
        assert.equal((await row.getByTestId('return-rate').textContent()).trim(), rate, cat);
        assert.equal((await row.getByTestId('unmatched-returns').textContent()).trim(), unmatched, cat);
      }
      // Lamps: two tickets (one names o1; the other goes by the 30-day rule to o3, the
      // latest order that is not a credit note), CSAT (2 + 5) / 2.
      const lampsRow = table.locator(`tr[data-key="${lamps}"]`);
      assert.match(await lampsRow.textContent(), /3\.50/);
      await mkdir(ARTIFACTS, { recursive: true });
      await section.getByRole('button', { name: 'By product' }).click();
      await section.getByRole('table', { name: 'Product quality' }).waitFor();
      await section.screenshot({ path: path.join(ARTIFACTS, 'e2e-product-quality.png') });
      assert.deepEqual(pageErrors, []);
    }));

  test('a ticket shows its order', () =>
    step('ticket-order', async () => {
      await page.goto(`${site.url}#/tickets/${ticketId}`);
      const order = page.getByTestId('ticket-order');
      await order.waitFor();
      assert.match(await order.textContent(), /o1/);
      assert.match(await order.textContent(), /£182\.50/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'e2e-ticket-order.png'), fullPage: true });
    }));
});
