// End-to-end: the real server binary, two real Chromium pages, one player moves, the other one sees it.
//
// Needs Debian's chromium (`apt-get install -y chromium`) and a built server (`cargo build -p tickwire-server`,
// which also builds and embeds this client). Run with `npm run e2e`.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { state } from './browser.mjs';
import { RESULTS, withGame } from './game.mjs';

test('two players: a move on one page is seen on the other', { timeout: 120_000 }, async (t) => {
  await withGame(t, {}, async ({ server, errors, joinAs }) => {
    const alice = await joinAs('alice');
    const bob = await joinAs('bob');

    const a0 = await state(alice);
    const aliceId = a0.you;
    // Held and drawn: the renderer draws an entity a frame or two after its first delta arrives.
    await bob.waitForFunction(
      (id) => window.__tickwire.state().entities[id] !== undefined && window.__tickwire.state().drawn.some((d) => d.id === id),
      aliceId,
      { timeout: 5000, polling: 'raf' },
    );
    const before = (await state(bob)).entities[aliceId];
    assert.equal(before.name, 'alice', "bob sees alice's name");
    const beforeDrawn = (await state(bob)).drawn.find((d) => d.id === aliceId);
    assert.ok(beforeDrawn, "bob's renderer draws alice");

    // Record, every animation frame, where each page draws alice (the renderer's own last frame).
    const record = (id) => {
      window.__trace = [];
      const step = (ts) => {
        const s = window.__tickwire.state();
        const d = s.drawn.find((v) => v.id === id);
        // With the newest server state held: its tick and alice's x there.
        if (d) window.__trace.push([ts, d.x, d.y, s.tick, s.entities[id]?.x]);
        if (window.__trace.length < 2000) requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    };
    await alice.evaluate(record, aliceId);
    await bob.evaluate(record, aliceId);

    // Hold a movement key on alice's page, towards the middle of the arena.
    const key = before.x < a0.arena.width / 2 ? 'KeyD' : 'KeyA';
    const sign = key === 'KeyD' ? 1 : -1;
    await alice.bringToFront();
    await alice.mouse.move(640, 100);
    await alice.keyboard.down(key);
    await alice.waitForTimeout(1000);
    await alice.keyboard.up(key);
    // Let the last inputs reach the server and bob's interpolation catch up (it draws ~2 ticks behind).
    await alice.waitForTimeout(600);

    // Inputs go out one per tick, so a few are always in flight; on a starved machine (CI runs this beside other
    // work) one sample can catch a tick that ran late. Acknowledged promptly = the backlog drains within 3 s.
    const pendingAtRelease = (await state(alice)).pending;
    const drained = await alice
      .waitForFunction(() => window.__tickwire.state().pending <= 2, null, { timeout: 3000, polling: 'raf' })
      .then(() => true)
      .catch(() => false);
    const aliceSelf = await state(alice);
    // Alice's inputs are timed to reach the server a margin before its tick reads them (src/net/timing.ts): the
    // search found the read (crossing it once or twice, each a missed read) and holds a margin of an eighth to a
    // quarter of a tick. (Whether the timing lowers the latency is asserted against a scripted server in
    // test/connection.test.ts; here the latency is printed, and the smoothness checks below show the search does
    // not make alice stall in bob's view.)
    const timing = aliceSelf.inputTiming;
    const tickMs = 1000 / aliceSelf.tickRate;
    t.diagnostic(
      `alice's input timing: median latency ${timing?.latencyMs?.toFixed(1)} ms (tick ${tickMs.toFixed(1)} ms), ` +
        `margin ${timing?.marginMs?.toFixed(1)} ms, ${timing?.late} inputs missed their read`,
    );
    assert.ok(timing && timing.settled, `the input timing found the read: ${JSON.stringify(timing)}`);
    assert.ok(timing.marginMs <= tickMs / 4, `margin ${timing.marginMs} ms, above a quarter tick`);
    // Finding the read costs one or two misses, a busy machine a few more; a search that keeps missing (a broken
    // one missed 49) fails here.
    assert.ok(timing.late <= 10, `${timing.late} inputs missed their read`);
    const bobView = await state(bob);
    const after = bobView.entities[aliceId];
    const moved = (after.x - before.x) * sign;
    t.diagnostic(`alice moved ${moved.toFixed(2)} units as bob sees her (x ${before.x} → ${after.x})`);
    assert.ok(moved > 100, `bob should see alice move > 100 units ${key === 'KeyD' ? 'right' : 'left'}, saw ${moved}`);
    assert.equal(after.y, before.y, 'a horizontal move keeps y');
    const drawn = bobView.drawn.find((d) => d.id === aliceId);
    assert.ok(Math.abs(drawn.x - after.x) < 1, `bob draws alice where she is once she stopped (${drawn.x} vs ${after.x})`);
    // Alice's own prediction agrees with the server once everything is acknowledged.
    t.diagnostic(
      `alice: ${aliceSelf.pending} inputs unacknowledged, ${aliceSelf.skippedInputs} idle ones skipped to drain a ` +
        `backlog, ${aliceSelf.heldInputs} held back while acks were late`,
    );
    t.diagnostic(`alice: ${pendingAtRelease} inputs pending 600 ms after the key was released`);
    assert.ok(drained, `alice's inputs are acknowledged within 3 s (${aliceSelf.pending} pending)`);
    const own = aliceSelf.entities[aliceId];
    assert.ok(
      Math.abs(aliceSelf.predicted.x - own.x) <= 1 / 16 && Math.abs(aliceSelf.predicted.y - own.y) <= 1 / 16,
      `alice's prediction ${JSON.stringify(aliceSelf.predicted)} matches the server ${own.x},${own.y}`,
    );
    assert.ok(aliceSelf.lastCorrection < 0.1, `reconciliation corrections stay tiny (${aliceSelf.lastCorrection})`);
    assert.ok(aliceSelf.rttMs !== null, 'the ping/pong round trip is measured');
    // The HUD's ping is the network path (the smallest recent round trip), not the server's read wait on top.
    t.diagnostic(
      `alice: HUD ping ${aliceSelf.pingMs?.toFixed(1)} ms; raw round trips: newest ${aliceSelf.rttLastMs?.toFixed(1)} ms, ` +
        `smoothed ${aliceSelf.rttMs?.toFixed(1)} ms`,
    );
    assert.ok(aliceSelf.pingMs !== null && aliceSelf.pingMs <= aliceSelf.rttMs, 'the HUD ping is at most the raw one');
    assert.ok(Object.values(bobView.entities).some((e) => e.name === 'bob'), 'bob sees himself');

    // Smoothness: while alice moves, neither page draws her going backwards, jumping, or stopping.
    for (const [who, page] of [['alice (predicted)', alice], ['bob (interpolated)', bob]]) {
      const trace = await page.evaluate(() => window.__trace);
      const speeds = [];
      for (let i = 1; i < trace.length; i++) {
        const dt = (trace[i][0] - trace[i - 1][0]) / 1000;
        if (dt > 0) speeds.push({ v: ((trace[i][1] - trace[i - 1][1]) * sign) / dt, dt, x: trace[i][1] });
      }
      // Only the frames in the middle of the move (the ends accelerate and stop by design).
      const x0 = trace[0][1];
      const moving = speeds.filter((s) => Math.abs(s.x - x0) > 40 && Math.abs(s.x - after.x) > 40);
      const max = Math.max(...moving.map((s) => s.v));
      const min = Math.min(...moving.map((s) => s.v));
      const stalls = moving.filter((s) => s.v < 0.5 * 220).length;
      t.diagnostic(
        `${who}: ${moving.length} frames mid-move, speed min ${min.toFixed(0)} max ${max.toFixed(0)} units/s, ` +
          `slow frames ${stalls}`,
      );
      assert.ok(moving.length > 20, `${who}: enough frames recorded mid-move (${moving.length})`);
      assert.ok(min >= 0, `${who}: never drawn moving backwards (min speed ${min})`);
      // The server moves alice 220 units/s, but after it stalled (a starved machine: "tick loop fell far
      // behind") it applies her banked inputs, two steps in one tick; the page must then show that, no faster.
      const serverSpeed = Math.max(220, fastestServerStep(trace) * 30);
      t.diagnostic(`${who}: the server's fastest step ${(fastestServerStep(trace) * 30).toFixed(0)} units/s`);
      assert.ok(
        max < serverSpeed * 1.5,
        `${who}: never jumps (max speed ${max} units/s, the server's fastest ${serverSpeed.toFixed(0)})`,
      );
      assert.ok(stalls <= 2, `${who}: at most 2 slow frames mid-move (${stalls})`);
    }

    // The HUD and scoreboard show up.
    const hud = await alice.textContent('#stats');
    assert.match(hud ?? '', /ping .* ms · \d+ Hz · ↓ .*\/s · \d+ fps/, `HUD text: ${hud}`);
    const board = await alice.textContent('#scoreboard');
    assert.ok(board?.includes('alice') && board.includes('bob'), `scoreboard lists both: ${board}`);
    const fps = await alice.evaluate(() => window.__tickwire.fps());
    t.diagnostic(`alice renders at ${fps.toFixed(0)} fps; hud: ${hud}`);

    // Aim at bob and fire for a moment, so the screenshot shows projectiles (where the server has shooting).
    const bobNow = (await state(alice)).drawn.find((d) => d.id === bobView.you);
    const target = await alice.evaluate(
      ({ x, y }) => {
        const c = document.getElementById('arena');
        const s = window.__tickwire.state();
        const scale = Math.min((c.clientWidth - 32) / s.arena.width, (c.clientHeight - 60) / s.arena.height);
        const ox = (c.clientWidth - s.arena.width * scale) / 2;
        const oy = 44 + (c.clientHeight - 60 - s.arena.height * scale) / 2;
        return { x: ox + x * scale, y: oy + y * scale };
      },
      bobNow ?? { x: 800, y: 500 },
    );
    await alice.mouse.move(target.x, target.y);
    await alice.mouse.down();
    await alice.waitForTimeout(450);
    const shot = join(RESULTS, 'two-players.png');
    await alice.screenshot({ path: shot });
    await alice.mouse.up();
    await bob.screenshot({ path: join(RESULTS, 'two-players-bob.png') });
    t.diagnostic(`screenshots: ${shot}`);

    assert.deepEqual(errors, [], 'no console errors');

    // Shutting the server down shows the reason on both pages.
    await server.stop();
    for (const page of [alice, bob]) {
      await page.waitForFunction(() => window.__tickwire.state().lastClose !== null, null, { timeout: 10_000 });
      const close = (await state(page)).lastClose;
      assert.equal(close.code, 1001, `close code after shutdown: ${JSON.stringify(close)}`);
      assert.ok(close.transient, 'a shutdown is transient: the page will reconnect by itself');
      assert.ok(await page.isVisible('#status'), 'the status overlay is shown');
    }
    t.diagnostic(`after shutdown: ${await alice.textContent('#status-text')}`);
    // The reconnect attempts (the first after 0.5 s) fail; the last frame stays on screen, dimmed, meanwhile (every
    // attempt clears the session's world: the arena used to vanish with the first).
    await alice.waitForFunction(() => window.__tickwire.state().closes.filter((c) => c.code === 1006).length >= 1, null, {
      timeout: 10_000,
    });
    await alice.waitForTimeout(300);
    const offline = await alice.evaluate(() => {
      const c = document.getElementById('arena');
      const g = c.getContext('2d');
      const img = g.getImageData(0, 0, c.width, c.height).data;
      // The page's background is #0d1117; the arena's floor and everything on it is not.
      let drawn = 0;
      let n = 0;
      for (let y = 0; y < c.height; y += 16) {
        for (let x = 0; x < c.width; x += 16) {
          const i = (y * c.width + x) * 4;
          n++;
          if (img[i] !== 0x0d || img[i + 1] !== 0x11 || img[i + 2] !== 0x17) drawn++;
        }
      }
      return {
        drawn: drawn / n,
        held: window.__tickwire.camera().held,
        phase: window.__tickwire.state().phase,
        dimmed: getComputedStyle(c).filter,
      };
    });
    t.diagnostic(`offline: ${JSON.stringify(offline)}`);
    assert.ok(offline.held, 'the last frame is held while reconnecting');
    assert.ok(offline.drawn > 0.3, `the arena stays on screen while reconnecting (${(offline.drawn * 100).toFixed(0)} % drawn)`);
    assert.match(offline.dimmed, /grayscale/, 'the arena is dimmed while offline');
    await alice.screenshot({ path: join(RESULTS, 'server-shutdown.png') });
  });
});

/** The largest move of alice between two consecutive server ticks, in the states a page received. */
function fastestServerStep(trace) {
  let fastest = 0;
  for (let i = 1; i < trace.length; i++) {
    const [, , , t0, x0] = trace[i - 1];
    const [, , , t1, x1] = trace[i];
    if (t1 === t0 + 1 && x0 !== undefined && x1 !== undefined) fastest = Math.max(fastest, Math.abs(x1 - x0));
  }
  return fastest;
}
