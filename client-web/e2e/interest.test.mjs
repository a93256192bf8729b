// End-to-end: interest management. The server runs e2e/maps/view.toml (a 4000 × 4000 field with a [view]: every
// entity within 375 units of a player is replicated to it, none beyond about 875). Two pages start in each
// other's view; alice walks far away from bob and back. Checked: the welcome's view reaches the page; the far
// player leaves the other page's world (and drawing) and comes back with the same id; each page's camera
// follows its own player (it stays in the middle of the canvas while the world scrolls) and shows no more than
// the view, so the other player appears and disappears off screen, never inside the canvas; no desync close.
//
// Needs the same as two-players.test.mjs. Run with `npm run e2e`.

import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { state } from './browser.mjs';
import { RESULTS, withGame } from './game.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const MAP = join(HERE, 'maps', 'view.toml');
/** The map's guaranteed view: radius × cell − cell / 4. */
const VIEW = 2 * 250 - 250 / 2;
/** Far beyond anything the server replicates (3.5 cells). */
const FAR = 1200;

const camera = (page) => page.evaluate(() => window.__tickwire.camera());

/** Records, every animation frame, the camera and where the page draws entity `id` (null when it does not). */
function record(id) {
  window.__trace = [];
  const step = () => {
    const c = window.__tickwire.camera();
    const d = window.__tickwire.state().drawn.find((v) => v.id === id);
    window.__trace.push({ me: c.me, w: c.width, h: c.height, vis: c.visible, other: d ? [d.x, d.y] : null });
    if (window.__trace.length < 5000) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

/**
 * Every frame of `trace` where the other player appears or disappears (drawn in one frame and not in the next, or
 * the other way round), with the position it was drawn at: it must be outside the visible world rectangle by
 * more than `reach` (its body), or it popped in or out on screen.
 */
function popsOnScreen(trace, reach) {
  const out = [];
  /** How far off screen (world units, beyond `reach`) each appearance or disappearance was. */
  const clear = [];
  for (let i = 1; i < trace.length; i++) {
    const [a, b] = [trace[i - 1], trace[i]];
    if (!a.other === !b.other) continue;
    const f = a.other ? a : b;
    const [x, y] = f.other;
    const v = f.vis;
    const outside = Math.max(v.left - x, x - v.right, v.top - y, y - v.bottom) - reach;
    clear.push(Math.round(outside));
    if (outside <= 0) out.push({ frame: i, drawn: f.other, visible: v, appeared: !a.other });
  }
  return { transitions: clear.length, clear, onScreen: out };
}

test('interest: a far player leaves the other page, the camera follows, it comes back', { timeout: 120_000 }, async (t) => {
  await withGame(t, { args: ['--map', MAP] }, async ({ errors, joinAs }) => {
    const alice = await joinAs('alice');
    const bob = await joinAs('bob');
    const aliceId = (await state(alice)).you;
    const bobId = (await state(bob)).you;
    const has = (page, id) =>
      page.waitForFunction((i) => window.__tickwire.state().drawn.some((d) => d.id === i), id, { timeout: 5000 });
    await has(bob, aliceId);
    await has(alice, bobId);

    // The welcome's view reached both pages, and their cameras follow with no more than the view on screen.
    const a0 = await state(alice);
    assert.equal(a0.view, VIEW, 'the welcome carries the view');
    assert.equal((await state(bob)).view, VIEW);
    const radius = a0.rules.player_radius;
    for (const [who, page] of [['alice', alice], ['bob', bob]]) {
      const c = await camera(page);
      const s = await state(page);
      const me = s.entities[s.you];
      assert.ok(c.following, `${who}'s camera follows: ${JSON.stringify(c)}`);
      const v = c.visible;
      assert.ok(
        v.left >= me.x - VIEW && v.right <= me.x + VIEW && v.top >= me.y - VIEW && v.bottom <= me.y + VIEW,
        `${who}'s screen ${JSON.stringify(v)} lies within the view around ${me.x},${me.y}`,
      );
      assert.ok(v.right - v.left > VIEW, `${who} sees a good part of it (${(v.right - v.left).toFixed(0)} units wide)`);
      assert.ok(Math.abs(c.me.x - c.width / 2) < 1 && Math.abs(c.me.y - c.height / 2) < 1, `${who} is in the middle`);
    }

    await alice.evaluate(record, bobId);
    await bob.evaluate(record, aliceId);

    // Alice walks away from bob until she is far beyond his view.
    const bobX = a0.entities[bobId].x;
    const startX = a0.entities[aliceId].x;
    const sign = startX >= bobX ? 1 : -1;
    const [away, back] = sign > 0 ? ['KeyD', 'KeyA'] : ['KeyA', 'KeyD'];
    await alice.bringToFront();
    await alice.mouse.move(640, 100);
    await alice.keyboard.down(away);
    await alice.waitForFunction(
      ({ id, bx, s, far }) => (window.__tickwire.state().entities[id].x - bx) * s > far,
      { id: aliceId, bx: bobX, s: sign, far: FAR },
      { timeout: 20_000 },
    );
    await alice.keyboard.up(away);
    const farX = (await state(alice)).entities[aliceId].x;
    t.diagnostic(`alice walked from x ${startX} to ${farX}; bob stands at ${bobX}`);

    // Neither holds nor draws the other any more.
    await bob.waitForFunction(
      (id) => {
        const s = window.__tickwire.state();
        return s.entities[id] === undefined && !s.drawn.some((d) => d.id === id);
      },
      aliceId,
      { timeout: 5000 },
    );
    await alice.waitForFunction((id) => window.__tickwire.state().entities[id] === undefined, bobId, { timeout: 5000 });
    const bobFar = await state(bob);
    assert.equal(bobFar.entities[aliceId], undefined, "alice is not in bob's world");
    assert.ok(bobFar.entities[bobId], 'bob still holds himself');
    await alice.screenshot({ path: join(RESULTS, 'interest-alice-far.png') });

    // Alice's camera followed her: she stayed in the middle of her canvas while the world scrolled by.
    const aliceTrace = await alice.evaluate(() => window.__trace);
    const drawnAlice = aliceTrace.filter((f) => f.me);
    assert.ok(drawnAlice.length > 60, `enough frames recorded on alice's page (${drawnAlice.length})`);
    const offCentre = Math.max(...drawnAlice.map((f) => Math.hypot(f.me.x - f.w / 2, f.me.y - f.h / 2)));
    assert.ok(offCentre < 1, `alice stays in the middle of her canvas while she walks (at most ${offCentre} px off)`);
    const scrolled = (drawnAlice.at(-1).vis.left - drawnAlice[0].vis.left) * sign;
    t.diagnostic(`alice's camera scrolled ${scrolled.toFixed(0)} units, at most ${offCentre.toFixed(3)} px off centre`);
    assert.ok(scrolled > FAR - 400, `the camera scrolled with her (${scrolled} units)`);

    // She walks back until bob holds and draws her again (off screen first), and on until she is on his screen.
    await alice.keyboard.down(back);
    try {
      await bob.waitForFunction((id) => window.__tickwire.state().drawn.some((d) => d.id === id), aliceId, {
        timeout: 20_000,
      });
      await alice.waitForFunction(
        ({ id, bx, s }) => (window.__tickwire.state().entities[id].x - bx) * s < 250,
        { id: aliceId, bx: bobX, s: sign },
        { timeout: 10_000 },
      );
    } finally {
      await alice.keyboard.up(back);
    }
    // Let the last inputs arrive and bob's interpolation settle, then compare.
    await alice.waitForTimeout(600);
    await has(alice, bobId);
    const aliceBack = await state(alice);
    const bobBack = await state(bob);
    const seen = bobBack.entities[aliceId];
    assert.equal(seen.name, 'alice', 'bob sees alice again, by name, under the same id');
    assert.ok(
      Math.abs(seen.x - aliceBack.entities[aliceId].x) < 1 && Math.abs(seen.y - aliceBack.entities[aliceId].y) < 1,
      `bob sees alice where she is (${seen.x},${seen.y} vs ${aliceBack.entities[aliceId].x},${aliceBack.entities[aliceId].y})`,
    );
    const bobCam = await camera(bob);
    assert.ok(
      seen.x > bobCam.visible.left && seen.x < bobCam.visible.right,
      `alice is on bob's screen again (${seen.x} in ${JSON.stringify(bobCam.visible)})`,
    );
    await bob.screenshot({ path: join(RESULTS, 'interest-bob-back.png') });

    // Nothing popped in or out on screen: on both pages the other player appeared and disappeared off screen.
    for (const [who, page] of [['bob', bob], ['alice', alice]]) {
      const trace = await page.evaluate(() => window.__trace);
      const { transitions, clear, onScreen } = popsOnScreen(trace, radius);
      t.diagnostic(
        `${who}: ${trace.length} frames, the other player appeared or disappeared ${transitions} times, ` +
          `${clear.join(', ')} units off screen`,
      );
      assert.ok(transitions >= 2, `${who} saw the other player leave and come back (${transitions} transitions)`);
      assert.deepEqual(onScreen, [], `${who}: the other player never appeared or vanished on screen`);
    }

    // Every delta applied (a desync closes the connection) and nothing was logged as an error.
    for (const [who, page] of [['alice', alice], ['bob', bob]]) {
      const s = await state(page);
      assert.deepEqual(s.closes, [], `${who} never lost the connection: ${JSON.stringify(s.closes)}`);
      assert.ok(s.connected);
    }
    assert.deepEqual(errors, [], 'no console errors');
  });
});
