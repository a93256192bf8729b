// End-to-end: dying and coming back. Two Chromium pages on e2e/maps/duel.toml (opposite corners, within a
// projectile's reach): alice shoots bob until he is dead. Bob's page must show the death overlay naming alice with
// a countdown that runs down over the respawn delay (2 s by default: the client assumes it, the wire does not carry
// it), and the overlay must go away when bob is back, no earlier than about the delay and no later than a few
// frames after his respawn arrives. After watching a respawn the client knows the delay for sure.
//
// Needs Debian's chromium and a built server (`cargo build -p tickwire-server`). Run with `npm run e2e`.

import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { state } from './browser.mjs';
import { RESULTS, withGame } from './game.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DUEL = join(HERE, 'maps', 'duel.toml');
/** assets/rules.toml respawn_delay. */
const RESPAWN_MS = 2000;

/** Records bob's overlay and state every animation frame. */
function recordDeath() {
  window.__death = [];
  const el = document.getElementById('death');
  const step = (ts) => {
    const s = window.__tickwire.state();
    const me = s.entities[s.you];
    window.__death.push({
      t: ts,
      shown: !el.hidden && getComputedStyle(el).display !== 'none',
      text: el.textContent,
      remaining: s.death?.remainingMs ?? null,
      dead: me ? (me.flags & 1) === 1 : null,
    });
    if (window.__death.length < 4000) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

test('death and respawn: the victim sees who killed it and a countdown, gone when it is back', { timeout: 120_000 }, async (t) => {
  await withGame(t, { args: ['--map', DUEL] }, async ({ errors, joinAs }) => {
    const alice = await joinAs('alice');
    const bob = await joinAs('bob');
    const bobId = (await state(bob)).you;
    // Drawn, not only held: the aim below reads where alice's page draws bob (interpolation draws an entity a
    // frame or two after its first delta arrives).
    await alice.waitForFunction(
      (id) => window.__tickwire.state().drawn.some((v) => v.id === id),
      bobId,
      { timeout: 5000, polling: 'raf' },
    );
    const before = await state(bob);
    assert.equal(before.death, null, 'alive: no death overlay state');
    assert.equal(await bob.isVisible('#death'), false, 'alive: no overlay');
    assert.equal(before.respawnDelayMs, RESPAWN_MS, 'the assumed respawn delay (rules.toml)');
    assert.equal(before.respawnDelayLearnt, false);
    await bob.evaluate(recordDeath);

    // Alice aims at bob (where her page draws him) and fires until he is dead.
    const target = await alice.evaluate((id) => {
      const c = window.__tickwire.camera();
      const d = window.__tickwire.state().drawn.find((v) => v.id === id);
      return { x: c.ox + d.x * c.scale, y: c.oy + d.y * c.scale };
    }, bobId);
    await alice.bringToFront();
    await alice.mouse.move(target.x, target.y);
    await alice.mouse.down();
    try {
      await bob.waitForFunction(() => window.__tickwire.state().death !== null, null, { timeout: 15_000, polling: 'raf' });
    } finally {
      await alice.mouse.up();
    }
    await bob.waitForSelector('#death', { state: 'visible', timeout: 2000 });
    const text = await bob.textContent('#death');
    t.diagnostic(`bob's overlay: ${text}`);
    assert.match(text, /Killed by alice/, 'the overlay names the killer');
    assert.match(text, /Respawning in [0-2]\.\d s/, 'and counts down');
    // The killer's name in the killer's colour (the scoreboard's and the kill feed's).
    const colours = await bob.evaluate((id) => {
      const who = document.querySelector('#death .who');
      const dot = [...document.querySelectorAll('#scoreboard tr')].find((r) => r.textContent.includes('alice'))?.querySelector('.dot');
      return { who: getComputedStyle(who).color, dot: dot && getComputedStyle(dot).backgroundColor, id };
    }, bobId);
    assert.equal(colours.who, colours.dot, `the killer's colour: ${JSON.stringify(colours)}`);
    await bob.waitForTimeout(500);
    await bob.screenshot({ path: join(RESULTS, 'death-overlay.png') });

    // Back after the delay: the overlay goes.
    await bob.waitForFunction(() => window.__tickwire.state().death === null, null, { timeout: 10_000, polling: 'raf' });
    await bob.waitForTimeout(80);
    await bob.screenshot({ path: join(RESULTS, 'respawn.png') });
    assert.equal(await bob.isVisible('#death'), false, 'the overlay is gone after the respawn');
    const trace = await bob.evaluate(() => window.__death);
    const first = trace.findIndex((f) => f.shown);
    const gone = trace.findIndex((f, i) => i > first && !f.shown);
    assert.ok(first >= 0 && gone > first, 'the overlay came and went');
    const shownMs = trace[gone].t - trace[first].t;
    // The frames with the overlay: counting down, and it never outlives the death by more than a frame or so.
    const shown = trace.slice(first, gone);
    for (let i = 1; i < shown.length; i++) {
      assert.ok(shown[i].remaining <= shown[i - 1].remaining, `the countdown never goes up (frame ${first + i})`);
    }
    const lastDead = trace.findLastIndex((f) => f.dead);
    t.diagnostic(
      `overlay shown for ${shownMs.toFixed(0)} ms (delay ${RESPAWN_MS} ms); countdown from ` +
        `${shown[0].remaining?.toFixed(0)} to ${shown.at(-1).remaining?.toFixed(0)} ms; alive again at frame ${lastDead + 1}, overlay gone at ${gone}`,
    );
    assert.ok(Math.abs(shownMs - RESPAWN_MS) <= 250, `shown for about the respawn delay (${shownMs} ms)`);
    assert.ok(shown[0].remaining >= RESPAWN_MS - 100, `the countdown starts at the delay (${shown[0].remaining} ms)`);
    assert.ok(shown.at(-1).remaining <= 250, `and had run down when bob came back (${shown.at(-1).remaining} ms left)`);
    assert.ok(gone <= lastDead + 2, `the overlay went with the respawn (gone at frame ${gone}, alive at ${lastDead + 1})`);
    assert.ok(shown.every((f) => f.dead !== false), 'never shown while bob was alive');
    // Bob watched his own respawn: the delay is now known, not assumed.
    const after = await state(bob);
    assert.equal(after.respawnDelayLearnt, true, 'the respawn delay was learnt');
    assert.ok(Math.abs(after.respawnDelayMs - RESPAWN_MS) < 1, `learnt ${after.respawnDelayMs} ms`);
    assert.deepEqual(errors, [], 'no console errors');
  });
});
