// End-to-end: a full server. The server runs with `--max-clients 1` and one bot takes the place. A page that opens
// then cannot get in: the server refuses its upgrade with HTTP 503 and Retry-After: 5, which Chromium reports to the
// page as a close with code 1006, the same as a server that is down. The page must ask /status, say that the
// server is full (with its counts), wait as the Retry-After says (about 5 s, not the 0.5 s after a lost connection)
// and join by itself once the bot has left.
//
// Needs Debian's chromium and a built server and bots (`cargo build -p tickwire-server -p tickwire-bots`). Run with
// `npm run e2e`.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { consoleText, state, unexpectedErrors } from './browser.mjs';
import { RESULTS, withGame } from './game.mjs';

/** The server's /status, read from Node. */
async function serverStatus(server) {
  const res = await fetch(`${server.url}status`, { signal: AbortSignal.timeout(2000) });
  assert.equal(res.status, 200);
  return res.json();
}

/** Polls /status until `done` holds. */
async function statusUntil(server, what, done, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await serverStatus(server);
    if (done(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what}: /status still says ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The status overlay as the player sees it. */
const overlay = (page) =>
  page.evaluate(() => ({
    shown: !document.getElementById('status').hidden,
    title: document.getElementById('status-title').textContent,
    text: document.getElementById('status-text').textContent,
    retry: document.getElementById('status-retry').textContent,
  }));

test('a full server: the page says so, waits its Retry-After, and joins by itself once a place is free', { timeout: 120_000 }, async (t) => {
  const botArgs = ['--clients', '1', '--duration', '10m', '--behaviour', 'idle'];
  await withGame(t, { args: ['--max-clients', '1'], bots: botArgs }, async ({ server, bots, browser }) => {
    const full = await statusUntil(server, 'the bot takes the one place', (s) => s.players === 1);
    assert.deepEqual(
      { connections: full.connections, max_clients: full.max_clients, full: full.full, retry_after: full.retry_after },
      { connections: 1, max_clients: 1, full: true, retry_after: 5 },
    );

    const errors = [];
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    page.on('console', (m) => m.type() === 'error' && errors.push(`console error: ${consoleText(m)}`));
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    await page.goto(server.url, { waitUntil: 'load', timeout: 15_000 });
    await page.fill('#name', 'latecomer');
    await page.click('#join-button');

    // Refused: the page says why, from /status.
    await page
      .waitForFunction(() => document.getElementById('status-text').textContent.startsWith('The server is full'), null, {
        timeout: 10_000,
      })
      .catch(async (e) => {
        throw new Error(`the page did not say the server is full: ${e.message}\noverlay: ${JSON.stringify(await overlay(page))}`);
      });
    const shown = await overlay(page);
    t.diagnostic(`overlay: ${JSON.stringify(shown)}`);
    assert.ok(shown.shown, 'the status overlay is shown');
    assert.equal(shown.title, 'Server full');
    assert.equal(shown.text, 'The server is full (1 of 1 players).');
    assert.match(shown.retry, /^Trying again in [3-6] s\.$/, 'the wait of the Retry-After (5 s ± 20 %)');
    const first = await state(page);
    assert.equal(first.connected, false);
    assert.deepEqual(first.lastClose.refusal, { kind: 'full', connections: 1, maxClients: 1, retryAfterS: 5 });
    assert.equal(first.lastClose.code, 1006, 'the browser saw the 503 as 1006');
    await page.screenshot({ path: join(RESULTS, 'server-full.png') });

    // Still full at the next attempt: said again, after about 5 s (a lost connection's backoff would have tried
    // three times by then).
    await page.waitForFunction(() => window.__tickwire.state().closes.filter((c) => c.refusal?.kind === 'full').length >= 2, null, {
      timeout: 15_000,
    });
    const refusals = (await state(page)).closes.filter((c) => c.code === 1006);
    const gap = refusals[1].at - refusals[0].at;
    t.diagnostic(`attempts refused ${gap} ms apart`);
    assert.equal(refusals[1].refusal?.kind, 'full', `the second attempt was refused as full too: ${JSON.stringify(refusals)}`);
    assert.ok(gap >= 3900 && gap <= 7000, `the page waited the server's Retry-After between attempts (${gap} ms)`);
    assert.match((await overlay(page)).retry, /^Trying again in ([7-9]|1[0-3]) s\.$/, 'and backs off (10 s ± 20 %)');

    // The bot leaves: the page gets in at its next attempt, by itself.
    await bots.stop();
    await statusUntil(server, 'the bot leaves', (s) => !s.full);
    await page
      .waitForFunction(
        () => {
          const s = window.__tickwire.state();
          return s.connected && s.you !== null && s.entities[s.you] !== undefined;
        },
        null,
        { timeout: 20_000 },
      )
      .catch(async (e) => {
        throw new Error(`the page did not join by itself: ${e.message}\nstate: ${JSON.stringify(await state(page).catch(() => null))}`);
      });
    assert.ok(await page.isHidden('#status'), 'the status overlay is gone once joined');
    const joined = await state(page);
    assert.equal(joined.lastClose, null);
    assert.equal((await serverStatus(server)).players, 1, 'the page is the one player');
    // Chromium logs every refused WebSocket attempt as a console error ("Unexpected response code: 503"): expected.
    assert.ok(errors.some((e) => /Unexpected response code: 503/.test(e)), `the 503s: ${errors.join('\n')}`);
    assert.deepEqual(unexpectedErrors(errors), [], 'no other console errors');
  });
});
