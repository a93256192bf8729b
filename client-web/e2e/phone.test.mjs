// End-to-end on phone-sized pages: the real server, 8 `tickwire-bots --behaviour fire` (a full scoreboard and a
// busy kill feed) and a Chromium page emulating a phone (360 × 640, and Playwright's iPhone 12: touch, mobile
// viewport). The stats line, the scoreboard and the kill feed must not overlap one another and must stay on
// screen, each part of the stats line whole, and no readable name of a player on screen may be cut by the
// screen's edge. A second test, on e2e/maps/view.toml (the camera follows the player), walks the phone past
// another player so that it comes on screen at one edge and leaves at the other: its name stays whole on screen.
// A third plays with touches only (Playwright's iPhone 12, touches sent over CDP): the join screen explains the
// touch controls, a thumb dragged on the left half moves the player, a tap on the right half fires where it
// touched, holding there keeps firing, and both thumbs work at once.
//
// Needs Debian's chromium and built server and bots binaries (`cargo build -p tickwire-server -p tickwire-bots`).
// Run with `npm run e2e`.

import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { devices } from 'playwright-core';
import { state } from './browser.mjs';
import { RESULTS, withGame } from './game.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
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
  const botArgs = ['--clients', String(BOTS), '--ramp', '1s', '--duration', '10m', '--behaviour', 'fire', '--decoders', '1'];
  await withGame(t, { bots: botArgs }, async ({ server, bots, browser, errors }) => {
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
  });
});

/** Records, every frame, the camera's scale and the canvas' size (`window.__cams`, rAF timestamps). */
function recordCamera() {
  window.__cams = [];
  const step = (now) => {
    const c = window.__tickwire.camera();
    window.__cams.push({ t: now, scale: c.scale, w: c.width, h: c.height });
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

/** Within 300 ms of a viewport change the camera has its settled scale (and keeps it). */
const SETTLE_MS = 300;
/** How far from the settled scale counts as settled (the HUD's text may move a panel by a few pixels). */
const SCALE_TOLERANCE = 0.03;

test('phone rotation: the camera takes its new scale within 300 ms of a viewport change, and keeps it', { timeout: 120_000 }, async (t) => {
  // Idle bots: a scoreboard of the top 5 and the own row (the panel whose place changes most with the rotation), a
  // HUD that does not change by itself.
  const botArgs = ['--clients', '6', '--ramp', '1s', '--duration', '10m', '--behaviour', 'idle', '--decoders', '1'];
  await withGame(t, { bots: botArgs }, async ({ server, browser, errors }) => {
    const page = await joinPhone(browser, server.url, 'thumbs', errors, PHONES[0].options);
    await page.waitForFunction(
      () => document.querySelectorAll('#scoreboard tr.me').length === 1 &&
        Object.values(window.__tickwire.state().entities).filter((e) => e.kind === 0).length >= 7,
      null,
      { timeout: 30_000, polling: 250 },
    );
    // Past any easing of the join (insets shrink after 1.5 s).
    await page.waitForTimeout(2500);
    const portrait = (await page.evaluate(() => window.__tickwire.camera())).scale;
    await page.evaluate(recordCamera);
    const settled = { '360x640': portrait };
    for (const [w, h] of [[640, 360], [360, 640], [640, 360], [360, 640]]) {
      const t0 = await page.evaluate(() => performance.now());
      await page.setViewportSize({ width: w, height: h });
      await page.waitForTimeout(2500);
      const samples = await page.evaluate((t0) => {
        const out = window.__cams.filter((c) => c.t >= t0);
        window.__cams = [];
        return out;
      }, t0);
      const where = `${w}×${h}`;
      assert.ok(samples.length > 20, `${where}: frames were drawn (${samples.length})`);
      const last = samples.at(-1);
      assert.deepEqual([last.w, last.h], [w, h], `${where}: the canvas has the new size`);
      // The settled scale: the last second's median.
      const tail = samples.filter((c) => c.t >= last.t - 1000).map((c) => c.scale).sort((a, b) => a - b);
      const final = tail[Math.floor(tail.length / 2)];
      const off = (c) => Math.abs(c.scale - final) / final > SCALE_TOLERANCE;
      const firstGood = samples.findIndex((c, i) => samples.slice(i).every((d) => !off(d)));
      const settledIn = firstGood < 0 ? Infinity : samples[firstGood].t - t0;
      const trace = samples
        .filter((_, i) => i % 6 === 0)
        .map((c) => `${(c.t - t0).toFixed(0)}:${c.scale.toFixed(4)}`)
        .join(' ');
      t.diagnostic(`${where}: settled scale ${final.toFixed(4)} after ${settledIn.toFixed(0)} ms; ${trace}`);
      const late = samples.filter((c) => c.t - t0 >= SETTLE_MS && off(c));
      assert.equal(late.length, 0,
        `${where}: ${SETTLE_MS} ms after the viewport change the scale is within ${SCALE_TOLERANCE * 100} % of its settled ` +
          `${final.toFixed(4)}; it was not for ${late.length} frames, up to ${(late.at(-1)?.t - t0).toFixed(0)} ms ` +
          `(${late.slice(0, 3).map((c) => c.scale.toFixed(4)).join(', ')}…)`);
      // Back in the same orientation, the same scale as before.
      const key = `${w}x${h}`;
      if (settled[key] !== undefined) {
        assert.ok(Math.abs(final - settled[key]) / settled[key] <= SCALE_TOLERANCE,
          `${where}: the same scale as before the rotation (${final.toFixed(4)} vs ${settled[key].toFixed(4)})`);
      }
      settled[key] = final;
      // No pile of labels: the readable ones do not overlap.
      const labels = (await page.evaluate(() => window.__tickwire.labels())).filter((l) => !l.faded);
      for (const [i, a] of labels.entries()) {
        for (const b of labels.slice(i + 1)) assert.ok(!overlap(a, b), `${where}: the labels "${a.text}" ${fmt(a)} and "${b.text}" ${fmt(b)} overlap`);
      }
      await page.screenshot({ path: join(RESULTS, `phone-rotated-${key}.png`) });
    }
    assert.deepEqual(errors, [], 'no console errors');
  });
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
  await withGame(t, { args: ['--map', VIEW_MAP] }, async ({ server, browser, errors, joinAs }) => {
    const phone = await joinPhone(browser, server.url, 'thumbs', errors, PHONES[0].options);
    const other = await joinAs('far-away-player', { width: 800, height: 600 });
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
  });
});

/** Touches over the Chrome DevTools Protocol (`page.touchscreen` only taps): each call lists the touches down. */
function touchscreen(cdp) {
  const send = (type, points) =>
    cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points.map(([x, y, id]) => ({ x, y, id, radiusX: 4, radiusY: 4, force: 1 })) });
  return {
    start: (points) => send('touchStart', points),
    move: (points) => send('touchMove', points),
    end: (points) => send('touchEnd', points),
  };
}

/** Records, every frame, the projectiles the local player has in the air (ids) and its angle. */
function recordShots() {
  window.__shots = new Set();
  const step = () => {
    const s = window.__tickwire.state();
    for (const e of Object.values(s.entities)) if (e.kind === 1 && e.owner === s.you) window.__shots.add(e.id);
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}
const shots = (page) => page.evaluate(() => window.__shots.size);

test('touch controls: a joystick on the left half moves, touches on the right half aim and fire', { timeout: 120_000 }, async (t) => {
  await withGame(t, {}, async ({ server, browser, errors }) => {
    // A desktop page explains the keys; a phone explains the touches.
    const desktop = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await desktop.goto(server.url, { waitUntil: 'load' });
    assert.ok(await desktop.isVisible('.help.keys'), 'a desktop page shows the keyboard help');
    assert.ok(!(await desktop.isVisible('.help.touch')), 'and not the touch help');
    // The name field keeps what the server keeps (16 characters, docs/PROTOCOL.md Hello), and says so.
    assert.match(await desktop.textContent('label[for="name"]'), /up to 16 characters/);
    await desktop.fill('#name', 'abcdefghijklmnopqrstuvwxyz');
    assert.equal(await desktop.inputValue('#name'), 'abcdefghijklmnop', 'the name field is cut at 16 characters');
    await desktop.context().close();
    const context = await browser.newContext(devices['iPhone 12']);
    const phone = await context.newPage();
    phone.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    phone.on('console', (m) => m.type() === 'error' && errors.push(`console error: ${m.text()}`));
    await phone.goto(server.url, { waitUntil: 'load' });
    assert.ok(await phone.isVisible('.help.touch'), 'the phone shows the touch help');
    assert.ok(!(await phone.isVisible('.help.keys')), 'and not the keyboard help');
    t.diagnostic(`help on the phone: ${await phone.textContent('.help.touch')}`);
    await phone.screenshot({ path: join(RESULTS, 'phone-join.png') });
    await phone.close();
    const page = await joinPhone(browser, server.url, 'thumbs', errors, devices['iPhone 12']);
    const { width: vw, height: vh } = page.viewportSize();
    assert.ok(await page.isVisible('#stick'), 'the joystick shows where it is used');
    const touch = touchscreen(await page.context().newCDPSession(page));
    await page.evaluate(recordShots);

    // The left thumb: down at (80, vh - 150), dragged 50 px (within the stick's 56 px rim: 87 % of full speed)
    // towards the middle of the arena, held for a second.
    const s0 = await state(page);
    const me0 = s0.entities[s0.you];
    const sign = me0.x < s0.arena.width / 2 ? 1 : -1;
    const bx = 80;
    const by = vh - 150;
    await touch.start([[bx, by, 0]]);
    for (let i = 1; i <= 5; i++) await touch.move([[bx + sign * 10 * i, by, 0]]);
    const held = await page.evaluate(() => {
      const b = document.getElementById('stick');
      const k = document.getElementById('stick-knob');
      const r = (e) => e.getBoundingClientRect();
      return { active: b.classList.contains('active'), base: r(b), knob: r(k) };
    });
    assert.ok(held.active, 'the joystick is drawn under the thumb');
    assert.ok(Math.abs((held.base.left + held.base.right) / 2 - bx) < 2, `its base where the thumb came down: ${JSON.stringify(held.base)}`);
    assert.ok(Math.abs((held.knob.left + held.knob.right) / 2 - (bx + sign * 50)) < 2, `its knob under the thumb: ${JSON.stringify(held.knob)}`);
    await page.waitForTimeout(1000);
    await page.screenshot({ path: join(RESULTS, 'phone-touch.png') });
    await touch.end([]);
    await page.waitForTimeout(400);
    const s1 = await state(page);
    const moved = (s1.entities[s1.you].x - me0.x) * sign;
    const drift = Math.abs(s1.entities[s1.you].y - me0.y);
    t.diagnostic(`the joystick moved the player ${moved.toFixed(1)} units (y drift ${drift.toFixed(1)}); shots so far ${await shots(page)}`);
    assert.ok(moved > 150, `a 1 s drag moved the player towards the middle (${moved} units)`);
    assert.ok(drift < 8, `along the drag (y moved ${drift})`);
    assert.equal(await shots(page), 0, 'moving does not fire');
    // Let go: it stops.
    const s2 = await state(page);
    await page.waitForTimeout(300);
    assert.equal((await state(page)).entities[s2.you].x, s2.entities[s2.you].x, 'the thumb up, the player stops');

    // A tap on the right half: one shot, aimed where it touched.
    const c = await page.evaluate(() => window.__tickwire.camera());
    const target = { x: Math.min(vw - 20, c.me.x + 120), y: Math.max(60, c.me.y - 120) };
    assert.ok(target.x > vw / 2, 'the tap is on the right half');
    await page.touchscreen.tap(target.x, target.y);
    await page.waitForFunction(() => window.__shots.size >= 1, null, { timeout: 3000 });
    await page.waitForTimeout(150);
    const s3 = await state(page);
    const want = Math.atan2(target.y - c.me.y, target.x - c.me.x);
    t.diagnostic(`tap at ${target.x},${target.y}: angle ${s3.entities[s3.you].angle.toFixed(3)}, wanted ${want.toFixed(3)}`);
    assert.ok(Math.abs(s3.entities[s3.you].angle - want) < 0.05, 'the shot went where the tap was');
    await page.waitForTimeout(600);
    assert.equal(await shots(page), 1, 'a tap fires once');

    // Both thumbs: move with the left, hold the right: it keeps firing (the gun's cooldown is 0.25 s) and moves.
    const before = await state(page);
    await touch.start([[bx, by, 0]]);
    await touch.move([[bx - sign * 60, by, 0]]);
    await touch.start([[bx - sign * 60, by, 0], [target.x, target.y, 1]]);
    await page.waitForTimeout(1100);
    await page.screenshot({ path: join(RESULTS, 'phone-touch-fire.png') });
    await touch.end([]);
    await page.waitForTimeout(400);
    const after = await state(page);
    const back = (before.entities[before.you].x - after.entities[after.you].x) * sign;
    const fired = (await shots(page)) - 1;
    t.diagnostic(`both thumbs: moved ${back.toFixed(1)} units back, ${fired} shots`);
    assert.ok(back > 150, `the left thumb moved the player back (${back})`);
    assert.ok(fired >= 3, `holding the right thumb kept firing (${fired} shots in 1.1 s)`);
    assert.deepEqual(errors, [], 'no console errors');
  });
});
