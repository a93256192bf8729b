// End-to-end: resuming after connection problems. Alice plays through a TCP proxy (e2e/proxy.mjs) that can cut
// her connection without a close frame, stall it until the server gives up on her (idle timeout, 4005), or keep
// her out until her resume token has expired (4006, then a fresh join). Bob plays directly and watches.
//
// Needs the same as two-players.test.mjs. Run with `npm run e2e`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinGame, state, unexpectedErrors } from './browser.mjs';
import { withGame } from './game.mjs';
import { startProxy } from './proxy.mjs';

const GRACE_S = 8;
const IDLE_S = 1.5;
/** How long the server waits for the reply to its close frame (server/src/closing.rs CLOSE_WRITE_TIMEOUT). */
const CLOSE_WAIT_S = 2;

/** Holds a movement key on `page` for `ms`, then waits for the last inputs to be acknowledged. */
async function walk(page, key, ms) {
  await page.bringToFront();
  await page.keyboard.down(key);
  await page.waitForTimeout(ms);
  await page.keyboard.up(key);
  // Every input sent so far (the idle ones keep coming) is applied.
  const { nextSeq } = await state(page);
  await page.waitForFunction((seq) => window.__tickwire.state().ack >= seq, nextSeq, { timeout: 5000 });
}

/** Waits until alice has resumed `n` times in all and is playing again. */
async function resumed(page, n, timeout) {
  await page
    .waitForFunction(
      (count) => {
        const s = window.__tickwire.state();
        return s.connected && s.resumes === count && s.tick !== null && s.entities[s.you] !== undefined;
      },
      n,
      { timeout },
    )
    .catch(async (e) => {
      throw new Error(`no resume #${n}: ${e.message}\nstate: ${JSON.stringify(await state(page).catch(() => null))}`);
    });
  return state(page);
}

test('resume: the same player after a dropped connection and an idle timeout; a fresh one after the grace period', {
  timeout: 120_000,
}, async (t) => {
  const args = ['--resume-grace', `${GRACE_S}s`, '--idle-timeout', `${IDLE_S}s`];
  await withGame(t, { args }, async ({ server, browser, errors, joinAs }) => {
    const proxy = await startProxy(server.host, server.port);
    // Closed once the browser and the server are (withGame's end), whatever happens.
    t.after(() => proxy.close());
    t.diagnostic(`proxy at ${proxy.url}`);
    const alice = await joinGame(browser, proxy.url, 'alice', errors);
    const bob = await joinAs('bob');
    const a0 = await state(alice);
    const id = a0.you;
    const key = a0.entities[id].x < a0.arena.width / 2 ? 'KeyD' : 'KeyA';
    const back = key === 'KeyD' ? 'KeyA' : 'KeyD';
    await walk(alice, key, 400);

    // 1. The network drops (1006 for the page, no close frame for the server): the page reconnects with the token.
    const before = await state(alice);
    assert.ok(before.resumable, 'the page holds a resume token');
    assert.ok(before.ack > 0, `some inputs were applied (ack ${before.ack})`);
    const dropped = proxy.drop();
    t.diagnostic(`dropped ${dropped} connection(s) at ack ${before.ack}, next seq ${before.nextSeq}`);
    const r1 = await resumed(alice, 1, 10_000);
    assert.equal(r1.you, id, 'the same entity after the resume');
    assert.ok(r1.resumed, 'the welcome answered the token');
    assert.equal(r1.closes.at(-1).code, 1006, `the drop was seen as 1006: ${JSON.stringify(r1.closes)}`);
    assert.deepEqual(
      { x: r1.entities[id].x, y: r1.entities[id].y, health: r1.entities[id].health, score: r1.entities[id].score },
      { x: before.entities[id].x, y: before.entities[id].y, health: before.entities[id].health, score: before.entities[id].score },
      'position, health and score are kept',
    );
    assert.ok(r1.ack >= before.ack, `the server's ack carries over (${before.ack} → ${r1.ack})`);
    assert.ok(await alice.isHidden('#status'), 'the status overlay is gone once resumed');
    // Bob never saw alice leave.
    assert.ok((await state(bob)).entities[id], 'bob still sees alice');

    // Inputs after the resume carry higher seqs and move the player (replayed seqs would be ignored).
    await walk(alice, back, 400);
    const moved = await state(alice);
    assert.ok(moved.ack >= before.nextSeq, `inputs sent after the resume were applied (ack ${moved.ack})`);
    const dx = Math.abs(moved.entities[id].x - r1.entities[id].x);
    assert.ok(dx > 40, `alice moves after the resume (${dx.toFixed(1)} units)`);
    assert.ok(
      Math.abs(moved.predicted.x - moved.entities[id].x) <= 1 / 16,
      `prediction agrees with the server after the resume (${moved.predicted.x} vs ${moved.entities[id].x})`,
    );

    // 2. Traffic stalls: the server closes alice for not answering pings (4005) and holds her player. It notices
    // at its first ping tick (every IDLE/3) after IDLE of silence, sends the close frame and waits up to 2 s for
    // her reply before it drops the connection. The stall lasts until it has dropped it: the proxy holds the close
    // frame (read, out of reach of a reset) and hands it over with the end of the connection when the stall ends.
    // Released any earlier, the page's held inputs would reach the server and could count as an answer.
    proxy.stall(true);
    const stalledAt = Date.now();
    await proxy.serverClosed(IDLE_S * 1000 + IDLE_S * 333 + CLOSE_WAIT_S * 1000 + 5000);
    t.diagnostic(`the server dropped the stalled connection after ${Date.now() - stalledAt} ms`);
    proxy.stall(false);
    const r2 = await resumed(alice, 2, 15_000);
    assert.equal(r2.you, id, 'the same entity after the idle timeout');
    assert.ok(
      r2.closes.some((c) => c.code === 4005),
      `the idle timeout was reported as 4005: ${JSON.stringify(r2.closes.map((c) => c.code))}`,
    );
    assert.ok(r2.nextSeq > moved.nextSeq - 1, 'the seq still counts up');

    // 3. Alice stays away longer than the grace period: the token is refused (4006) and she joins anew.
    proxy.drop();
    proxy.refuse(true);
    await alice.waitForTimeout(GRACE_S * 1000 + 1000);
    proxy.refuse(false);
    await alice
      .waitForFunction(
        (old) => {
          const s = window.__tickwire.state();
          return s.connected && s.you !== null && s.you !== old && s.entities[s.you] !== undefined;
        },
        id,
        { timeout: 30_000 },
      )
      .catch(async (e) => {
        throw new Error(`no fresh join: ${e.message}\nstate: ${JSON.stringify(await state(alice).catch(() => null))}`);
      });
    const r3 = await state(alice);
    const codes = r3.closes.map((c) => c.code);
    t.diagnostic(`closes seen by alice: ${codes.join(', ')}; new entity ${r3.you} (was ${id})`);
    assert.equal(codes.at(-1), 4006, 'the stale token was refused with 4006');
    assert.match(r3.closes.at(-1).message, /resume refused/i);
    assert.equal(r3.resumed, false, 'a fresh player');
    assert.equal(r3.resumes, 2);
    assert.ok(r3.resumable, 'the fresh welcome brought a new token');
    await bob.waitForFunction((old) => window.__tickwire.state().entities[old] === undefined, id, { timeout: 5000 });

    const log = server.log();
    assert.equal((log.match(/player resumed/g) ?? []).length, 2, 'the server logged two resumes');
    // Chromium logs every failed WebSocket attempt (the refused ones above), and the page's failed questions to
    // /status about them, as console errors: expected here.
    assert.deepEqual(unexpectedErrors(errors), [], 'no other console errors');
  });
});
