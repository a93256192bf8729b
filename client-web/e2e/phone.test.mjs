// End-to-end on phone-sized pages: the real server, 8 `tickwire-bots --behaviour fire` (a full scoreboard and a
// busy kill feed) and a Chromium page emulating a phone (360 × 640, and Playwright's iPhone 12: touch, mobile
// viewport). The stats line, the scoreboard and the kill feed must not overlap one another and must stay on
// screen, each part of the stats line whole, and no readable name of a player on screen may be cut by the
// screen's edge. A second test, on e2e/maps/view.toml (the camera follows the player), walks the phone past
// another player so that it comes on screen at one edge and leaves at the other: its name stays whole on screen.
//
// Needs Debian's chromium and built server and bots binaries (`cargo build -p tickwire-server -p tickwire-bots`).
// Run with `npm run e2e`.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { devices } from 'playwright-core';
import { joinGame, launch, state } from './browser.mjs';
import { startBots, startServer } from './server.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const RESULTS = resolve(HERE, '..', 'test-results');
const BOTS = 8;
const PHONES = [
  { label: '360x640', options: { viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } },
  { label: 'iphone12', options: devices['iPhone 12'] },
];

/** Opens the client in a phone-like context and joins (tapping the button: a touch device). */
export async function joinPhone(browser, url, name, errors, options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`[${name}] console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`[${name}] page error: ${e.message}`));
  await page.goto(url, { waitUntil: 'load', timeout: 15_000 });
  await page.fill('#name', name);
  await page.tap('#join-button');
  await page.waitForFunction(
    () => {
      const s = window.__tickwire?.state();
      return !!s && s.connected && s.you !== null && s.entities[s.you] !== undefined && s.renderTick !== null;
    },
    null,
    { timeout: 10_000 },
  );
  return page;
}

/** The HUD's boxes, the stats line's parts and the name labels. */
function measure() {
  const box = (e) => {
    const r = e.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
  };
  const stats = document.getElementById('stats');
  return {
    vw: window.innerWidth,
    vh: window.innerHeight,
    stats: box(stats),
    statsText: stats.textContent,
    parts: [...stats.querySelectorAll('.part')].map((p) => ({ ...box(p), text: p.textContent })),
    board: box(document.getElementById('scoreboard')),
    rows: document.querySelectorAll('#scoreboard tr').length,
    kills: [...document.querySelectorAll('#killfeed .kill')].map(box),
    labels: window.__tickwire.labels(),
  };
}

const EPS = 0.5;
const inside = (r, vw, vh) => r.left >= -EPS && r.top >= -EPS && r.right <= vw + EPS && r.bottom <= vh + EPS;
const within = (r, o) => r.left >= o.left - EPS && r.right <= o.right + EPS && r.top >= o.top - EPS && r.bottom <= o.bottom + EPS;
const overlap = (a, b) =>
  Math.min(a.right, b.right) - Math.max(a.left, b.left) > EPS && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > EPS;
const fmt = (r) => `[${r.left.toFixed(0)},${r.top.toFixed(0)} – ${r.right.toFixed(0)},${r.bottom.toFixed(0)}]`;

/** Every readable label of a player on screen lies within the screen's width. */
function assertLabelsOnScreen(m, where) {
  for (const l of m.labels) {
    if (l.faded || l.x < 0 || l.x > m.vw) continue;
    assert.ok(l.left >= -EPS && l.right <= m.vw + EPS, `${where}: the label "${l.text}" ${fmt(l)} is cut by the screen's edge`);
  }
}

test('phone layout: the stats line, scoreboard and kill feed do not overlap; names at the edges stay on screen', { timeout: 180_000 }, async (t) => {
  mkdirSync(RESULTS, { recursive: true });
  const server = await startServer();
  let bots;
  let browser;
  try {
    bots = startBots(server, ['--clients', String(BOTS), '--ramp', '1s', '--duration', '10m', '--behaviour', 'fire', '--decoders', '1']);
    browser = await launch();
    const errors = [];
    for (const phone of PHONES) {
      const name = 'thumbs';
      const page = await joinPhone(browser, server.url, name, errors, phone.options);
      await page.waitForFunction(
        (n) => Object.values(window.__tickwire.state().entities).filter((e) => e.kind === 0).length >= n,
        BOTS + 1,
        { timeout: 60_000, polling: 250 },
      );
      await page.waitForFunction(() => document.querySelectorAll('#killfeed .kill').length >= 1, null, { timeout: 60_000, polling: 250 });
      await page.waitForTimeout(300);
      let withKills = 0;
      for (let i = 0; i < 6; i++) {
        const m = await page.evaluate(measure);
        const where = `${phone.label} (${m.vw}×${m.vh})`;
        assert.ok(inside(m.stats, m.vw, m.vh), `${where}: the stats line ${fmt(m.stats)} is on screen`);
        assert.ok(inside(m.board, m.vw, m.vh), `${where}: the scoreboard ${fmt(m.board)} is on screen`);
        assert.ok(!overlap(m.stats, m.board), `${where}: the stats line ${fmt(m.stats)} and the scoreboard ${fmt(m.board)} do not overlap`);
        // A compact board on a phone (the top 5, the own row): it lies above the arena, not beside it.
        assert.ok(m.rows <= 1 + 5 + 2, `${where}: the scoreboard shows the top 5 and the own row (${m.rows} rows)`);
        // The whole stats line is readable: every part whole, inside the panel and the screen.
        assert.match(m.statsText, /ping .* ms · \d+ Hz · ↓ .*\/s · \d+ fps/, `${where}: ${m.statsText}`);
        assert.equal(m.parts.length, 4, `${where}: the stats line's parts`);
        for (const p of m.parts) {
          assert.ok(within(p, m.stats) && inside(p, m.vw, m.vh), `${where}: "${p.text}" ${fmt(p)} lies inside the stats line ${fmt(m.stats)}`);
          assert.ok(!overlap(p, m.board), `${where}: "${p.text}" ${fmt(p)} is not under the scoreboard`);
        }
        for (const k of m.kills) {
          assert.ok(inside(k, m.vw, m.vh), `${where}: kill-feed line ${fmt(k)} is on screen`);
          assert.ok(!overlap(k, m.stats) && !overlap(k, m.board), `${where}: kill-feed line ${fmt(k)} overlaps no panel`);
        }
        if (m.kills.length > 0) withKills++;
        assertLabelsOnScreen(m, where);
        if (i === 0) {
          t.diagnostic(`${where}: stats ${fmt(m.stats)} "${m.statsText}", scoreboard ${fmt(m.board)}, ${m.kills.length} kill lines`);
          await page.screenshot({ path: join(RESULTS, `phone-${phone.label}.png`) });
        }
        await page.waitForTimeout(300);
      }
      assert.ok(withKills > 0, `${phone.label}: the kill feed had lines`);

      await page.context().close();
    }
    assert.deepEqual(errors, [], 'no console errors');
  } catch (e) {
    console.error(server.log());
    if (bots) console.error(bots.log());
    throw e;
  } finally {
    await browser?.close().catch(() => undefined);
    await bots?.stop();
    await server.stop();
  }
});

const VIEW_MAP = join(HERE, 'maps', 'view.toml');

/**
 * Walks `page` with `key` held until the label of player `id` has its place (the player's x on screen) within
 * [lo, hi] CSS pixels; returns the labels of that frame.
 */
async function walkUntilLabelAt(page, key, id, lo, hi) {
  await page.keyboard.down(key);
  try {
    const handle = await page.waitForFunction(
      ({ id, lo, hi }) => {
        const labels = window.__tickwire.labels();
        const l = labels.find((x) => x.id === id);
        return l && l.x >= lo && l.x <= hi ? { labels, vw: window.innerWidth } : null;
      },
      { id, lo, hi },
      { timeout: 30_000, polling: 'raf' },
    );
    return await handle.jsonValue();
  } finally {
    await page.keyboard.up(key);
  }
}

test('phone, camera following the player: a name at the left or right edge of the screen stays whole on it', { timeout: 120_000 }, async (t) => {
  mkdirSync(RESULTS, { recursive: true });
  const server = await startServer({ args: ['--map', VIEW_MAP] });
  let browser;
  try {
    browser = await launch();
    const errors = [];
    const phone = await joinPhone(browser, server.url, 'thumbs', errors, PHONES[0].options);
    const other = await joinGame(browser, server.url, 'far-away-player', errors, { width: 800, height: 600 });
    const otherId = (await state(other)).you;
    await phone.waitForFunction((id) => window.__tickwire.state().entities[id] !== undefined, otherId, { timeout: 5000 });
    const s0 = await state(phone);
    const o0 = s0.entities[otherId];
    assert.ok(s0.view !== null && (await phone.evaluate(() => window.__tickwire.camera().following)), 'the camera follows');
    // Out of the other's way (a step down), then along the row towards it and past it.
    await phone.keyboard.down('KeyS');
    await phone.waitForFunction((y) => window.__tickwire.state().predicted.y >= y + 60, o0.y, { timeout: 10_000 });
    await phone.keyboard.up('KeyS');
    const towards = o0.x > s0.entities[s0.you].x ? 'KeyD' : 'KeyA';
    const vw = 360;
    // First it comes on screen at the edge ahead, then (once passed) it leaves at the one behind.
    const edges = towards === 'KeyD' ? [['right', vw - 30, vw - 2], ['left', 2, 30]] : [['left', 2, 30], ['right', vw - 30, vw - 2]];
    for (const [edge, lo, hi] of edges) {
      const m = await walkUntilLabelAt(phone, towards, otherId, lo, hi);
      const l = m.labels.find((x) => x.id === otherId);
      t.diagnostic(`at the ${edge} edge: ${JSON.stringify(l)}`);
      assert.ok(!l.faded, `the name at the ${edge} edge is readable`);
      assert.ok(l.left >= -EPS && l.right <= m.vw + EPS, `the name at the ${edge} edge ${fmt(l)} lies whole on the ${m.vw} px screen`);
      assert.ok(edge === 'right' ? l.dx < 0 : l.dx > 0, `it was moved in from the ${edge} edge (dx ${l.dx})`);
      assert.ok(l.left <= l.x + EPS && l.right >= l.x - EPS, 'and still stands over its player');
      assertLabelsOnScreen(m, `${edge} edge`);
      await phone.screenshot({ path: join(RESULTS, `phone-label-${edge}-edge.png`) });
    }
    assert.deepEqual(errors, [], 'no console errors');
  } catch (e) {
    console.error(server.log());
    throw e;
  } finally {
    await browser?.close().catch(() => undefined);
    await server.stop();
  }
});
