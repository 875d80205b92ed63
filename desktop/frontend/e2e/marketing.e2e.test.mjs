// End-to-end: campaigns and journeys (issue 16) in the desktop frontend, in Debian's
// Chromium against a real server (scripts/desktop-test.sh sets TESSERA_E2E_SERVER_URL and
// TESSERA_E2E_API_KEY): a campaign on a seeded segment is written, previewed for one of
// its customers and saved again; a journey with a wait and an exit is built and published.
// With TESSERA_E2E_SMTP_PORT (the port of the server's TESSERA_SMTP_HOST, plain SMTP:
// TESSERA_SMTP_TLS=none) the test listens there as the relay, sends the campaign and
// finds it in the Management screen's effectiveness section with its report's figures.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { serveDist } from './static-server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SERVER = process.env.TESSERA_E2E_SERVER_URL;
const KEY = process.env.TESSERA_E2E_API_KEY;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SMTP_PORT = Number(process.env.TESSERA_E2E_SMTP_PORT ?? 0);
const ARTIFACTS = process.env.TESSERA_ARTIFACTS ?? path.resolve(here, '../../../artifacts');
if (!SERVER || !KEY) throw new Error('set TESSERA_E2E_SERVER_URL and TESSERA_E2E_API_KEY (see scripts/desktop-test.sh)');

const suffix = Math.random().toString(36).replace(/[^a-z]/g, '').slice(0, 6).padEnd(6, 'q');
const last = `Mkt${suffix}`;
const source = `e2e-mkt-${suffix}`;
const segmentName = `Mailable ${suffix}`;
const campaignName = `Spring sale ${suffix}`;
const journeyName = `Welcome ${suffix}`;

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

// A relay that accepts every message (plain SMTP, no authentication) and counts them:
// nodemailer's smtp-server, a real protocol implementation.
function startRelay(port) {
  const relay = { messages: 0 };
  relay.server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: !!process.env.TESSERA_E2E_SMTP_LOG,
    onData(stream, _session, done) {
      stream.on('data', () => {});
      stream.on('end', () => {
        relay.messages++;
        done();
      });
    },
  });
  return new Promise((resolve, reject) => {
    relay.server.once('error', reject);
    relay.server.listen(port, '127.0.0.1', () => resolve(relay));
  });
}

// Two customers with a last name of their own, and a segment of them.
async function seed() {
  await gql(`mutation($input: SourceInput!) { createSource(input: $input) { name } }`, {
    input: { name: source, kind: 'CRM', identifierFields: [{ field: 'email', target: 'email' }] },
  });
  const r = await gql(`mutation($source: String!, $records: [RecordInput!]!) { ingestRecords(source: $source, records: $records) { rejected rejects { reason } } }`, {
    source,
    records: ['Ada', 'Ben'].map((first, i) => ({ externalId: `m-${i}`, payload: { email: `${first.toLowerCase()}.mkt.${suffix}@example.com`, firstName: first, lastName: last } })),
  });
  assert.equal(r.ingestRecords.rejected, 0, JSON.stringify(r));
  const s = await gql(`mutation($input: SegmentInput!) { createSegment(input: $input) { id } }`, {
    input: { name: segmentName, rule: { trait: { field: 'lastName', op: 'EQ', value: last } } },
  });
  return s.createSegment.id;
}

describe('campaigns and journeys', () => {
  let browser, site, page, segmentId, relay;
  const pageErrors = [];

  before(async () => {
    segmentId = await seed();
    if (SMTP_PORT) relay = await startRelay(SMTP_PORT);
    site = await serveDist(path.resolve(here, '../dist'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(20000);
    page.on('pageerror', (e) => pageErrors.push(e));
    await page.goto(site.url);
    await page.evaluate(([url, key]) => localStorage.setItem('tessera.desktop.settings', JSON.stringify({ serverUrl: url, apiKey: key })), [SERVER, KEY]);
    await page.reload();
    await page.getByRole('link', { name: 'Campaigns' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await site?.close();
    relay?.server.close();
  });

  async function shot(name) {
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `e2e-${name}.png`), fullPage: true });
  }

  async function step(name, fn) {
    try {
      await fn();
    } catch (e) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page?.screenshot({ path: path.join(ARTIFACTS, `e2e-failed-${name}.png`), fullPage: true }).catch(() => {});
      throw e;
    }
  }

  test('a campaign on a segment is written, previewed for a customer and saved', () =>
    step('campaign', async () => {
      await page.goto(`${site.url}#/campaigns`);
      await page.getByRole('heading', { level: 1, name: 'Campaigns' }).waitFor();
      await page.getByRole('link', { name: 'New campaign' }).click();
      const form = page.getByRole('form', { name: 'Campaign' });
      await form.getByLabel('Name', { exact: true }).fill(campaignName);
      await form.getByLabel('Segment', { exact: true }).locator(`option[value="${segmentId}"]`).waitFor({ state: 'attached' });
      await form.getByLabel('Segment', { exact: true }).selectOption(segmentId);
      await form.getByRole('button', { name: 'Save draft' }).click();
      // Saved: the editor of the draft, where the preview works.
      await page.getByRole('heading', { level: 1, name: `Edit ${campaignName}` }).waitFor();
      const preview = page.getByRole('complementary', { name: 'Preview' });
      await preview.getByLabel('Customer').fill(last);
      await preview.getByRole('button', { name: new RegExp(`^Ada ${last}`) }).click();
      await preview.locator('.preview-subject', { hasText: 'Hello Ada' }).waitFor();
      assert.equal(await preview.locator('iframe[title="HTML preview"]').getAttribute('sandbox'), '', 'the HTML renders sandboxed');
      await preview.frameLocator('iframe[title="HTML preview"]').getByText('Hi Ada,').waitFor();
      await preview.getByLabel('Text preview').filter({ hasText: 'Hi Ada,' }).waitFor();
      // An edit saved shows in the preview.
      await form.getByLabel('Subject').fill(`Spring for {{customer.firstName}} ${suffix}`);
      await form.getByRole('button', { name: 'Save draft' }).click();
      await page.getByRole('status').filter({ hasText: 'Draft saved.' }).waitFor();
      await preview.locator('.preview-subject', { hasText: `Spring for Ada ${suffix}` }).waitFor();
      assert.equal(await page.locator('.campaign-editor [role=alert]').count(), 0, 'no errors on the screen');
      await shot('campaign-editor');
      await page.goto(`${site.url}#/campaigns`);
      await page.locator(`tr[data-campaign="${campaignName}"]`, { hasText: segmentName }).waitFor();
    }));

  test('a journey with a wait and an exit is built and published', () =>
    step('journey', async () => {
      await page.goto(`${site.url}#/journeys`);
      await page.getByRole('heading', { level: 1, name: 'Journeys' }).waitFor();
      await page.getByRole('button', { name: 'New journey' }).click();
      const form = page.getByRole('form', { name: 'New journey' });
      await form.getByLabel('Name', { exact: true }).fill(journeyName);
      await form.getByLabel('Trigger segment').locator(`option[value="${segmentId}"]`).waitFor({ state: 'attached' });
      await form.getByLabel('Trigger segment').selectOption(segmentId);
      // The builder starts with a wait and an exit.
      await form.getByLabel('Step 1 kind').waitFor();
      assert.equal(await form.getByLabel('Step 1 kind').inputValue(), 'WAIT');
      assert.equal(await form.getByLabel('Step 2 kind').inputValue(), 'EXIT');
      await form.getByLabel('Step 1 minutes').fill('60');
      await form.getByRole('button', { name: 'Create journey' }).click();
      await page.getByRole('heading', { level: 1, name: journeyName }).waitFor();
      const flow = page.getByRole('region', { name: 'Flow' });
      await flow.locator('li[data-step="wait-1"]', { hasText: '1 hour' }).waitFor();
      await flow.locator('li[data-step="exit-1"]').waitFor();
      await flow.getByText(segmentName).waitFor();
      await page.getByRole('button', { name: 'Publish version 1' }).click();
      await page.getByTestId('journey-status').filter({ hasText: 'Active' }).waitFor();
      assert.equal(await page.locator('.journey-view [role=alert]').count(), 0, 'no errors on the screen');
      await shot('journey');
      assert.deepEqual(pageErrors, []);
    }));

  test(
    'the sent campaign shows in the effectiveness report with its report\'s figures',
    { skip: !SMTP_PORT && 'set TESSERA_E2E_SMTP_PORT (and the server\'s TESSERA_SMTP_HOST to it) to send campaigns' },
    () =>
      step('effectiveness', async () => {
        // Both customers may get marketing e-mail; the campaign goes out.
        const found = await gql(`query($q: String!) { customers(query: $q, first: 10) { edges { node { id } } } }`, { q: last });
        const ids = found.customers.edges.map((e) => e.node.id);
        assert.equal(ids.length, 2, 'the two seeded customers');
        for (const id of ids) {
          await gql(`mutation($c: ID!) { setConsent(customer: $c, channel: EMAIL, purpose: MARKETING, status: GRANTED, source: "e2e") { customerId } }`, { c: id });
        }
        const list = await gql(`{ campaigns { id name } }`);
        const campaign = list.campaigns.find((c) => c.name === campaignName);
        assert.ok(campaign, 'the campaign of the first test');
        await gql(`mutation($id: ID!) { sendCampaignNow(id: $id) { state } }`, { id: campaign.id });
        let state = 'SENDING';
        for (let i = 0; i < 120 && state === 'SENDING'; i++) {
          await new Promise((r) => setTimeout(r, 250));
          state = (await gql(`query($id: ID!) { campaign(id: $id) { state } }`, { id: campaign.id })).campaign.state;
        }
        assert.equal(state, 'SENT');
        const report = (await gql(`query($id: ID!) { campaignReport(id: $id) { sent treated { customers } } }`, { id: campaign.id })).campaignReport;
        assert.equal(report.sent, relay.messages, 'the relay got what the report counts as sent');
        assert.ok(report.sent > 0, 'something was sent');

        await page.goto(`${site.url}#/management`);
        await page.getByRole('heading', { level: 1, name: 'Management' }).waitFor();
        const section = page.getByRole('region', { name: 'Campaign and journey effectiveness' });
        await section.waitFor();
        const row = section.locator(`tr[data-effectiveness="campaign:${campaignName}"]`);
        // The row is the snapshot of the report: recompute until it has caught up.
        let sent = null;
        for (let i = 0; i < 10; i++) {
          if ((await row.count()) > 0) sent = (await row.locator('td[data-col="sent"]').textContent())?.trim();
          if (sent === String(report.sent)) break;
          await section.getByRole('button', { name: 'Recompute now' }).click();
          await section.getByRole('button', { name: 'Recompute now' }).waitFor({ timeout: 30000 });
        }
        assert.equal(sent, String(report.sent), 'the row shows the report\'s sent count');
        assert.equal(await section.locator('[role=alert]').count(), 0, 'no errors in the section');
        await section.scrollIntoViewIfNeeded();
        await mkdir(ARTIFACTS, { recursive: true });
        await section.screenshot({ path: path.join(ARTIFACTS, 'e2e-marketing-effectiveness.png') });
        assert.deepEqual(pageErrors, []);
      }),
  );
});
