// End-to-end: the HUD's layout with many players. The real server, 40 `tickwire-bots --behaviour fire` (they
// shoot each other, so the kill feed fills) and one Chromium page at small viewports (800 × 600, 1000 × 700).
// The scoreboard must stay inside the viewport and show every row it lays out whole (the top ranks and the local
// player's own row, usually below them here: the page does not shoot), must not cover much of the screen, and must
// never overlap the kill feed.
//
// Needs Debian's chromium and built server and bots binaries (`cargo build -p tickwire-server -p tickwire-bots`;
// the bots are looked for next to the server, or at $TICKWIRE_BOTS_BIN). Run with `npm run e2e`.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { joinGame, launch } from './browser.mjs';
import { startBots, startServer } from './server.mjs';

const RESULTS = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'test-results');
const BOTS = 40;
const VIEWPORTS = [
  { width: 800, height: 600 },
  { width: 1000, height: 700 },
];
/** The most of the viewport's area the scoreboard may cover. */
const MAX_SCOREBOARD_AREA = 0.15;
/** Samples per viewport, one per HUD refresh or so: the kill feed and the ranks change all the time. */
const SAMPLES = 8;

/** Everything the layout checks need, measured in the page. */
function measure() {
  const box = (e) => {
    const r = e.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height };
  };
  const board = document.getElementById('scoreboard');
  const rows = [...board.querySelectorAll('tr')];
  const me = board.querySelector('tr.me');
  return {
    vw: window.innerWidth,
    vh: window.innerHeight,
    board: box(board),
    rows: rows.map(box),
    me: me && { ...box(me), text: me.textContent },
    feed: box(document.getElementById('killfeed')),
    kills: [...document.querySelectorAll('#killfeed .kill')].map(box),
  };
}

const EPS = 0.5;
const inside = (r, vw, vh) => r.left >= -EPS && r.top >= -EPS && r.right <= vw + EPS && r.bottom <= vh + EPS;
const within = (r, outer) =>
  r.left >= outer.left - EPS && r.top >= outer.top - EPS && r.right <= outer.right + EPS && r.bottom <= outer.bottom + EPS;
const overlap = (a, b) =>
  Math.min(a.right, b.right) - Math.max(a.left, b.left) > EPS && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > EPS;
const fmt = (r) => `[${r.left.toFixed(0)},${r.top.toFixed(0)} – ${r.right.toFixed(0)},${r.bottom.toFixed(0)}]`;

test(`HUD layout: with ${BOTS} players the scoreboard fits the viewport and never overlaps the kill feed`, { timeout: 180_000 }, async (t) => {
  mkdirSync(RESULTS, { recursive: true });
  const server = await startServer();
  t.diagnostic(`server at ${server.url}`);
  let bots;
  let browser;
  try {
    // Full decoding is not needed for `fire` (it wanders): one decoder keeps the bots cheap.
    bots = startBots(server, ['--clients', String(BOTS), '--ramp', '2s', '--duration', '10m', '--behaviour', 'fire',
      '--decoders', '1']);
    browser = await launch();
    const errors = [];
    const page = await joinGame(browser, server.url, 'player', errors, VIEWPORTS[0]);

    // Every bot on the page's scoreboard, then kills in the feed.
    await page
      .waitForFunction(
        (n) => Object.values(window.__tickwire.state().entities).filter((e) => e.kind === 0).length >= n,
        BOTS + 1,
        { timeout: 60_000, polling: 250 },
      )
      .catch((e) => {
        throw new Error(`the ${BOTS} bots did not all join: ${e.message}\n${bots.log()}`);
      });
    await page.waitForFunction(() => document.querySelectorAll('#killfeed .kill').length >= 2, null, {
      timeout: 60_000,
      polling: 250,
    });

    for (const viewport of VIEWPORTS) {
      const label = `${viewport.width}×${viewport.height}`;
      await page.setViewportSize(viewport);
      await page.waitForTimeout(400);
      let withKills = 0;
      for (let i = 0; i < SAMPLES; i++) {
        const m = await page.evaluate(measure);
        assert.equal(m.vw, viewport.width);
        assert.equal(m.vh, viewport.height);
        const { board } = m;
        assert.ok(inside(board, m.vw, m.vh), `${label}: the scoreboard ${fmt(board)} lies inside the viewport`);
        const area = (board.width * board.height) / (m.vw * m.vh);
        assert.ok(
          area <= MAX_SCOREBOARD_AREA,
          `${label}: the scoreboard covers ${(area * 100).toFixed(1)} % of the viewport (at most ` +
            `${MAX_SCOREBOARD_AREA * 100} %)`,
        );
        // Every row laid out is shown whole: none is cut off by the panel or the viewport.
        for (const r of m.rows) {
          assert.ok(within(r, board), `${label}: scoreboard row ${fmt(r)} lies inside the scoreboard ${fmt(board)}`);
        }
        assert.ok(m.rows.length >= 11, `${label}: the scoreboard shows at least the top 10 (${m.rows.length} rows)`);
        assert.ok(m.me, `${label}: the scoreboard shows the local player's row`);
        assert.match(m.me.text, /player/, `${label}: the local player's row names it`);
        assert.ok(inside(m.me, m.vw, m.vh), `${label}: the local player's row ${fmt(m.me)} is on screen`);
        for (const k of m.kills) {
          assert.ok(inside(k, m.vw, m.vh), `${label}: kill-feed line ${fmt(k)} lies inside the viewport`);
          assert.ok(!overlap(k, board), `${label}: kill-feed line ${fmt(k)} does not overlap the scoreboard ${fmt(board)}`);
        }
        if (m.kills.length > 0) {
          withKills++;
          assert.ok(!overlap(m.feed, board), `${label}: the kill feed ${fmt(m.feed)} does not overlap the scoreboard`);
        }
        if (i === 0) {
          t.diagnostic(
            `${label}: scoreboard ${fmt(board)} (${m.rows.length} rows, ${(area * 100).toFixed(1)} % of the ` +
              `viewport), own row ${fmt(m.me)} "${m.me.text}", kill feed ${fmt(m.feed)} (${m.kills.length} lines)`,
          );
          await page.screenshot({ path: join(RESULTS, `hud-layout-${viewport.width}x${viewport.height}.png`) });
        }
        await page.waitForTimeout(300);
      }
      assert.ok(withKills > 0, `${label}: the kill feed showed lines in some of the ${SAMPLES} samples`);
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
