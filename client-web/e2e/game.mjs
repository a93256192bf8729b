// Shared by the Chromium end-to-end tests: the setup and teardown each of them repeated. One real server (and, if
// asked, tickwire-bots) and one headless Chromium for a test, all stopped whatever happens.

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { joinGame, launch } from './browser.mjs';
import { startBots, startServer } from './server.mjs';

/** Where screenshots go: client-web/test-results/ (made by `withGame`). */
export const RESULTS = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'test-results');

/**
 * @typedef {object} Game
 * @property {Awaited<ReturnType<typeof startServer>>} server  the running server (`url`, `host`, `port`, `log()`;
 *   `stop()` may be called early: stopping again does nothing)
 * @property {ReturnType<typeof startBots> | null} bots  the bots, when `options.bots` asked for them
 * @property {import('playwright-core').Browser} browser  headless Chromium (browser.mjs `launch`)
 * @property {string[]} errors  console and page errors of the pages opened with `joinAs` (assert on it at the end)
 * @property {(name: string, viewport?: { width: number, height: number }) => Promise<import('playwright-core').Page>} joinAs
 *   opens the client in a fresh context and joins the game as `name` (browser.mjs `joinGame`, recording into `errors`)
 */

/**
 * Starts a server (`options.args` after `--bind 127.0.0.1:0`), then the bots (`options.bots`: tickwire-bots arguments
 * after `--url … --quiet`; none when null) and Chromium, runs `body`, and stops everything (the browser, the bots,
 * then the server) whether it passed or threw. On a failure the server's and the bots' logs are printed.
 * @param {import('node:test').TestContext} t  for the diagnostics
 * @param {{ args?: string[], bots?: string[] | null }} options
 * @param {(game: Game) => Promise<void>} body
 */
export async function withGame(t, options, body) {
  const { args = [], bots: botArgs = null } = options;
  mkdirSync(RESULTS, { recursive: true });
  const server = await startServer({ args });
  t.diagnostic(`server at ${server.url}${args.length > 0 ? ` with ${args.join(' ')}` : ''}`);
  let bots = null;
  let browser = null;
  try {
    if (botArgs) bots = startBots(server, botArgs);
    browser = await launch();
    const errors = [];
    const opened = browser;
    const joinAs = (name, viewport) => joinGame(opened, server.url, name, errors, viewport);
    await body({ server, bots, browser, errors, joinAs });
  } catch (e) {
    console.error(server.log());
    if (bots) console.error(bots.log());
    throw e;
  } finally {
    await browser?.close().catch(() => undefined);
    await bots?.stop();
    await server.stop();
  }
}
