// A TCP proxy between the browser and the server, for the resume test: it can drop every connection without a
// WebSocket close frame (what a network loss looks like to both ends), refuse new connections for a while, and
// stall traffic in both directions (so the server stops hearing the client and closes it for being idle).
//
// While stalled, what the page sends waits in the kernel (its socket is paused), but what the server sends is read
// and held here, along with the end of the server's connection: a server that gives up on the page sends its close
// frame and then drops the connection, and that close frame must reach the page when the stall ends. Left in a
// kernel buffer, it could be discarded by a reset (when the page's held bytes are written to the dead connection).

import { createServer, connect } from 'node:net';

/**
 * Listens on a free loopback port and forwards every connection to `host:port`.
 * @returns {Promise<{ url: string, port: number, drop: () => number, refuse: (on: boolean) => void,
 *   stall: (on: boolean) => void, serverClosed: (timeoutMs: number) => Promise<void>, close: () => Promise<void> }>}
 */
export async function startProxy(host, port) {
  /**
   * Open connections; a pair stays here until both sockets are closed.
   * @type {Set<{ client: import('node:net').Socket, upstream: import('node:net').Socket, held: Buffer[],
   *   upstreamEnded: boolean, upstreamClosed: boolean }>}
   */
  const pairs = new Set();
  let refusing = false;
  let stalled = false;

  const server = createServer({ pauseOnConnect: true }, (client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host, port });
    const pair = { client, upstream, held: [], upstreamEnded: false, upstreamClosed: false };
    pairs.add(pair);
    const forget = () => {
      if (client.destroyed && upstream.destroyed) pairs.delete(pair);
    };
    // Page → server (paused while stalled).
    client.on('data', (d) => {
      if (!upstream.destroyed && upstream.writable) upstream.write(d);
    });
    client.on('end', () => upstream.end());
    client.on('error', () => undefined);
    client.on('close', () => {
      forget();
      // Let what the server still has to say go out, then close it too.
      if (!upstream.destroyed) upstream.end();
    });
    // Server → page (held here while stalled, including the end of the connection).
    upstream.on('data', (d) => {
      if (stalled) pair.held.push(d);
      else if (!client.destroyed && client.writable) client.write(d);
    });
    upstream.on('end', () => {
      pair.upstreamEnded = true;
      if (!stalled) client.end();
    });
    upstream.on('error', () => undefined);
    upstream.on('close', () => {
      pair.upstreamClosed = true;
      forget();
      if (!stalled && !client.destroyed) client.end();
    });
    upstream.on('connect', () => {
      if (!stalled) client.resume();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const proxyPort = server.address().port;

  return {
    port: proxyPort,
    url: `http://127.0.0.1:${proxyPort}/`,
    /** Resets every connection at once (no close frame reaches either side); returns how many were open. */
    drop() {
      let n = 0;
      for (const { client, upstream, held } of pairs) {
        if (!client.destroyed) n++;
        held.length = 0;
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      }
      pairs.clear();
      return n;
    },
    /** While on, new connections are reset as soon as they arrive (the browser sees its WebSocket fail). */
    refuse(on) {
      refusing = on;
    },
    /**
     * While on, no byte reaches either end (the sockets stay open); off delivers what the server sent meanwhile,
     * then the end of its connection if it ended, and forwards what the page held back.
     */
    stall(on) {
      stalled = on;
      for (const pair of pairs) {
        const { client } = pair;
        if (on) {
          client.pause();
          continue;
        }
        if (!client.destroyed && client.writable) for (const d of pair.held) client.write(d);
        pair.held.length = 0;
        // The end of the connection follows a moment later, as it did from the server (which waited for the
        // page's reply to its close frame): arriving together with the close frame, it sometimes made Chromium
        // fail the connection (1006) instead of completing the close. 250 ms was not always enough on a machine
        // busy with a build (CI saw 1006 once); a second is, and Chromium completes the close as soon as it ends.
        if (pair.upstreamEnded || pair.upstreamClosed) setTimeout(() => client.end(), 1000);
        client.resume();
      }
    },
    /** Resolves once the server has closed every connection open now (rejects after `timeoutMs`). */
    async serverClosed(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while ([...pairs].some((p) => !p.upstreamClosed)) {
        if (Date.now() > deadline) throw new Error(`the server did not close its connections within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
