//! What a bot does with each frame it receives: follow the tick stream, match acknowledgements to inputs,
//! measure sizes and jitter, and (for decoder bots) apply the frame to the mirror.

use super::Bot;
use crate::stats::Histograms;
use tickwire_client::apply_frame;
use tickwire_shared::{Event, FrameHeader, ServerMessage, peek_header};
use tokio::time::Instant;

impl Bot {
    /// Handles one received frame's payload, received at `now`; measurements go to `hist`.
    pub(crate) fn on_frame(&mut self, bytes: &[u8], now: Instant, hist: &mut Histograms) {
        let measuring = self.window.is_some();
        if measuring {
            self.out.frame_header_bytes += frame_header_len(bytes.len());
        }
        match peek_header(bytes) {
            None => self.protocol_error(format!(
                "undecodable frame of {} bytes (no valid message header)",
                bytes.len()
            )),
            Some(FrameHeader::Delta { tick, base, ack }) => {
                self.unreported_deltas += 1;
                // After skipped ticks this delta acknowledges inputs the skipped ticks applied: their latency
                // says nothing about when they were sent.
                let after_gap = self.held.is_some_and(|h| tick > h.wrapping_add(1));
                let fits = self.follow(tick, Some(base));
                if measuring {
                    let hz = self.ctx.live.tick_rate_hz();
                    if hz != self.period_hz && hz > 0 {
                        // The server changed its tick rate: jitter is measured against the new period.
                        self.period_hz = hz;
                        self.tick_period = super::period_of(hz);
                    }
                    self.out.deltas += 1;
                    hist.delta_bytes.record(bytes.len() as u64);
                    if let Some(prev) = self.last_delta_at {
                        let gap = now.duration_since(prev);
                        let jitter = gap.abs_diff(self.tick_period);
                        hist.jitter_us.record(jitter.as_micros() as u64);
                    }
                }
                self.last_delta_at = Some(now);
                if let Some(timing) = &mut self.timing {
                    timing.delta_arrived(tick, now);
                }
                self.acked(ack, now, hist, !after_gap);
                if fits {
                    self.apply(bytes);
                }
            }
            Some(FrameHeader::Snapshot { tick, ack }) => {
                let resync = self.held.is_some();
                if self.follow(tick, None) {
                    self.out.resyncs += u64::from(resync);
                    self.mirror_lost = false;
                    self.apply(bytes);
                }
                // A snapshot after the first is a resynchronisation: not a time to learn from either.
                self.acked(ack, now, hist, false);
            }
            Some(FrameHeader::Other(_)) => {
                match apply_frame(&mut self.mirror, &mut self.welcome, bytes) {
                    Ok(ServerMessage::Pong(p)) => {
                        if measuring {
                            let sent_us = p.client_time.max(0.0) as u64;
                            let now_us = now.duration_since(self.ctx.start).as_micros() as u64;
                            hist.rtt_us.record(now_us.saturating_sub(sent_us));
                        }
                    }
                    Ok(ServerMessage::Error(e)) => {
                        tracing::debug!(bot = self.out.index, code = e.code, message = %e.message, "server error");
                    }
                    Ok(_) => {}
                    Err(e) => self.protocol_error(e.to_string()),
                }
            }
        }
    }

    /// Follows the tick stream; returns whether the frame fits the tick held (no protocol error).
    fn follow(&mut self, tick: u32, base: Option<u32>) -> bool {
        let Some(held) = self.held else {
            if base.is_some() {
                self.protocol_error(format!("delta for tick {tick} before any snapshot"));
                return false;
            }
            self.held = Some(tick);
            self.out.first_tick = Some(tick);
            return true;
        };
        if tick <= held {
            self.protocol_error(format!("tick went backwards from {held} to {tick}"));
            return false;
        }
        let fits = match base {
            Some(base) if base != held => {
                self.protocol_error(format!(
                    "delta {tick} applies to tick {base}, but the bot holds tick {held}"
                ));
                false
            }
            _ => true,
        };
        self.out.missed_ticks += u64::from(tick - held - 1);
        self.out.ticks_received += 1;
        self.held = Some(tick);
        fits
    }

    /// A decoder bot decodes the whole frame and applies it to its mirror. After an error the mirror no longer
    /// matches the server, so deltas are skipped until the next snapshot (one error, not a cascade).
    fn apply(&mut self, bytes: &[u8]) {
        if !self.out.decoder || self.mirror_lost {
            return;
        }
        match apply_frame(&mut self.mirror, &mut self.welcome, bytes) {
            Ok(ServerMessage::Delta(delta)) => {
                for event in &delta.events {
                    if let Event::TickRate { hz } = *event {
                        // Every bot whose input rate is the server's follows (the shards read this).
                        self.ctx.live.learn_tick_rate(delta.tick, hz);
                        self.out.tick_rate_changes.push(hz);
                    }
                }
            }
            Ok(_) => {}
            Err(e) => {
                self.mirror_lost = true;
                self.protocol_error(e.to_string());
            }
        }
    }
}

/// The size of the header of an unmasked WebSocket frame (server to client) carrying `payload` bytes: 2 bytes up
/// to 125, 4 up to 65,535, 10 beyond (RFC 6455 §5.2).
pub(crate) fn frame_header_len(payload: usize) -> u64 {
    match payload {
        0..126 => 2,
        126..65_536 => 4,
        _ => 10,
    }
}

#[cfg(test)]
mod tests {
    use super::frame_header_len;

    #[test]
    fn frame_headers_follow_rfc_6455() {
        assert_eq!(frame_header_len(0), 2);
        assert_eq!(frame_header_len(125), 2);
        assert_eq!(frame_header_len(126), 4);
        assert_eq!(frame_header_len(65_535), 4);
        assert_eq!(frame_header_len(65_536), 10);
    }
}
