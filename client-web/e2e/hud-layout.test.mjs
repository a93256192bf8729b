// End-to-end: the HUD's layout with many players. The real server, 40 `tickwire-bots --behaviour fire` (they
// shoot each other, so the kill feed fills) and one Chromium page at small viewports (800 × 600, 1000 × 700).
// The scoreboard must stay inside the viewport and show every row it lays out whole (the top ranks and the local
// player's own row, usually below them here: the page does not shoot), must not cover much of the screen, and must
// never overlap the kill feed. The fitted arena must lie clear of every panel (the camera treats them as insets),
// and the players' name labels, crowded at this scale, must never overlap (the page's own stays in its place).
//
// A second test walks one page at 800 × 600 to the walls of a map with interest management (the camera follows
// the player; e2e/maps/wall.toml), with a dozen idle bots standing near the east wall (a tall scoreboard): each
// wall near the player, the players near it, and the player, must stay out from under the panels, and the camera
// must still show nothing of the arena beyond the view.
//
// Needs Debian's chromium and built server and bots binaries (`cargo build -p tickwire-server -p tickwire-bots`;
// the bots are looked for next to the server, or at $TICKWIRE_BOTS_BIN). Run with `npm run e2e`.

import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { state } from './browser.mjs';
import { RESULTS, withGame } from './game.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BOTS = 40;
const VIEWPORTS = [
  { width: 800, height: 600 },
  { width: 1000, height: 700 },
];
/** The most of the viewport's area the scoreboard may cover. */
const MAX_SCOREBOARD_AREA = 0.15;
/** Samples per viewport, one per HUD refresh or so: the kill feed and the ranks change all the time. */
const SAMPLES = 8;
/** How far a name label may move up from its place (render/labels.ts LABEL_MAX_SHIFT). */
const LABEL_MAX_SHIFT = 48;

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
    stats: box(document.getElementById('stats')),
    camera: window.__tickwire.camera(),
    arena: window.__tickwire.state().arena,
    you: window.__tickwire.state().you,
    labels: window.__tickwire.labels(),
  };
}

/** Where the arena lies on screen. */
const arenaOnScreen = (c, arena) => ({
  left: c.ox,
  top: c.oy,
  right: c.ox + arena.width * c.scale,
  bottom: c.oy + arena.height * c.scale,
});

/** The readable labels that overlap (faded ones are drawn faint under them), as "id/id" pairs. */
function labelOverlaps(labels) {
  const readable = labels.filter((l) => !l.faded);
  const out = [];
  for (let i = 0; i < readable.length; i++) {
    for (let j = i + 1; j < readable.length; j++) {
      if (overlap(readable[i], readable[j])) out.push(`${readable[i].text}/${readable[j].text}`);
    }
  }
  return out;
}

const EPS = 0.5;
const inside = (r, vw, vh) => r.left >= -EPS && r.top >= -EPS && r.right <= vw + EPS && r.bottom <= vh + EPS;
const within = (r, outer) =>
  r.left >= outer.left - EPS && r.top >= outer.top - EPS && r.right <= outer.right + EPS && r.bottom <= outer.bottom + EPS;
const overlap = (a, b) =>
  Math.min(a.right, b.right) - Math.max(a.left, b.left) > EPS && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > EPS;
const fmt = (r) => `[${r.left.toFixed(0)},${r.top.toFixed(0)} – ${r.right.toFixed(0)},${r.bottom.toFixed(0)}]`;

test(`HUD layout: with ${BOTS} players the scoreboard fits the viewport and never overlaps the kill feed, the arena stays clear of the HUD, names do not overlap`, { timeout: 180_000 }, async (t) => {
  // Full decoding is not needed for `fire` (it wanders): one decoder keeps the bots cheap.
  const botArgs = ['--clients', String(BOTS), '--ramp', '2s', '--duration', '10m', '--behaviour', 'fire', '--decoders', '1'];
  await withGame(t, { bots: botArgs }, async ({ bots, errors, joinAs }) => {
    const page = await joinAs('player', VIEWPORTS[0]);

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
      let moved = 0;
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
        // The fitted arena lies clear of every panel: nothing of it is hidden.
        const arena = arenaOnScreen(m.camera, m.arena);
        assert.equal(m.camera.following, false, `${label}: the default map is fitted`);
        for (const [what, r] of [['scoreboard', board], ['kill feed', m.feed], ['stats line', m.stats], ...m.kills.map((k) => ['kill-feed line', k])]) {
          assert.ok(!overlap(arena, r), `${label}: the arena ${fmt(arena)} is clear of the ${what} ${fmt(r)}`);
        }
        // Name labels: the readable ones never overlap, each stays just above its player, the page's own in place.
        assert.ok(m.labels.length >= 20, `${label}: names drawn (${m.labels.length})`);
        assert.deepEqual(labelOverlaps(m.labels), [], `${label}: no two readable name labels overlap`);
        for (const l of m.labels) {
          assert.ok(l.dy <= 0 && l.dy >= -LABEL_MAX_SHIFT - EPS, `${label}: label ${l.text} moved ${l.dy} px`);
          if (l.faded) assert.equal(l.dy, 0, `${label}: faded label ${l.text} stays in place`);
        }
        const own = m.labels.find((l) => l.id === m.you);
        assert.ok(own, `${label}: the page's own name is drawn`);
        assert.ok(own.mine && !own.faded && own.dy === 0, `${label}: the page's own name stays put: ${JSON.stringify(own)}`);
        if (m.labels.some((l) => l.dy < 0 || l.faded)) moved++;
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
      assert.ok(moved > 0, `${label}: crowded names were laid out (moved or faded) in some of the ${SAMPLES} samples`);
    }
    assert.deepEqual(errors, [], 'no console errors');
  });
});

/** A map with a view (2400 × 2400, view 375: the camera follows the player), spawn points near the east wall. */
const WALL_MAP = join(HERE, 'maps', 'wall.toml');
const VIEW = 2 * 250 - 250 / 2;
/** Idle bots standing on the spawn points: a tall scoreboard, and players near the wall. */
const WALL_BOTS = 12;
/** A wall this close to the player (world units) must be out from under the panels, and so must players near it. */
const NEAR = 200;

/** Records every animation frame: the camera, the panels, the local player and the others as drawn. */
function recordWalk() {
  window.__walk = [];
  const box = (e) => {
    const r = e.getBoundingClientRect();
    return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
  };
  const step = () => {
    const c = window.__tickwire.camera();
    const s = window.__tickwire.state();
    const me = s.drawn.find((d) => d.id === s.you);
    window.__walk.push({
      cam: { ox: c.ox, oy: c.oy, scale: c.scale, visible: c.visible, me: c.me, w: c.width, h: c.height },
      at: me ? { x: me.x, y: me.y } : null,
      others: s.drawn.filter((d) => d.id !== s.you && s.entities[d.id]?.kind === 0).map((d) => [d.x, d.y]),
      panels: [['scoreboard', box(document.getElementById('scoreboard'))], ['stats line', box(document.getElementById('stats'))]],
    });
    if (window.__walk.length < 8000) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

const under = (x, y, r) => x > r.left && x < r.right && y > r.top && y < r.bottom;

test('HUD layout: walking to the walls at 800 × 600, the walls and players near the player come out from under the panels', { timeout: 150_000 }, async (t) => {
  const botArgs = ['--clients', String(WALL_BOTS), '--ramp', '1s', '--duration', '10m', '--behaviour', 'idle', '--decoders', '1'];
  await withGame(t, { args: ['--map', WALL_MAP], bots: botArgs }, async ({ bots, errors, joinAs }) => {
    // The bots first, so that the page takes a free spawn point (the farthest from the others).
    await new Promise((r) => setTimeout(r, 2500));
    const page = await joinAs('walker', VIEWPORTS[0]);
    await page
      .waitForFunction(
        (n) => Object.values(window.__tickwire.state().entities).filter((e) => e.kind === 0).length >= n,
        WALL_BOTS + 1,
        { timeout: 30_000, polling: 250 },
      )
      .catch((e) => {
        throw new Error(`the ${WALL_BOTS} bots are not all in view: ${e.message}\n${bots.log()}`);
      });
    const s0 = await state(page);
    assert.equal(s0.view, VIEW);
    const { width: W, height: H } = s0.arena;
    const radius = s0.rules.player_radius;
    await page.mouse.move(400, 100);
    const walk = async (key, until) => {
      await page.keyboard.down(key);
      try {
        await page.waitForFunction(until, { W, r: radius }, { timeout: 30_000, polling: 50 });
      } finally {
        await page.keyboard.up(key);
      }
    };
    // West, out of the wall's reach (the bots stay in view), then back east to the wall, then north along it.
    await walk('KeyA', () => window.__tickwire.state().predicted.x <= 2010);
    await page.waitForTimeout(300);
    await page.evaluate(recordWalk);
    await page.keyboard.down('KeyD');
    try {
      await page.waitForFunction((W) => window.__tickwire.state().predicted.x >= W - 170, W, { timeout: 30_000, polling: 20 });
      // Where the plain camera would have hidden the wall under the scoreboard.
      await page.screenshot({ path: join(RESULTS, 'hud-layout-wall-approach-800x600.png') });
      await page.waitForFunction(({ W, r }) => window.__tickwire.state().predicted.x >= W - r - 0.5, { W, r: radius }, {
        timeout: 30_000,
        polling: 50,
      });
    } finally {
      await page.keyboard.up('KeyD');
    }
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(RESULTS, 'hud-layout-wall-800x600.png') });
    const board = await page.evaluate(() => {
      const r = document.getElementById('scoreboard').getBoundingClientRect();
      const rows = document.querySelectorAll('#scoreboard tr').length;
      return { left: r.left, top: r.top, right: r.right, bottom: r.bottom, rows, insets: window.__tickwire.camera().insets };
    });
    t.diagnostic(`at the east wall: scoreboard ${fmt(board)} (${board.rows} rows), insets ${JSON.stringify(board.insets)}`);
    await walk('KeyW', ({ r }) => window.__tickwire.state().predicted.y <= r + 0.5);
    await page.waitForTimeout(300);
    const trace = await page.evaluate(() => window.__walk);
    const frames = trace.filter((f) => f.at && f.cam.me);
    assert.ok(frames.length > 200, `enough frames recorded (${frames.length})`);

    let nearEast = 0;
    let nearNorth = 0;
    let othersChecked = 0;
    for (const [i, f] of frames.entries()) {
      const { cam, at } = f;
      const where = `frame ${i}: player at ${at.x.toFixed(1)},${at.y.toFixed(1)}, on screen ${cam.me.x.toFixed(1)},${cam.me.y.toFixed(1)}`;
      const screen = (x, y) => ({ x: cam.ox + x * cam.scale, y: cam.oy + y * cam.scale });
      // Each near wall's stretch within NEAR of the player (a thin box on screen), the player, and the players near
      // a near wall: under no panel.
      const eastNear = W - at.x <= NEAR;
      const northNear = at.y <= NEAR;
      const east = screen(W, at.y);
      const north = screen(at.x, 0);
      const eastWall = {
        left: east.x - 0.5,
        right: east.x + 0.5,
        top: screen(W, Math.max(0, at.y - NEAR)).y,
        bottom: screen(W, Math.min(H, at.y + NEAR)).y,
      };
      const northWall = {
        left: screen(Math.max(0, at.x - NEAR), 0).x,
        right: screen(Math.min(W, at.x + NEAR), 0).x,
        top: north.y - 0.5,
        bottom: north.y + 0.5,
      };
      for (const [what, r] of f.panels) {
        assert.ok(!under(cam.me.x, cam.me.y, r), `${where}: the player is not under the ${what} ${fmt(r)}`);
        if (eastNear) {
          assert.ok(!overlap(eastWall, r), `${where}: the east wall ${fmt(eastWall)} is not under the ${what} ${fmt(r)}`);
        }
        if (northNear) {
          assert.ok(!overlap(northWall, r), `${where}: the north wall ${fmt(northWall)} is not under the ${what} ${fmt(r)}`);
        }
        for (const [x, y] of f.others) {
          if (!(eastNear && W - x <= NEAR && Math.abs(y - at.y) <= NEAR)) continue;
          othersChecked++;
          const o = screen(x, y);
          assert.ok(!under(o.x, o.y, r), `${where}: the player at ${x.toFixed(0)},${y.toFixed(0)}, near the east wall, is not under the ${what} ${fmt(r)}`);
        }
      }
      // A near wall is on screen at all (not beyond the canvas' edge).
      if (eastNear) (nearEast++, assert.ok(east.x <= cam.w, `${where}: the east wall is on screen (${east.x})`));
      if (northNear) (nearNorth++, assert.ok(north.y >= 0, `${where}: the north wall is on screen (${north.y})`));
      // Nothing of the arena beyond the view is on screen (beyond the arena, nothing can be).
      const v = cam.visible;
      const reach = VIEW - radius;
      assert.ok(
        Math.max(v.left, 0) >= at.x - reach && Math.min(v.right, W) <= at.x + reach &&
          Math.max(v.top, 0) >= at.y - reach && Math.min(v.bottom, H) <= at.y + reach,
        `${where}: the arena on screen ${JSON.stringify(v)} lies within the view`,
      );
    }
    t.diagnostic(
      `${frames.length} frames; the east wall near in ${nearEast}, the north wall in ${nearNorth}; ` +
        `${othersChecked} checks of players near the east wall`,
    );
    assert.ok(nearEast > 30 && nearNorth > 10, `both walls were near for a while (${nearEast}, ${nearNorth} frames)`);
    assert.ok(othersChecked > 100, `players near the east wall were checked (${othersChecked})`);
    // At the wall the board listed every bot: tall, so the camera kept the strip beside it clear (a right inset),
    // as in a busy game (not the strip under it, as for a short board).
    assert.ok(board.rows >= WALL_BOTS + 1, `the scoreboard lists the bots (${board.rows} rows)`);
    assert.ok(board.insets.right >= 800 - board.left, `the scoreboard is a right inset: ${JSON.stringify(board.insets)}`);
    assert.deepEqual(errors, [], 'no console errors');
  });
});
