// A TCP proxy between the browser and the server, for the resume test: it can drop every connection without a
// WebSocket close frame (what a network loss looks like to both ends), refuse new connections for a while, and
// stall traffic in both directions (so the server stops hearing the client and closes it for being idle).

import { createServer, connect } from 'node:net';

/**
 * Listens on a free loopback port and forwards every connection to `host:port`.
 * @returns {Promise<{ url: string, port: number, drop: () => number, refuse: (on: boolean) => void,
 *   stall: (on: boolean) => void, close: () => Promise<void> }>}
 */
export async function startProxy(host, port) {
  /** @type {Set<{ client: import('node:net').Socket, upstream: import('node:net').Socket }>} */
  const pairs = new Set();
  let refusing = false;
  let stalled = false;

  const server = createServer({ pauseOnConnect: true }, (client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect({ host, port });
    const pair = { client, upstream };
    pairs.add(pair);
    const forward = (from, to) => {
      from.on('data', (d) => {
        if (!to.destroyed && to.writable) to.write(d);
      });
      from.on('end', () => to.end());
      from.on('error', () => undefined);
      from.on('close', () => {
        pairs.delete(pair);
        // Let what the other side still has to say go out, then close it too.
        if (!to.destroyed) to.end();
      });
    };
    forward(client, upstream);
    forward(upstream, client);
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
      const n = pairs.size;
      for (const { client, upstream } of pairs) {
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
    /** While on, no byte moves in either direction (the sockets stay open); off forwards what was held. */
    stall(on) {
      stalled = on;
      for (const { client, upstream } of pairs) {
        for (const s of [client, upstream]) {
          if (on) s.pause();
          else s.resume();
        }
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
