// The WebSocket connection: joining, the input and ping timers, close handling and automatic reconnection.
// Server messages are decoded and applied here, in `onmessage`, never in the render loop.
//
// Resuming: every welcome carries a resume token (kept in the session, memory only). After a close that leaves the
// player held on the server (a dropped connection, an idle timeout, see protocol/close.ts) the next connection's
// hello presents the latest token and the server gives the same player back; a refused token (4006) is followed at
// once by a fresh join without one.
//
// A connection that never opened (1006 before the welcome) is not retried at once: the page first asks the server's
// /status why (net/probe.ts, at most STATUS_TIMEOUT_MS), tells the player, and waits as the answer says (a full
// server's Retry-After, backing off as after 1013). A newer attempt, a manual reconnect or leaving drops the
// question, so a late answer cannot overwrite a newer state.

import { retryDelayMs, type CloseInfo } from '../protocol/close';
import { encodeHello, encodeInput, encodePing } from '../protocol/codec';
import { PROTOCOL_VERSION } from '../protocol/types';
import type { InputSample, Session } from '../game/session';
import { pingOffsetMs } from './ping';
import { fetchStatus, refusalOf, statusUrl, type ServerStatus } from './probe';
import { TickTiming } from './timing';

/** Inputs remembered while waiting for their acknowledgement (for the input timing). */
const MAX_SENT = 256;
/** An input whose timer fired later than this, ms, does not teach the input timing. */
const LATE_TIMER_MS = 4;

export interface ConnectionEvents {
  /** The state changed (connecting, joined, closed, reconnect scheduled): refresh the screens. */
  onStatus(): void;
  /** Samples the keyboard and mouse (called at the tick rate). */
  sampleInput(): InputSample;
}

/** Asks the server's /status at `url` (null: no answer); `signal` aborts it. */
export type StatusProbe = (url: string, signal: AbortSignal) => Promise<ServerStatus | null>;

/** The WebSocket address of the page's own server: ws://host/ws, or wss:// when the page is https. */
export function socketUrl(loc: { protocol: string; host: string } = location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws`;
}

export class Connection {
  private ws: WebSocket | null = null;
  private inputTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setTimeout> | null = null;
  /** When the welcome of this connection arrived (the pings' schedule counts from it), and pings sent since. */
  private pingAnchor = 0;
  private pingCount = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  /** The /status question about the last refused attempt, while it is open (see `explain`). */
  private probing: AbortController | null = null;
  private attempt = 0;
  private nextInputAt = 0;
  /** Times the inputs to reach the server just before its tick's read (see timing.ts). */
  timing: TickTiming | null = null;
  /** Inputs sent and not yet acknowledged: sequence number, when, and the timing's generation then. */
  private sent: { seq: number; at: number; generation: number; onTime: boolean }[] = [];
  /** The tick of the last delta or snapshot. */
  private lastDeltaTick: number | null = null;
  /** The ack of the last delta or snapshot, and whether that delta applied nothing of ours. */
  private lastAck = 0;
  private idleTickBefore = false;
  /** When the next automatic reconnect happens (ms, performance.now clock), or null. */
  reconnectAt: number | null = null;

  constructor(
    private readonly session: Session,
    private readonly events: ConnectionEvents,
    private readonly url: string = socketUrl(),
    private readonly probe: StatusProbe = (u, signal) => fetchStatus(u, { signal }),
  ) {
    session.onTickRate = () => {
      this.scheduleInputs();
      this.startPings();
    };
  }

  /**
   * Connects (or reconnects now) with a display name, presenting the resume token when the session still holds
   * one (the last close left the player held on the server).
   */
  connect(name: string): void {
    this.cancelReconnect();
    const old = this.ws;
    this.teardown();
    if (old && old.readyState === WebSocket.OPEN) {
      // Closing a live connection ends its player for good: its token is worthless now.
      this.session.forgetResume();
      old.close(1000, 'reconnecting');
    }
    const resume = this.session.resumeToken ?? undefined;
    this.session.beginConnecting(name, resume !== undefined);
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      ws.send(encodeHello({ version: PROTOCOL_VERSION, name, resume }));
      // A first round trip for the input pacer (its pong comes after the welcome); the HUD's ping counts only the
      // pings sent after the welcome (startPings).
      this.ping();
    };
    ws.onmessage = (ev: MessageEvent) => this.onMessage(ws, ev);
    ws.onclose = (ev: CloseEvent) => this.onClose(ws, ev.code, ev.reason);
    // A failed connection also fires `close` (code 1006), which does the reporting.
    ws.onerror = () => undefined;
    this.events.onStatus();
  }

  /** Closes on purpose (no reconnect). */
  disconnect(): void {
    this.cancelReconnect();
    if (this.ws) {
      const ws = this.ws;
      this.teardown();
      this.session.closed(1000, 'left the game');
      ws.close(1000, 'left the game');
    }
    this.events.onStatus();
  }

  private onMessage(ws: WebSocket, ev: MessageEvent): void {
    if (ws !== this.ws) return;
    if (!(ev.data instanceof ArrayBuffer)) {
      console.warn('tickwire: ignoring a non-binary frame');
      return;
    }
    const wasJoined = this.session.phase === 'joined';
    try {
      const now = performance.now();
      const msg = this.session.receive(ev.data, now);
      if (msg.type === 'welcome') {
        this.attempt = 0;
        this.scheduleInputs();
        this.startPings();
      } else if (msg.type === 'delta' || msg.type === 'snapshot') {
        this.acknowledged(msg.type === 'delta' ? msg.tick : null, now);
      }
    } catch (e) {
      // A message we cannot decode or apply: the state can no longer be trusted. Start over with a fresh
      // connection (and so a fresh snapshot).
      console.warn(`tickwire: ${(e as Error).message}; reconnecting`);
      // Our close frame makes the server remove the player: the next join is a fresh one.
      this.session.forgetResume();
      ws.close(1000, 'client desync');
      this.onClose(ws, 1006, `client could not apply a message: ${(e as Error).message}`);
      return;
    }
    if (!wasJoined && this.session.phase === 'joined') this.events.onStatus();
  }

  private onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    this.teardown();
    const info = this.session.closed(code, reason);
    if (info.unreached) this.explain(info);
    else if (info.transient) this.scheduleReconnect(info);
    this.events.onStatus();
  }

  /**
   * The attempt `info` never opened: asks the server's /status why, then tells the player and schedules the next
   * attempt as the answer says. Dropped (its answer ignored) by anything that changes the state first.
   */
  private explain(info: CloseInfo): void {
    const controller = new AbortController();
    this.probing = controller;
    const since = performance.now();
    const url = statusUrl(this.url);
    let asked: Promise<ServerStatus | null> = Promise.resolve(null);
    try {
      if (url !== null) asked = this.probe(url, controller.signal).catch(() => null);
    } catch {
      // No answer, as for a failed request.
    }
    void asked.then((status) => {
      if (this.probing !== controller) return;
      this.probing = null;
      const explained = this.session.explainRefusal(info, refusalOf(status));
      if (!explained) return;
      if (explained.transient) this.scheduleReconnect(explained, performance.now() - since);
      this.events.onStatus();
    });
  }

  /** Schedules the next attempt after `info`; `spentMs` of its wait have passed already (asking /status). */
  private scheduleReconnect(info: CloseInfo, spentMs = 0): void {
    const delay = Math.max(0, retryDelayMs(info, this.attempt++) - spentMs);
    this.reconnectAt = performance.now() + delay;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.reconnectAt = null;
      this.connect(this.session.name);
    }, delay);
  }

  /** Cancels the scheduled attempt, and the /status question that would schedule one. */
  private cancelReconnect(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.reconnectAt = null;
    this.probing?.abort();
    this.probing = null;
  }

  private teardown(): void {
    if (this.inputTimer !== null) clearTimeout(this.inputTimer);
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.inputTimer = null;
    this.pingTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState === WebSocket.CONNECTING) ws.onopen = () => ws.close(1000);
  }

  private send(bytes: Uint8Array): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  private ping(): void {
    this.send(encodePing({ client_time: performance.now() }));
  }

  /**
   * (Re)starts the pings from now (a welcome, a tick-rate change) on the schedule of net/ping.ts: whole ticks plus
   * a golden-ratio fraction of one, so that they meet the server's read at spread phases.
   */
  private startPings(): void {
    if (this.pingTimer !== null) clearTimeout(this.pingTimer);
    this.pingTimer = null;
    if (!this.ws || this.session.phase !== 'joined') return;
    this.pingAnchor = performance.now();
    this.pingCount = 0;
    this.nextPing();
  }

  private nextPing(): void {
    const at = this.pingAnchor + pingOffsetMs(++this.pingCount, 1000 / this.session.tickRate);
    this.pingTimer = setTimeout(() => {
      this.ping();
      this.nextPing();
    }, Math.max(0, at - performance.now()));
  }

  /**
   * (Re)starts the input timer at the current tick rate, on a drift-free schedule, and the search for when to send
   * (the ticks fall elsewhere after a rate change).
   */
  private scheduleInputs(): void {
    if (this.inputTimer !== null) clearTimeout(this.inputTimer);
    this.inputTimer = null;
    if (!this.ws || this.session.phase !== 'joined') return;
    this.timing = new TickTiming(1000 / this.session.tickRate);
    this.sent = [];
    this.lastDeltaTick = this.session.world.tick;
    this.lastAck = this.session.world.ack;
    this.idleTickBefore = false;
    this.nextInputAt = performance.now();
    this.inputTick();
  }

  /**
   * A delta (of `tick`) or snapshot (null) arrived at `now`: the inputs its ack covers feed the input timing,
   * unless it follows skipped ticks (it acknowledges what those applied) or is a snapshot (a resynchronisation).
   */
  private acknowledged(tick: number | null, now: number): void {
    const timing = this.timing;
    if (!timing) return;
    const timed = tick !== null && this.lastDeltaTick !== null && tick === this.lastDeltaTick + 1;
    if (tick !== null) timing.deltaArrived(tick, now);
    this.lastDeltaTick = tick ?? this.session.world.tick;
    const ack = this.session.world.ack;
    // Whether the tick before this one applied nothing of ours (we send one input per tick): a read really was
    // missed. Without that, a latency that looks like a missed read is a delayed delivery (a busy page), and
    // answering it by sending earlier would put two inputs into one read and queue one in the server.
    const missed = this.idleTickBefore;
    this.idleTickBefore = tick !== null && ack === this.lastAck;
    this.lastAck = ack;
    let n = 0;
    while (n < this.sent.length && this.sent[n]!.seq <= ack) {
      const s = this.sent[n]!;
      if (timed && s.onTime) timing.acknowledged(s.generation, now - s.at, missed);
      n++;
    }
    if (n > 0) this.sent.splice(0, n);
    // A move the search decided applies to the next input at once (earlier or later), not to the one after: that
    // one would go out at the old time and miss its read as well. Re-armed here, from a message handler, the timer
    // is not stretched to 4 ms as a short one re-armed from its own callback would be. When the moved time has
    // passed already, the next input goes at its time and the move waits for the one after (the input timer takes
    // it).
    const shift = timing.peekShift();
    if (shift !== 0 && this.inputTimer !== null && this.nextInputAt + shift >= now) {
      timing.takeShift();
      clearTimeout(this.inputTimer);
      this.nextInputAt += shift;
      this.inputTimer = setTimeout(() => this.inputTick(), Math.max(0, this.nextInputAt - performance.now()));
    }
  }

  private inputTick(): void {
    const now = performance.now();
    const input = this.session.makeInput(this.events.sampleInput(), now, Math.min(now, this.nextInputAt));
    if (input) {
      this.send(encodeInput(input));
      if (this.timing) {
        // An input whose timer fired late (a busy page) says nothing about when to send: its latency is not used.
        const onTime = now - this.nextInputAt <= LATE_TIMER_MS;
        this.sent.push({ seq: input.seq, at: now, generation: this.timing.generation, onTime });
        if (this.sent.length > MAX_SENT) this.sent.shift();
      }
    }
    const period = 1000 / this.session.tickRate;
    // A move the acknowledgements decided too late for this input applies from the next one.
    this.nextInputAt += period + (this.timing?.takeShift() ?? 0);
    if (this.nextInputAt < now - period) {
      // After a long pause (a background tab) start a new schedule instead of sending a burst, and a new search.
      this.nextInputAt = now + period;
      this.timing = new TickTiming(period);
      this.sent = [];
    }
    this.inputTimer = setTimeout(() => this.inputTick(), Math.max(0, this.nextInputAt - performance.now()));
  }
}
