// The HUD (ping, tick rate, inbound bytes/s, frame rate), the scoreboard, the kill feed and operator messages.
// Plain DOM, refreshed a few times a second (text layout is the browser's job, not the canvas').
//
// The panels lie over the canvas. Their rectangles, measured every frame (`insetPanels`), are what the camera
// keeps the arena's edges out from under (render/insets.ts); and a panel with a living player or a projectile
// beneath it turns see-through (`seeThrough`) until nothing has been there for a moment.

import type { Session } from '../game/session';
import { coveredPanels, type Rect } from '../render/insets';
import { colourCss } from '../render/colours';
import type { ScreenMark } from '../render/renderer';
import { compactBoard, fittingRows, rankPlayers } from './scoreboard';

const REFRESH_MS = 250;
/** A scoreboard row's height in CSS pixels (style.css: 12 px text, line height 1.4, 1 px padding above and below). */
const SCOREBOARD_ROW_PX = 19;
/**
 * What the window holds besides the scoreboard's top rows (style.css): the right-hand column's margins (8 + 12 px)
 * and the gap (8) between the board and the kill feed under it, the kill feed (6 lines of about 24 px, 3 px
 * apart), and the board's caption, header, gap and own rows and padding. Short windows show fewer top rows.
 */
const SCOREBOARD_RESERVED_PX = 8 + 12 + 8 + 6 * 27 + 4 * SCOREBOARD_ROW_PX + 12;
/** A panel stays see-through this long after the last thing beneath it left (ms): no flicker. */
const SEE_THROUGH_HOLD_MS = 500;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function formatBytes(perSecond: number): string {
  if (perSecond < 1024) return `${Math.round(perSecond)} B/s`;
  return `${(perSecond / 1024).toFixed(1)} kB/s`;
}

export class Hud {
  private lastRefresh = -Infinity;
  /** The window's size at the last refresh: a new size (a rotation) lays the scoreboard out again at once. */
  private lastWidth = 0;
  private lastHeight = 0;
  private feedVersion = -1;
  /** The panels that may turn see-through, and when each last had something beneath it. */
  private readonly faders: HTMLElement[];
  private readonly coveredAt: number[];
  private readonly covered: boolean[] = [];

  constructor(
    private readonly stats: HTMLElement,
    private readonly scoreboard: HTMLElement,
    private readonly killfeed: HTMLElement,
    private readonly says: HTMLElement,
  ) {
    this.faders = [stats, scoreboard, killfeed, says];
    this.coveredAt = this.faders.map(() => -Infinity);
  }

  /**
   * The rectangles (CSS pixels, viewport coordinates) of the panels the camera keeps the arena's edges out from
   * under: the stats line, the scoreboard and the kill feed (0 × 0 while hidden or empty). Operator messages are
   * rare and short-lived: they are not kept clear, they turn see-through.
   */
  insetPanels(): Rect[] {
    return [this.stats.getBoundingClientRect(), this.scoreboard.getBoundingClientRect(),
      this.killfeed.getBoundingClientRect()];
  }

  /** Makes the panels with something of `marks` (drawn this frame, CSS pixels) beneath them see-through. */
  seeThrough(marks: readonly ScreenMark[], nowMs: number): void {
    const rects = this.faders.map((e) => e.getBoundingClientRect());
    coveredPanels(rects, marks, this.covered);
    this.faders.forEach((e, i) => {
      if (this.covered[i]) this.coveredAt[i] = nowMs;
      const on = nowMs - this.coveredAt[i]! < SEE_THROUGH_HOLD_MS;
      if (e.classList.contains('see-through') !== on) e.classList.toggle('see-through', on);
    });
  }

  update(session: Session, nowMs: number, fps: number): void {
    session.feed.expire(nowMs);
    if (session.feed.version !== this.feedVersion) {
      this.feedVersion = session.feed.version;
      this.renderFeed(session);
    }
    // The scoreboard's rows depend on the window's size (fittingRows): after a resize they are redone in this
    // frame, so the camera's insets (measured from the panels) settle within a frame or two.
    const resized = window.innerWidth !== this.lastWidth || window.innerHeight !== this.lastHeight;
    if (!resized && nowMs - this.lastRefresh < REFRESH_MS) return;
    this.lastRefresh = nowMs;
    this.lastWidth = window.innerWidth;
    this.lastHeight = window.innerHeight;
    this.renderStats(session, nowMs, fps);
    this.renderScoreboard(session);
  }

  private renderStats(session: Session, nowMs: number, fps: number): void {
    // The network path's round trip (net/ping.ts): not the time pings wait for the server's once-a-tick read.
    const rtt = session.pingMs(nowMs);
    const parts = [
      `ping ${rtt === null ? '–' : rtt < 10 ? rtt.toFixed(1) : Math.round(rtt)} ms`,
      `${session.tickRate} Hz`,
      `↓ ${formatBytes(session.inBytes.rate(nowMs))}`,
      `${Math.round(fps)} fps`,
    ];
    // Each part whole; a narrow window wraps the line between them (style.css).
    this.stats.replaceChildren(
      ...parts.flatMap((text, i) => (i === 0 ? [el('span', 'part', text)] : [' · ', el('span', 'part', text)])),
    );
    this.stats.title = `tick ${session.world.tick ?? '–'}, ack ${session.world.ack}, ` +
      `pending inputs ${session.predictor.pending.length}, last correction ${session.predictor.lastCorrection.toFixed(3)}`;
  }

  private renderScoreboard(session: Session): void {
    const ranked = rankPlayers(session.world.entities);
    const top = fittingRows(window.innerHeight, SCOREBOARD_RESERVED_PX, SCOREBOARD_ROW_PX, window.innerWidth);
    const board = compactBoard(ranked, session.you, top);
    const table = el('table');
    table.append(el('caption', undefined, board.total === 1 ? '1 player' : `${board.total} players`));
    const head = el('tr');
    for (const h of ['#', '', 'player', 'K', 'D', 'score']) head.append(el('th', h === 'K' || h === 'D' ? 'kd' : undefined, h));
    table.append(head);
    board.rows.forEach((p, i) => {
      if (board.skipped > 0 && i === board.rows.length - 1) {
        const gap = el('tr', 'gap');
        const cell = el('td', undefined, '⋯');
        cell.colSpan = 6;
        gap.append(cell);
        table.append(gap);
      }
      const f = p.fields;
      const row = el('tr', p.id === session.you ? 'me' : undefined);
      const swatch = el('td');
      const dot = el('span', 'dot');
      dot.style.background = colourCss(f.colour);
      swatch.append(dot);
      row.append(
        el('td', 'num rank', String(p.rank)),
        swatch,
        el('td', 'name', f.name ?? `#${p.id}`),
        el('td', 'num kd', String(f.kills ?? 0)),
        el('td', 'num kd', String(f.deaths ?? 0)),
        el('td', 'num', String(f.score ?? 0)),
      );
      table.append(row);
    });
    this.scoreboard.replaceChildren(table);
  }

  private renderFeed(session: Session): void {
    this.killfeed.replaceChildren(
      ...session.feed.kills.map((line) => {
        const row = el('div', line.mine ? 'kill mine' : 'kill');
        const killer = el('span', 'who', line.killer?.name ?? '?');
        if (line.killer) killer.style.color = colourCss(line.killer.colour);
        const victim = el('span', 'who', line.victim?.name ?? '?');
        if (line.victim) victim.style.color = colourCss(line.victim.colour);
        row.append(killer, el('span', 'verb', ' killed '), victim);
        return row;
      }),
    );
    this.says.replaceChildren(...session.feed.says.map((s) => el('div', 'say', s.text)));
  }
}
