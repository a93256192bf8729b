// Tuning numbers of the client, in one place.
//
// PLAYER_SPEED, PLAYER_RADIUS, MAX_HEALTH and PROJECTILE_RADIUS MIRROR THE SERVER'S assets/rules.toml
// (`player_speed = 220.0`, `player_radius = 16.0`, `max_health = 100`, `projectile_radius = 4.0`).
// Client-side prediction is only exact while the numbers it uses equal the server's. A server that sends its
// rules in the welcome (7th element) overrides these; they are the fallback for one that does not, so change
// them together with rules.toml.

/** Player speed in world units per second. Mirrors assets/rules.toml `player_speed`. */
export const PLAYER_SPEED = 220;
/** Player collision radius in world units. Mirrors assets/rules.toml `player_radius`. */
export const PLAYER_RADIUS = 16;

/** Full health, to scale health bars. Mirrors assets/rules.toml `max_health`. */
export const MAX_HEALTH = 100;
/**
 * Seconds a dead player waits before it respawns. Mirrors assets/rules.toml `respawn_delay`; the wire does not
 * carry it, so the client assumes it until it has watched a respawn (game/respawn.ts).
 */
export const RESPAWN_DELAY_S = 2;
/** Radius of a projectile, in world units. Mirrors assets/rules.toml `projectile_radius`. */
export const PROJECTILE_RADIUS = 4;
/** Drawn half-size of a server object (kind 2), in world units (visual only). */
export const OBJECT_RADIUS = 10;

/**
 * Entity interpolation delay, in server ticks: other entities are drawn this far behind the newest state the
 * client would have if every delta arrived with the least latency seen recently. Two ticks (100 ms at 20 Hz)
 * hide a late or bunched delta of up to about one tick without any visible stop.
 */
export const INTERP_DELAY_TICKS = 2;
/** The render clock slews at most this fraction faster or slower than real time to follow the server. */
export const CLOCK_MAX_SLEW = 0.1;
/** Beyond this error (in ticks) the render clock jumps instead of slewing (join, long stall, tick-rate change). */
export const CLOCK_SNAP_TICKS = 6;
/** How long arrival samples count for the clock estimate, in milliseconds. */
export const CLOCK_WINDOW_MS = 2000;
/** How many server ticks of history to keep for interpolation. */
export const HISTORY_TICKS = 64;
/** A move longer than this between two ticks is a teleport (respawn): drawn without interpolation. */
export const TELEPORT_DISTANCE = 96;

/**
 * The local player is drawn this long behind its newest predicted step: one tick, plus a margin for the
 * browser firing the input timer late (a quarter tick, at least 8 ms). See prediction.ts.
 */
export function predictionDrawDelayMs(tickMs: number): number {
  return tickMs + Math.max(tickMs / 4, 8);
}

/** Time constant of the decay of the visual correction after reconciliation, in milliseconds. */
export const CORRECTION_TAU_MS = 90;
/** A reconciliation correction longer than this (world units) snaps instead of being smoothed. */
export const CORRECTION_SNAP_DISTANCE = 96;
/** Unacknowledged inputs allowed beyond those in flight (the server queues at most 8 per player). */
export const MAX_UNACKED_BEYOND_RTT = 6;

/** Application-level ping period, in milliseconds. */
export const PING_INTERVAL_MS = 1000;
/** How long kill-feed lines and operator messages stay on screen, in milliseconds. */
export const FEED_TTL_MS = 6000;
export const SAY_TTL_MS = 10_000;
