// End-to-end: live chat. A shop's test page (on its own origin) embeds the widget served by
// Tessera; the visitor writes, the agent answers from the desktop frontend's inbox, and each
// sees the other's messages, in Debian's Chromium against a real server
// (scripts/desktop-test.sh sets TESSERA_E2E_SERVER_URL and TESSERA_E2E_API_KEY).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
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
const hello = `Hello (${suffix})`;
const answer = `Hi there, how can I help? (${suffix})`;
const followUp = `Where is my parcel? (${suffix})`;
const visitorEmail = `vera.${suffix}@example.com`;

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

// A shop source with a write key (the widget's data-key), and an agent for the admin key.
async function seed() {
  const source = `e2e-chat-${suffix}`;
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
  const { createWriteKey } = await gql(`mutation($s: String!) { createWriteKey(source: $s) { key } }`, { s: source });
  const { me, agents } = await gql(`{ me { id } agents { id } }`);
  if (!agents.some((a) => a.id === me.id)) {
    await gql(`mutation($input: AgentInput!) { createAgent(input: $input) { id } }`, {
      input: { apiKeyId: me.id, name: 'E2E Agent', email: `agent.chat.${suffix}@example.com` },
    });
  }
  return createWriteKey.key;
}

// The shop: a plain page on its own origin that embeds the widget with one script tag.
async function serveShop(siteKey) {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test shop</title></head>
<body><h1>Test shop</h1><p>Nice things for sale.</p>
<script src="${SERVER}/chat/widget.js" data-key="${siteKey}" data-title="Chat with us" data-email="ask" async></script>
</body></html>`;
  const server = http.createServer((req, res) => res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

describe('live chat: widget on a shop page, agent in the desktop frontend', () => {
  let browser, shop, desk, visitor, agent;
  const pageErrors = [];

  before(async () => {
    const siteKey = await seed();
    shop = await serveShop(siteKey);
    desk = await serveDist(path.resolve(here, '../dist'));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    // Two contexts: the visitor and the agent share nothing (storage, cookies).
    visitor = await (await browser.newContext({ viewport: { width: 1000, height: 800 } })).newPage();
    agent = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    for (const p of [visitor, agent]) {
      p.setDefaultTimeout(20000);
      p.on('pageerror', (e) => pageErrors.push(e));
    }
  });

  after(async () => {
    await browser?.close();
    await shop?.close();
    await desk?.close();
  });

  async function step(name, fn) {
    try {
      await fn();
    } catch (e) {
      await mkdir(ARTIFACTS, { recursive: true });
      await visitor?.screenshot({ path: path.join(ARTIFACTS, `e2e-failed-chat-${name}-visitor.png`) }).catch(() => {});
      await agent?.screenshot({ path: path.join(ARTIFACTS, `e2e-failed-chat-${name}-agent.png`) }).catch(() => {});
      throw e;
    }
  }

  test('the visitor opens the widget, leaves an e-mail and says hello', () =>
    step('visitor-hello', async () => {
      await visitor.goto(shop.url);
      await visitor.getByRole('button', { name: 'Open chat' }).click();
      const chat = visitor.getByRole('dialog', { name: 'Chat' });
      await chat.waitFor();
      // The pre-chat e-mail (data-email="ask"): recorded, the field goes away.
      await chat.getByLabel('Your e-mail').fill(visitorEmail);
      await chat.getByRole('button', { name: 'Save' }).click();
      await chat.getByText(`We reply to ${visitorEmail} if you leave.`).waitFor();
      await chat.getByLabel('Your e-mail').waitFor({ state: 'hidden' });
      await chat.getByLabel('Message').fill(hello);
      await chat.getByRole('button', { name: 'Send' }).click();
      // Delivered: the server's echo gives the message its id.
      await chat.locator('li.visitor[data-id]', { hasText: hello }).waitFor();
    }));

  test('the agent sees the chat ticket in the inbox and answers', () =>
    step('agent-answers', async () => {
      await agent.goto(desk.url);
      await agent.evaluate(([url, key]) => localStorage.setItem('tessera.desktop.settings', JSON.stringify({ serverUrl: url, apiKey: key })), [SERVER, KEY]);
      await agent.reload();
      await agent.getByRole('heading', { level: 1, name: 'All open' }).waitFor();
      const row = agent.locator('tr', { has: agent.getByRole('link', { name: `Chat: ${hello}` }) });
      await row.getByText('Chat', { exact: true }).waitFor();
      await row.getByRole('link', { name: `Chat: ${hello}` }).click();
      await agent.getByRole('heading', { level: 1, name: `Chat: ${hello}` }).waitFor();
      await agent.locator('.conversation li', { hasText: hello }).waitFor();
      // The e-mail identified the visitor: the requester's profile has it.
      await agent.getByRole('complementary', { name: 'Customer' }).getByRole('definition').filter({ hasText: visitorEmail }).waitFor();
      await agent.getByLabel('Message').fill(answer);
      await agent.getByRole('button', { name: 'Send reply' }).click();
      await agent.locator('.conversation li', { hasText: answer }).waitFor();
    }));

  test("the visitor sees the agent's answer, and the agent the visitor's next message", () =>
    step('both-see', async () => {
      const chat = visitor.getByRole('dialog', { name: 'Chat' });
      const reply = chat.locator('li.agent', { hasText: answer });
      await reply.waitFor();
      assert.match(await reply.innerText(), /E2E/, 'the agent is named by first name');
      await chat.getByLabel('Message').fill(followUp);
      await chat.getByLabel('Message').press('Enter');
      await chat.locator('li.visitor[data-id]', { hasText: followUp }).waitFor();
      // The open ticket updates live (ticketUpdated subscription).
      await agent.locator('.conversation li', { hasText: followUp }).waitFor();
      // A reload of the shop page keeps the conversation (the token is in localStorage).
      await visitor.reload();
      await visitor.getByRole('button', { name: 'Open chat' }).click();
      await visitor.getByRole('dialog', { name: 'Chat' }).locator('li.agent', { hasText: answer }).waitFor();
      await mkdir(ARTIFACTS, { recursive: true });
      await visitor.screenshot({ path: path.join(ARTIFACTS, 'e2e-chat-visitor.png') });
      await agent.screenshot({ path: path.join(ARTIFACTS, 'e2e-chat-agent.png') });
      assert.deepEqual(pageErrors, []);
    }));
});
