// Shared by the end-to-end tests: launching Debian's Chromium and joining the game from a fresh page.

import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Two pages play at once: neither may be throttled as a background tab.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 30_000 });
}

/** Opens the client in a fresh context (`viewport`: CSS pixels), records console errors, joins with `name`. */
export async function joinGame(browser, url, name, errors, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`[${name}] console error: ${consoleText(m)}`);
  });
  page.on('pageerror', (e) => errors.push(`[${name}] page error: ${e.message}`));
  await page.goto(url, { waitUntil: 'load', timeout: 15_000 });
  await page.fill('#name', name);
  await page.click('#join-button');
  await page
    .waitForFunction(
      () => {
        const s = window.__tickwire?.state();
        return !!s && s.connected && s.you !== null && s.entities[s.you] !== undefined && s.renderTick !== null;
      },
      null,
      { timeout: 10_000 },
    )
    .catch(async (e) => {
      const s = await page.evaluate(() => window.__tickwire?.state()).catch(() => null);
      throw new Error(`${name} did not join: ${e.message}\nstate: ${JSON.stringify(s)}`);
    });
  return page;
}

export const state = (page) => page.evaluate(() => window.__tickwire.state());

/** A console message's text, with the resource it is about for a failed load (Chromium names none in the text). */
export function consoleText(m) {
  const url = m.location()?.url;
  return /^Failed to load resource/.test(m.text()) && url ? `${m.text()} (${url})` : m.text();
}

/**
 * The console errors left once those that a connection refused or cut on purpose causes are taken out: Chromium
 * logs every failed WebSocket attempt, and every failed request for /status (which the page makes after an attempt
 * that never opened, to learn why) as errors.
 */
export function unexpectedErrors(errors) {
  return errors.filter(
    (e) =>
      !/WebSocket connection to '[^']*' failed/.test(e) && !/Failed to load resource: .*\(https?:\/\/[^)]*\/status\)$/.test(e),
  );
}
