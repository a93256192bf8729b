// End-to-end in Firefox: the real server binary, two real Firefox pages, one player moves, the other one sees it.
// Puppeteer (puppeteer-core) drives Debian's stock Firefox ESR over WebDriver BiDi: Playwright's Firefox support
// needs its own patched Firefox builds, which cannot be fetched here. Smoothness is checked by the Chromium test;
// this one checks that the client joins, plays and renders in Firefox, without console errors.
//
// Needs Debian's firefox-esr (`apt-get install -y firefox-esr`, or set FIREFOX_PATH) and a built server
// (`cargo build -p tickwire-server`). Run with `npm run e2e:firefox` (`npm run e2e` runs it too).

import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { startServer } from './server.mjs';

const RESULTS = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'test-results');
const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
const VIEWPORT = { width: 1280, height: 800 };

// On top of puppeteer's own test profile (which already turns off updates, safebrowsing, health reports, the
// blocklist server and more): the network is closed, so nothing may try to phone home or wait for an answer.
const OFFLINE_PREFS = {
  'app.update.enabled': false,
  'app.update.auto': false,
  'app.update.staging.enabled': false,
  'app.update.service.enabled': false,
  'app.normandy.enabled': false,
  'app.shield.optoutstudies.enabled': false,
  'browser.aboutwelcome.enabled': false,
  'browser.discovery.enabled': false,
  'browser.newtabpage.activity-stream.feeds.telemetry': false,
  'browser.newtabpage.activity-stream.telemetry': false,
  'browser.newtabpage.activity-stream.feeds.snippets': false,
  'browser.newtabpage.activity-stream.feeds.section.topstories': false,
  'browser.ping-centre.telemetry': false,
  'browser.region.network.url': '',
  'browser.region.update.enabled': false,
  'browser.safebrowsing.provider.google4.updateURL': '',
  'browser.safebrowsing.provider.google.updateURL': '',
  'browser.safebrowsing.provider.mozilla.updateURL': '',
  'browser.topsites.contile.enabled': false,
  'captivedetect.canonicalURL': '',
  'datareporting.policy.dataSubmissionEnabled': false,
  'doh-rollout.disable-heuristics': true,
  'extensions.blocklist.enabled': false,
  'extensions.systemAddon.update.enabled': false,
  'extensions.getAddons.discovery.api_url': '',
  'geo.provider.network.url': '',
  'identity.fxaccounts.enabled': false,
  'media.gmp-gmpopenh264.enabled': false,
  'media.gmp-widevinecdm.enabled': false,
  'messaging-system.rsexperimentloader.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.trr.mode': 5,
  'privacy.query_stripping.enabled': false,
  'security.OCSP.enabled': 0,
  'security.remote_settings.crlite_filters.enabled': false,
  'security.remote_settings.intermediates.enabled': false,
  'services.settings.server': 'http://127.0.0.1:9/',
  'services.sync.enabled': false,
  'toolkit.telemetry.enabled': false,
  'toolkit.telemetry.unified': false,
  'toolkit.telemetry.archive.enabled': false,
  'toolkit.telemetry.server': '',
  'toolkit.telemetry.shutdownPingSender.enabled': false,
  'toolkit.telemetry.newProfilePing.enabled': false,
  'toolkit.telemetry.firstShutdownPing.enabled': false,
  'toolkit.telemetry.bhrPing.enabled': false,
  'toolkit.telemetry.updatePing.enabled': false,
  'toolkit.coverage.opt-out': true,
  // Two pages play at once: neither may be throttled while it is not the focused one.
  'dom.min_background_timeout_value': 4,
  'dom.timeout.enable_budget_timer_throttling': false,
  'dom.suspend_inactive.enabled': false,
  'layout.throttled_frame_rate': 60,
  'focusmanager.testmode': true,
  // Belt and braces: whatever else still wants the internet goes to a proxy that is not there (loopback addresses
  // bypass proxies, so the game server is reached directly), and the host names are not even looked up.
  'network.proxy.type': 1,
  'network.proxy.http': '127.0.0.1',
  'network.proxy.http_port': 9,
  'network.proxy.ssl': '127.0.0.1',
  'network.proxy.ssl_port': 9,
  'network.proxy.share_proxy_settings': true,
  'network.proxy.no_proxies_on': 'localhost, 127.0.0.1, ::1',
  'network.proxy.allow_hijacking_localhost': false,
};

/** Opens the client in its own browser context and window, records console errors, joins with `name`. */
async function joinGame(browser, url, name, errors) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage({ type: 'window' });
  await page.setViewport(VIEWPORT);
  page.setDefaultTimeout(30_000);
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`[${name}] console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`[${name}] page error: ${e?.message ?? e}`));
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  await page.type('#name', name);
  await page.click('#join-button');
  await page
    .waitForFunction(
      () => {
        const s = window.__tickwire?.state();
        return !!s && s.connected && s.you !== null && s.entities[s.you] !== undefined && s.renderTick !== null;
      },
      { timeout: 20_000, polling: 100 },
    )
    .catch(async (e) => {
      const s = await page.evaluate(() => window.__tickwire?.state()).catch(() => null);
      throw new Error(`${name} did not join: ${e.message}\nstate: ${JSON.stringify(s)}`);
    });
  return page;
}

const state = (page) => page.evaluate(() => window.__tickwire.state());
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('firefox: two players, a move on one page is seen on the other', { timeout: 180_000 }, async (t) => {
  if (!existsSync(FIREFOX)) {
    throw new Error(`Firefox not found at ${FIREFOX}: \`apt-get install -y firefox-esr\`, or set FIREFOX_PATH`);
  }
  mkdirSync(RESULTS, { recursive: true });
  const server = await startServer();
  t.diagnostic(`server at ${server.url}`);
  let browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      defaultViewport: VIEWPORT,
      timeout: 60_000,
      protocolTimeout: 60_000,
      extraPrefsFirefox: OFFLINE_PREFS,
      // Release builds only honour `services.settings.server` (Remote Settings) when this is set.
      env: { ...process.env, MOZ_REMOTE_SETTINGS_DEVTOOLS: '1' },
      // Firefox writes its own chatter to stderr; keep it out of the test output unless asked for.
      dumpio: process.env.FIREFOX_DUMPIO === '1',
    });
    t.diagnostic(`browser: ${await browser.version()}`);
    const errors = [];
    const alice = await joinGame(browser, server.url, 'alice', errors);
    const bob = await joinGame(browser, server.url, 'bob', errors);
    const ua = await alice.evaluate(() => navigator.userAgent);
    assert.match(ua, /Firefox\//, `the page runs in Firefox: ${ua}`);

    const a0 = await state(alice);
    const aliceId = a0.you;
    await bob.waitForFunction((id) => window.__tickwire.state().entities[id] !== undefined, { timeout: 10_000 }, aliceId);
    const before = (await state(bob)).entities[aliceId];
    assert.equal(before.name, 'alice', "bob sees alice's name");

    // Hold a movement key on alice's page, towards the middle of the arena.
    const key = before.x < a0.arena.width / 2 ? 'KeyD' : 'KeyA';
    const sign = key === 'KeyD' ? 1 : -1;
    await alice.bringToFront();
    await alice.mouse.move(640, 100);
    await alice.keyboard.down(key);
    await sleep(1000);
    await alice.keyboard.up(key);

    // Bob sees alice move: poll generously (a loaded machine may deliver late), no smoothness thresholds here.
    await bob
      .waitForFunction(
        (id, x0, s) => {
          const e = window.__tickwire.state().entities[id];
          return !!e && (e.x - x0) * s > 100;
        },
        { timeout: 15_000, polling: 100 },
        aliceId,
        before.x,
        sign,
      )
      .catch(async (e) => {
        const seen = (await state(bob).catch(() => null))?.entities?.[aliceId];
        throw new Error(`bob did not see alice move > 100 units: ${e.message}\nbob sees alice at ${JSON.stringify(seen)}`);
      });
    // Let alice's last inputs be acknowledged and bob's view settle.
    const { nextSeq } = await state(alice);
    await alice.waitForFunction((seq) => window.__tickwire.state().ack >= seq, { timeout: 15_000 }, nextSeq);
    await sleep(800);

    const aliceSelf = await state(alice);
    const bobView = await state(bob);
    const after = bobView.entities[aliceId];
    const moved = (after.x - before.x) * sign;
    t.diagnostic(`alice moved ${moved.toFixed(2)} units as bob sees her (x ${before.x} → ${after.x})`);
    assert.ok(moved > 100, `bob should see alice move > 100 units ${key === 'KeyD' ? 'right' : 'left'}, saw ${moved}`);
    assert.equal(after.y, before.y, 'a horizontal move keeps y');
    assert.equal(aliceSelf.entities[aliceId].x, after.x, 'alice and bob agree on where alice is');
    const drawn = bobView.drawn.find((d) => d.id === aliceId);
    assert.ok(drawn, "bob's renderer draws alice");
    assert.ok(Math.abs(drawn.x - after.x) < 1, `bob draws alice where she is once she stopped (${drawn.x} vs ${after.x})`);
    assert.ok(
      Math.abs(aliceSelf.predicted.x - aliceSelf.entities[aliceId].x) <= 1 / 16,
      `alice's prediction agrees with the server (${aliceSelf.predicted.x} vs ${aliceSelf.entities[aliceId].x})`,
    );
    assert.ok(Object.values(bobView.entities).some((e) => e.name === 'bob'), 'bob sees himself');

    // The HUD and scoreboard show up.
    const hud = await alice.$eval('#stats', (el) => el.textContent);
    assert.match(hud ?? '', /ping .* ms · \d+ Hz · ↓ .*\/s · \d+ fps/, `HUD text: ${hud}`);
    const board = await alice.$eval('#scoreboard', (el) => el.textContent);
    assert.ok(board?.includes('alice') && board.includes('bob'), `scoreboard lists both: ${board}`);
    t.diagnostic(`hud: ${hud}`);

    const shot = join(RESULTS, 'firefox-two-players.png');
    await alice.screenshot({ path: shot });
    await bob.screenshot({ path: join(RESULTS, 'firefox-two-players-bob.png') });
    t.diagnostic(`screenshots: ${shot}`);

    assert.deepEqual(errors, [], 'no console errors');
  } catch (e) {
    console.error(server.log());
    throw e;
  } finally {
    await browser?.close().catch(() => undefined);
    await server.stop();
  }
});
