// Starts the tickwire server binary on a free loopback port and stops it again, for the end-to-end test.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLIENT_WEB = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LISTENING = /listening on http:\/\/([0-9.]+):([0-9]+)/;

/** The server binary: $TICKWIRE_SERVER_BIN, or ../target/debug/tickwire-server from client-web/. */
export function serverBinary() {
  return resolve(CLIENT_WEB, process.env.TICKWIRE_SERVER_BIN ?? '../target/debug/tickwire-server');
}

/**
 * Spawns the server with `--bind 127.0.0.1:0` (plus `args`) and resolves once its stderr says where it listens.
 * @returns {Promise<{ url: string, host: string, port: number, child: import('node:child_process').ChildProcess, log: () => string, stop: () => Promise<void> }>}
 */
export async function startServer({ timeoutMs = 30_000, args = [] } = {}) {
  const bin = serverBinary();
  if (!existsSync(bin)) {
    throw new Error(
      `server binary not found at ${bin}: build it with \`cargo build -p tickwire-server\` (from the repository ` +
        `root) or set TICKWIRE_SERVER_BIN`,
    );
  }
  const child = spawn(bin, ['--bind', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', RUST_LOG: process.env.RUST_LOG ?? 'info' },
  });
  let stderr = '';
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  const exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
    await exited;
    clearTimeout(timer);
  };

  const address = await new Promise((resolveAddr, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the server did not print "listening on http://..." within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
      // eslint-disable-next-line no-control-regex
      const m = LISTENING.exec(stderr.replace(/\x1b\[[0-9;]*m/g, ''));
      if (m) {
        clearTimeout(timer);
        resolveAddr({ host: m[1], port: Number(m[2]) });
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${bin}: ${e.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the server exited early (code ${code}, signal ${signal}); stderr:\n${stderr}`));
    });
  }).catch(async (e) => {
    await stop();
    throw e;
  });

  return {
    ...address,
    url: `http://${address.host}:${address.port}/`,
    child,
    log: () => `--- server stderr ---\n${stderr}\n--- server stdout ---\n${stdout}`,
    stop,
    exited,
  };
}

/** The bots binary: $TICKWIRE_BOTS_BIN, or tickwire-bots next to the server binary. */
export function botsBinary() {
  return process.env.TICKWIRE_BOTS_BIN
    ? resolve(CLIENT_WEB, process.env.TICKWIRE_BOTS_BIN)
    : resolve(dirname(serverBinary()), 'tickwire-bots');
}

/**
 * Starts `tickwire-bots` against `server` (`args` after `--url`): they play until `stop()` (or their `--duration`).
 * @returns {{ child: import('node:child_process').ChildProcess, log: () => string, stop: () => Promise<void> }}
 */
export function startBots(server, args = []) {
  const bin = botsBinary();
  if (!existsSync(bin)) {
    throw new Error(
      `bots binary not found at ${bin}: build it with \`cargo build -p tickwire-bots\` (from the repository ` +
        `root) or set TICKWIRE_BOTS_BIN`,
    );
  }
  const child = spawn(bin, ['--url', `ws://${server.host}:${server.port}/ws`, '--quiet', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (output += d));
  child.once('error', (e) => (output += `could not start ${bin}: ${e.message}\n`));
  const exited = new Promise((resolveExit) => child.once('close', resolveExit));
  return {
    child,
    log: () => `--- bots output ---\n${output}`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(timer);
    },
  };
}
