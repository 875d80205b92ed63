// End-to-end: the admin screens (issues 17, 18) in Debian's Chromium against a real server
// (scripts/desktop-test.sh sets TESSERA_E2E_SERVER_URL and TESSERA_E2E_API_KEY, an ADMIN key):
// an AGENT key created, listed and revoked, its creation in the audit trail, a write key
// for a tracking source, and the admin edits (issue 17): an agent and a macro edited and
// deleted, a source's mapping edited, and those actions in the audit trail.
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
const keyName = `e2e-agent-${suffix}`;
const source = `e2e-track-${suffix}`;
const agentName = `E2E Agent ${suffix}`;
const macroName = `E2E macro ${suffix}`;

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

describe('admin: API keys, audit trail, write keys', () => {
  let browser, desk, page;
  const pageErrors = [];

  before(async () => {
    // A tracking source: write keys need userId and anonymousId mapped as identifiers.
    await gql(`mutation($input: SourceInput!) { createSource(input: $input) { name } }`, {
      input: {
        name: source,
        kind: 'WEB_SHOP',
        identifierFields: [
          { field: 'userId', target: 'customer_id' },
          { field: 'anonymousId', target: 'anonymous_id' },
        ],
      },
    });
    // An agent (an AGENT key registered) and a macro to edit and delete.
    const created = await gql(`mutation($n: String!) { createApiKey(name: $n, role: AGENT) { apiKey { id } } }`, { n: `e2e-desk-${suffix}` });
    await gql(`mutation($in: AgentInput!) { createAgent(input: $in) { id } }`, {
      in: { apiKeyId: created.createApiKey.apiKey.id, name: agentName, email: `agent-${suffix}@example.com` },
    });
    await gql(`mutation($in: MacroInput!) { createMacro(input: $in) { id } }`, { in: { name: macroName, body: 'Hello {{customer.firstName}}' } });
    desk = await serveDist(path.resolve(here, '../dist'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15000);
    page.on('pageerror', (e) => pageErrors.push(e));
    await page.goto(desk.url);
    await page.evaluate(([url, key]) => localStorage.setItem('tessera.desktop.settings', JSON.stringify({ serverUrl: url, apiKey: key })), [SERVER, KEY]);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'All open' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await desk?.close();
  });

  async function shot(name) {
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `e2e-${name}.png`), fullPage: true });
  }

  // Waits until the audit list shows entries of action and only those: the list on the
  // screen before the filter applies holds others (a count right after the click races it).
  async function onlyAction(action) {
    await page.waitForFunction(
      (a) => {
        const items = [...document.querySelectorAll('ol.audit li')];
        return items.length > 0 && items.every((li) => li.getAttribute('data-action') === a);
      },
      action,
      { timeout: 15000 },
    );
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

  test('an AGENT key is created (shown once), listed and revoked', () =>
    step('admin-keys', async () => {
      await page.getByRole('link', { name: 'Admin', exact: true }).click();
      await page.getByRole('heading', { level: 1, name: 'Admin' }).waitFor();
      const form = page.getByRole('form', { name: 'New API key' });
      await form.getByLabel('Key name').fill(keyName);
      await form.getByLabel('Role').selectOption('AGENT');
      await form.getByRole('button', { name: 'Create key' }).click();
      const secret = page.getByTestId('api-key');
      await secret.waitFor();
      assert.ok((await secret.innerText()).trim().length >= 16, 'the key is shown');
      const row = page.locator('tr', { hasText: keyName });
      await row.getByText('AGENT', { exact: true }).waitFor();
      await shot('admin-keys');
      await page.getByRole('button', { name: 'I have stored it' }).click();
      await secret.waitFor({ state: 'detached' });
      await row.getByRole('button', { name: `Revoke ${keyName}` }).click();
      await page.getByRole('dialog', { name: 'Revoke API key?' }).getByRole('button', { name: 'Revoke' }).click();
      // Revoked keys are hidden unless asked for.
      await row.waitFor({ state: 'detached' });
      await page.getByLabel(/Show \d+ revoked/).check();
      await row.getByText(/revoked/).waitFor();
    }));

  test('an event webhook is refused without events, created with its secret shown once, then deleted', () =>
    step('admin-webhooks', async () => {
      await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Webhooks' }).click();
      const form = page.getByRole('form', { name: 'New webhook' });
      // Loopback: allowed by the server's -webhook-allow (the script passes it); nothing listens.
      const url = `http://127.0.0.1:9/tessera-e2e-${Date.now()}`;
      await form.getByLabel('Endpoint URL').fill(url);
      await form.getByRole('button', { name: 'Create webhook' }).click();
      await page.getByRole('region', { name: 'Webhooks' }).getByRole('alert').filter({ hasText: 'Pick at least one event.' }).waitFor();
      await form.getByLabel('Ticket changed').check();
      await form.getByRole('button', { name: 'Create webhook' }).click();
      await page.getByTestId('event-webhook-secret').waitFor();
      const list = page.getByRole('table', { name: 'Webhooks list' });
      await list.getByRole('cell', { name: url, exact: true }).waitFor();
      await list.getByRole('button', { name: `Delete webhook ${url}` }).click();
      await page.getByRole('dialog', { name: 'Delete webhook?' }).getByRole('button', { name: 'Delete' }).click();
      await list.getByRole('cell', { name: url, exact: true }).waitFor({ state: 'detached' });
      const { webhooks } = await gql(`{ webhooks { url } }`);
      assert.ok(!webhooks.some((w) => w.url === url), 'the webhook is gone on the server');
    }));

  test('the audit trail has the createApiKey entry with its redacted change', () =>
    step('admin-audit', async () => {
      await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Audit trail' }).click();
      const filters = page.getByRole('form', { name: 'Audit filters' });
      await filters.getByLabel('Action').fill('createApiKey');
      await filters.getByRole('button', { name: 'Apply filters' }).click();
      await onlyAction('createApiKey');
      const entry = page.locator('ol.audit li[data-action="createApiKey"]').first();
      await entry.locator('summary').click();
      await entry.getByTestId('audit-change').filter({ hasText: '"role": "AGENT"' }).waitFor();
      await shot('admin-audit');
    }));

  test('a write key of a source is shown once with the SDK snippet', () =>
    step('sources-write-key', async () => {
      await page.getByRole('link', { name: 'Sources' }).click();
      await page.getByRole('button', { name: `Write keys of ${source}` }).click();
      const panel = page.getByRole('region', { name: `Write keys of ${source}` });
      await panel.getByText('No write keys yet.').waitFor();
      await panel.getByRole('button', { name: 'Create write key' }).click();
      const key = panel.getByTestId('write-key');
      await key.waitFor();
      const value = (await key.innerText()).trim();
      assert.ok(value.length >= 16, 'the key is shown');
      const snippet = await panel.getByTestId('segment-snippet').innerText();
      assert.ok(snippet.includes(value) && snippet.includes(`host: '${SERVER.replace(/\/+$/, '')}'`), snippet);
      await panel.getByRole('table', { name: 'Write keys' }).getByText('active').waitFor();
      await shot('sources-write-key');
    }));

  test('an agent and a macro are edited, then deleted behind a confirmation', () =>
    step('admin-edits', async () => {
      await page.getByRole('link', { name: 'Admin', exact: true }).click();
      await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Help desk setup' }).click();
      const agents = page.getByRole('region', { name: 'Agents' });
      await agents.getByRole('button', { name: `Edit agent ${agentName}` }).click();
      const form = agents.getByRole('form', { name: `Edit agent ${agentName}` });
      await form.getByLabel('Agent name').fill(`${agentName} renamed`);
      await form.getByRole('button', { name: 'Save agent' }).click();
      await agents.getByRole('cell', { name: `${agentName} renamed`, exact: true }).waitFor();
      await shot('admin-agent-edited');
      await agents.getByRole('button', { name: `Delete agent ${agentName} renamed` }).click();
      const dialog = page.getByRole('dialog', { name: `Delete agent ${agentName} renamed?` });
      await dialog.getByRole('button', { name: 'Delete agent' }).click();
      await page.getByRole('status').filter({ hasText: `${agentName} renamed deleted; 0 open ticket(s) unassigned.` }).waitFor();
      // The list reloads after the notice: the agent's row goes.
      await agents.getByRole('cell', { name: `${agentName} renamed`, exact: true }).waitFor({ state: 'detached' });

      const macros = page.getByRole('region', { name: 'Macros' });
      await macros.getByRole('button', { name: `Edit macro ${macroName}` }).click();
      const mform = macros.getByRole('form', { name: `Edit macro ${macroName}` });
      await mform.getByLabel('Macro name').fill(`${macroName} v2`);
      await mform.getByLabel('Sets ticket state').selectOption('SOLVED');
      await mform.getByRole('button', { name: 'Save macro' }).click();
      const item = macros.locator('li', { hasText: `${macroName} v2` });
      await item.getByText('status → Solved').waitFor();
      await shot('admin-macro-edited');
      await macros.getByRole('button', { name: `Delete macro ${macroName} v2` }).click();
      await page.getByRole('dialog', { name: `Delete macro ${macroName} v2?` }).getByRole('button', { name: 'Delete macro' }).click();
      await item.waitFor({ state: 'detached' });
    }));

  test("a source's kind, priority and mappings are edited", () =>
    step('sources-edit', async () => {
      await page.getByRole('link', { name: 'Sources' }).click();
      await page.getByRole('button', { name: `Edit source ${source}` }).click();
      const form = page.getByRole('form', { name: `Edit source ${source}` });
      const ids = form.getByLabel('Identifier fields');
      await ids.waitFor();
      assert.equal(await ids.inputValue(), 'anonymousId:anonymous_id, userId:customer_id');
      await form.getByLabel('Kind').selectOption('CRM');
      await form.getByLabel('Priority').fill('4');
      await ids.fill('anonymousId:anonymous_id, userId:customer_id, mail:email');
      await form.getByLabel('Trait fields').fill('given:firstName');
      await form.getByRole('button', { name: 'Save source' }).click();
      await form.waitFor({ state: 'detached' });
      const row = page.locator(`tr[data-source="${source}"]`);
      await row.getByText('mail → email').waitFor();
      await row.getByText('CRM', { exact: true }).waitFor();
      await shot('sources-edited');
      // The server has it, with the trait mapping.
      const d = await gql(`{ sources { name priority revision ownTraitFields { field target } } }`);
      const s = d.sources.find((x) => x.name === source);
      assert.deepEqual([s.priority, s.revision, s.ownTraitFields], [4, 1, [{ field: 'given', target: 'firstName' }]]);
    }));

  test('the audit trail lists the edits', () =>
    step('admin-audit-edits', async () => {
      await page.getByRole('link', { name: 'Admin', exact: true }).click();
      await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Audit trail' }).click();
      const filters = page.getByRole('form', { name: 'Audit filters' });
      for (const action of ['updateAgent', 'deleteAgent', 'updateMacro', 'deleteMacro', 'updateSource']) {
        await filters.getByLabel('Action').fill(action);
        await filters.getByRole('button', { name: 'Apply filters' }).click();
        await onlyAction(action);
      }
      const entry = page.locator('ol.audit li[data-action="updateSource"]').first();
      await entry.getByText(source).first().waitFor();
      await shot('admin-audit-edits');
    }));

  test('no uncaught errors in the page', () => assert.deepEqual(pageErrors.map(String), []));
});
