// End-to-end on the FULL UCI Online Retail file (issue 17): the management dashboard in
// Chromium against a server whose data directory `tessera demo -rows 0` filled, each
// figure checked against a computation here from the same CSV.
// scripts/desktop-test.sh (stage retail-full; TESSERA_DESKTOP_ONLY=retail-full runs it
// alone) loads the file, starts the server and sets TESSERA_E2E_FULL_SERVER_URL and
// TESSERA_E2E_FULL_API_KEY (an ADMIN key). Skipped when the retail file is missing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import Papa from 'papaparse';
import { chromium } from 'playwright-core';
import { serveDist } from './static-server.mjs';
import { retailFileExists } from './retail.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SERVER = process.env.TESSERA_E2E_FULL_SERVER_URL;
const KEY = process.env.TESSERA_E2E_FULL_API_KEY;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = process.env.TESSERA_ARTIFACTS ?? path.resolve(here, '../../../artifacts');
const RETAIL_FILE = process.env.TESSERA_RETAIL_FILE ?? path.resolve(here, '../../../../shared/data/retail/online_retail_2010-2011.csv.gz');

const haveFile = await retailFileExists(RETAIL_FILE);
const skip = !SERVER || !KEY ? 'needs the server scripts/desktop-test.sh starts on the full retail file (stage retail-full)' : !haveFile ? `${RETAIL_FILE} not found` : false;
if (skip) console.log(`retail-full e2e skipped: ${skip}`);

const DAY = 86400000;

// "2.55" -> 255, "0.001" -> 0, "-11062.06" -> -1106206: minor units rounded half away
// from zero, as internal/retail reads unit prices (money.RoundMinor).
function pence(s) {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(s.trim());
  if (!m) throw new Error(`retail: unit price ${s}`);
  const frac = (m[3] ?? '').padEnd(3, '0');
  const v = Number(m[2] || '0') * 100 + Number(frac.slice(0, 2)) + (Number(frac[2]) >= 5 ? 1 : 0);
  return m[1] ? -v : v;
}

// "2010-12-01 08:26:00", shop time read as UTC.
function utc(s) {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d)(?::(\d\d))?$/.exec(s.trim());
  if (!m) throw new Error(`retail: InvoiceDate ${s}`);
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] ?? 0));
}

/**
 * The invoices as internal/retail stores them: one order per InvoiceNo (an invoice the
 * file splits is one order, at the time of its first part's earliest line), GBP, the
 * total of its lines; a "C" invoice is a cancellation: a credit note when its total is
 * negative, else it counts for nothing. Invoices without a CustomerID are guest orders.
 */
async function readRetail(file, units = new Map()) {
  const invoices = new Map();
  let current = null;
  await new Promise((resolve, reject) => {
    Papa.parse(createReadStream(file).pipe(createGunzip()), {
      header: true,
      skipEmptyLines: true,
      step: ({ data: r }) => {
        const no = r.InvoiceNo.trim();
        let inv = invoices.get(no);
        if (!inv) {
          const cid = r.CustomerID.trim().replace(/\.0$/, '');
          inv = { no, customer: cid, at: utc(r.InvoiceDate), total: 0 };
          invoices.set(no, inv);
        } else if (current === inv) {
          inv.at = Math.min(inv.at, utc(r.InvoiceDate));
        }
        current = inv;
        inv.total += Number(r.Quantity) * pence(r.UnitPrice);
        inv.lines ??= [];
        inv.lines.push([r.StockCode.trim(), Number(r.Quantity)]);
      },
      complete: resolve,
      error: reject,
    });
  });
  // Units per product for "areas to improve": sold (positive quantities, in any order),
  // and returned (negative quantities, in credit notes and in the stock adjustments some
  // other invoices carry; a cancelled order's positive ones: every "C" invoice is a
  // cancellation), each matched to a sale or not.
  for (const inv of invoices.values()) {
    const cancel = inv.no.startsWith('C');
    // An order holds at most 1,000 lines: the demo folds the 1,000th line on of the one
    // longer invoice (573585) into a line "FOLDED" of quantity 1 (internal/retail foldLines).
    const lines = inv.lines.length > 1000 ? [...inv.lines.slice(0, 999), ['FOLDED', 1]] : inv.lines;
    for (const [sku, q] of lines) {
      const u = units.get(sku) ?? { sold: 0, returned: 0 };
      if (q > 0) u.sold += q;
      if (cancel && q > 0) u.returned += q;
      if (q < 0) u.returned -= q;
      units.set(sku, u);
    }
  }
  const entries = [...invoices.values()].map((inv) => {
    const cancel = inv.no.startsWith('C');
    const kind = !cancel ? 'order' : inv.total < 0 ? 'credit' : 'void';
    return { customer: inv.customer, at: inv.at, kind, net: kind === 'void' ? 0 : inv.total };
  });
  entries.sort((a, b) => a.at - b.at);
  return entries;
}

const monthKey = (ms) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
};
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const monthLabel = (key) => `${MONTHS[Number(key.slice(5)) - 1]} ${key.slice(0, 4)}`;

/** The report figures, computed from the entries as of asOf (ms). */
function expected(entries, asOf) {
  const byCustomer = new Map();
  const revenueByMonth = new Map();
  for (const e of entries) {
    if (e.at >= asOf) continue;
    if (e.kind !== 'void') revenueByMonth.set(monthKey(e.at), (revenueByMonth.get(monthKey(e.at)) ?? 0) + e.net);
    if (!e.customer) continue;
    let c = byCustomer.get(e.customer);
    if (!c) byCustomer.set(e.customer, (c = { id: e.customer, orders: 0, first: null, last: null, net: 0 }));
    c.net += e.net;
    if (e.kind === 'order') {
      c.orders++;
      c.first ??= e.at;
      c.last = e.at;
    }
  }
  const buyers = [...byCustomer.values()].filter((c) => c.orders > 0);
  const cohorts = new Map();
  for (const c of buyers) cohorts.set(monthKey(c.first), (cohorts.get(monthKey(c.first)) ?? 0) + 1);
  const band = (bands, v) => bands.find(([, lo, hi]) => v >= lo && (hi === 0 || v <= hi))[0];
  const recency = [[5, 0, 30], [4, 31, 90], [3, 91, 180], [2, 181, 365], [1, 366, 0]];
  const frequency = [[1, 1, 1], [2, 2, 2], [3, 3, 5], [4, 6, 10], [5, 11, 0]];
  const rfm = new Map();
  for (const c of buyers) {
    const k = `R${band(recency, Math.floor((asOf - c.last) / DAY))} F${band(frequency, c.orders)}`;
    const cell = rfm.get(k) ?? { customers: 0, revenue: 0 };
    cell.customers++;
    cell.revenue += c.net;
    rfm.set(k, cell);
  }
  const values = buyers.map((c) => c.net).sort((a, b) => a - b);
  const median = values[Math.max(0, Math.min(values.length - 1, Math.ceil(0.5 * values.length - 1e-9) - 1))];
  // Net revenue to date (every order): what the customer list ranks by.
  const all = [...byCustomer.values()].sort((a, b) => b.net - a.net);
  return { buyers: buyers.length, cohorts, revenueByMonth, rfm, median, top: all[0] };
}

/** "-£1,234.50" -> -123450. */
function parseGBP(text) {
  const m = /(-?)£([\d,]+\.\d\d)/.exec(text);
  assert.ok(m, `an amount in ${JSON.stringify(text)}`);
  const v = Math.round(Number(m[2].replace(/,/g, '')) * 100);
  return m[1] ? -v : v;
}
const count = (text) => Number(text.replace(/,/g, ''));

async function gql(query, variables = {}) {
  const res = await fetch(`${SERVER}/query`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors?.length) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

describe('management dashboard on the full retail file', { skip }, () => {
  let browser, desk, page, want, asOf;
  const units = new Map();
  const pageErrors = [];

  before(async () => {
    const [entries, status] = await Promise.all([readRetail(RETAIL_FILE, units), gql(`{ reportsStatus { ready orders customers defaultAsOf } }`)]);
    const st = status.reportsStatus;
    assert.equal(st.ready, true, 'the script waits for the report book');
    asOf = Date.parse(st.defaultAsOf);
    assert.equal(new Date(asOf).toISOString(), '2011-12-10T00:00:00.000Z', 'historical data: the end of its last day');
    assert.equal(st.orders, entries.length, 'every invoice is an order');
    want = expected(entries, asOf);
    console.log(`retail-full: ${entries.length} invoices, ${want.buyers} customers with orders, top customer ${want.top.id} (${want.top.net} pence)`);

    desk = await serveDist(path.resolve(here, '../dist'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(30000);
    page.on('pageerror', (e) => pageErrors.push(e));
    await page.goto(desk.url);
    await page.evaluate(([url, key]) => localStorage.setItem('tessera.desktop.settings', JSON.stringify({ serverUrl: url, apiKey: key })), [SERVER, KEY]);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'All open' }).waitFor();
    await page.getByRole('link', { name: 'Management' }).click();
    await page.getByRole('heading', { level: 1, name: 'Management' }).waitFor();
    // The whole file: from its first month.
    await page.getByLabel('From', { exact: true }).fill('2010-12-01');
  });

  after(async () => {
    await browser?.close();
    await desk?.close();
  });

  async function shot(name, locator) {
    await mkdir(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `e2e-retail-full-${name}.png`);
    if (locator) await locator.screenshot({ path: file });
    else await page.screenshot({ path: file, fullPage: true });
  }

  async function step(name, fn) {
    try {
      await fn();
    } catch (e) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page?.screenshot({ path: path.join(ARTIFACTS, `e2e-retail-full-failed-${name}.png`), fullPage: true }).catch(() => {});
      throw e;
    }
  }

  const figure = (name) => page.locator(`figure[aria-label="${name}"]`);
  const drawn = (name) =>
    page.waitForFunction((n) => document.querySelector(`figure[aria-label="${n}"]`)?.getAttribute('data-state') === 'ok', name, { timeout: 120000 });

  test('cohort sizes are the customers by month of first order', () =>
    step('cohorts', async () => {
      await drawn('Cohort retention');
      const rows = figure('Cohort retention').locator('tbody tr');
      await rows.nth(12).waitFor();
      const shown = new Map();
      for (const r of await rows.all()) {
        const label = (await r.locator('th').textContent()).trim(); // innerText is upper-cased by the style
        shown.set(label, count(await r.locator('td').first().innerText()));
      }
      const months = [...want.cohorts.keys()].sort();
      assert.equal(months.length, 13, 'Dec 2010 to Dec 2011');
      for (const m of months) assert.equal(shown.get(monthLabel(m)), want.cohorts.get(m), `cohort ${monthLabel(m)}`);
      await shot('cohorts', figure('Cohort retention'));
    }));

  test('the trend shows each month’s new customers and net revenue', () =>
    step('trend', async () => {
      // The latest whole period's figures: move "To" to the month to read.
      for (const [m, to] of [
        ['2010-12', '2010-12-20'], // the first month: every customer is new
        ['2011-03', '2011-03-15'],
        ['2011-08', '2011-08-20'], // the bad-debt adjustments (guest invoices A563185-7)
        ['2011-11', '2011-11-30'],
      ]) {
        await page.getByLabel('To', { exact: true }).fill(to);
        const kpis = figure('Customers and revenue over time').locator('[aria-label="Latest period"]');
        await kpis.getByText(`${monthLabel(m)} vs the period before:`, { exact: true }).waitFor({ timeout: 60000 });
        await drawn('Customers and revenue over time');
        const text = await kpis.innerText();
        assert.equal(count(/New customers\s+([\d,]+)/i.exec(text)[1]), want.cohorts.get(m), `${m} new customers in ${text}`);
        assert.equal(parseGBP(/Net revenue\s+(-?£[\d,.]+)/i.exec(text)[0]), want.revenueByMonth.get(m), `${m} net revenue in ${text}`);
      }
      await figure('Customers and revenue over time').locator('canvas').waitFor();
      await shot('trend', figure('Customers and revenue over time'));
    }));

  test('every RFM cell holds its customers and their net revenue', () =>
    step('rfm', async () => {
      await drawn('RFM grid');
      let total = 0;
      const cells = figure('RFM grid').locator('td.rfm-cell button');
      assert.equal(await cells.count(), 25);
      for (const b of await cells.all()) {
        const label = await b.getAttribute('aria-label');
        const m = /^(R\d F\d): ([\d,]+) customers, (.*)$/.exec(label);
        assert.ok(m, label);
        const cell = want.rfm.get(m[1]) ?? { customers: 0, revenue: 0 };
        assert.equal(count(m[2]), cell.customers, `${m[1]} customers`);
        if (cell.customers) assert.equal(parseGBP(m[3]), cell.revenue, `${m[1]} revenue`);
        total += count(m[2]);
      }
      assert.equal(total, want.buyers, 'the grid holds every customer with an order');
      await shot('rfm', figure('RFM grid'));
    }));

  test('the value distribution and the forecast render', () =>
    step('distribution-forecast', async () => {
      await drawn('Customer value distribution');
      const kpis = await figure('Customer value distribution').locator('.report-kpis').innerText();
      assert.equal(count(/Customers\s+([\d,]+)/.exec(kpis)[1]), want.buyers, kpis);
      assert.equal(parseGBP(/Median\s+(-?£[\d,.]+)/.exec(kpis)[0]), want.median, kpis);
      await figure('Customer value distribution').locator('canvas').waitFor();
      await drawn('Sales forecast');
      await figure('Sales forecast').locator('canvas').waitFor();
      assert.match(await figure('Sales forecast').locator('.report-kpis').innerText(), /Next 13 weeks £[\d,]+\.\d\d/);
      await shot('distribution', figure('Customer value distribution'));
      await shot('forecast', figure('Sales forecast'));
    }));

  test('areas to improve: every product’s units sold, and its returns matched to a sale or not', () =>
    step('quality', async () => {
      const section = page.locator('section[aria-label="Areas to improve"]');
      const rows = section.locator('table.quality-table tbody tr');
      await rows.first().waitFor({ timeout: 180000 });
      const n = await rows.count();
      assert.ok(n >= 15, `${n} products shown`);
      for (const r of await rows.all()) {
        const sku = await r.getAttribute('data-key');
        const cells = r.locator('td');
        const texts = await cells.allInnerTexts();
        const [sold, returned] = [count(texts[2]), count(texts[3])];
        const rate = Number(/([\d.]+)%/.exec(await r.locator('[data-testid="return-rate"]').innerText())[1]);
        const unmatchedText = await r.locator('[data-testid="unmatched-returns"]').innerText();
        const unmatched = unmatchedText.trim() === '–' ? 0 : count(/^([\d,]+) in/.exec(unmatchedText.trim())[1]);
        const u = units.get(sku);
        assert.ok(u, `product ${sku} is in the file`);
        assert.equal(sold, u.sold, `${sku}: units sold`);
        // Every returned unit is matched to a sale to that customer or shown as unmatched.
        assert.equal(returned + unmatched, u.returned, `${sku}: matched ${returned} + unmatched ${unmatched} = returned units`);
        assert.ok(rate <= 100 && Math.abs(rate - (100 * returned) / sold) < 0.06, `${sku}: rate ${rate}% of ${returned}/${sold}`);
      }
      await shot('quality', section);
    }));

  test('customers ranked by revenue, then by predicted value', () =>
    step('ranked', async () => {
      const section = page.locator('section[aria-label="Customers ranked"]');
      const rows = section.locator('table.ranked-table tbody tr');
      await rows.first().waitFor({ timeout: 60000 });
      const top = rows.first();
      const { customerByIdentifier: p } = await gql(`query($v: String!) { customerByIdentifier(type: "customer_id", value: $v) { id } }`, { v: want.top.id });
      assert.equal(await top.locator('a').getAttribute('href'), `#/customers/${encodeURIComponent(p.id)}`, `customer ${want.top.id} first`);
      assert.equal(parseGBP(await top.locator('td').nth(3).innerText()), want.top.net, 'their net revenue');
      await shot('ranked-revenue', section);

      // The server ranks every customer by predicted value (in the background after the fit).
      await section.getByLabel('Rank by').selectOption('PREDICTED_VALUE');
      await page.waitForFunction(() => document.querySelector('figure[aria-label="Ranked customers"]')?.getAttribute('data-state') === 'ok', null, { timeout: 120000 });
      await rows.nth(24).waitFor();
      const predicted = [];
      for (const r of await rows.all()) predicted.push(parseGBP(await r.locator('td').nth(6).innerText()));
      assert.deepEqual(predicted, [...predicted].sort((a, b) => b - a), 'highest predicted value first');
      // Every customer with an order before the as-of day is ranked.
      const caption = await section.locator('p.muted').first().innerText();
      assert.match(caption, new RegExp(`^25 of ${want.buyers.toLocaleString('en')} customers · Expected GBP value in the 90 days from 2011-12-10`), caption);
      await shot('ranked-predicted', section);
    }));

  test('the whole dashboard, and no errors', () =>
    step('dashboard', async () => {
      const alerts = await page.locator('.management [role=alert]').allTextContents();
      assert.deepEqual(alerts, [], 'no errors on the screen');
      await shot('management');
      assert.deepEqual(pageErrors.map(String), []);
    }));
});
