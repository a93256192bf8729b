//! Operator requests, handled by the tick driver between draining inputs and stepping: each is answered in the
//! tick that drains it, with a `oneshot` that never blocks.

use super::TickDriver;
use crate::admin::exec::{DEFAULT_KICK_REASON, truncate};
use crate::admin::{KickTarget, TickAnswer, TickOp, TickRequest};
use std::sync::atomic::Ordering;
use tickwire_shared::{Event, close};
use tickwire_sim::roster::RosterEntry;
use tracing::info;

impl TickDriver {
    pub(super) fn admin(&mut self, request: TickRequest) {
        let answer = match request.op {
            TickOp::Players => Ok(TickAnswer::Players(self.sim.roster())),
            TickOp::Say { text } => {
                self.sim.push_event(Event::Say { text: text.clone() });
                Ok(TickAnswer::Done(format!(
                    "said to {} player(s): {text}",
                    self.links.len()
                )))
            }
            TickOp::TickRate { hz } => match self.sim.set_tick_rate(hz) {
                Ok(()) => {
                    self.hub.tick_rate.store(hz, Ordering::Relaxed);
                    info!(tick_rate = hz, "tick rate changed");
                    Ok(TickAnswer::Done(format!("tick rate is now {hz} Hz")))
                }
                Err(e) => Err(e.to_string()),
            },
            TickOp::Kick(target) => self.kick(&target),
        };
        // The asker may have given up (timeout, connection gone): nothing to do then.
        let _ = request.reply.send(answer);
    }

    fn kick(&mut self, target: &KickTarget) -> Result<TickAnswer, String> {
        let roster = self.sim.roster();
        let (row, reason) = target.resolve(|t| find_player(&roster, t))?;
        let reason = truncate(reason.unwrap_or(DEFAULT_KICK_REASON), 120);
        let reason = reason.as_str();
        match self.links.remove(&row.client) {
            // The session is woken and closes with this code and reason.
            Some(link) => link.close(close::KICKED, reason),
            // A player held for resume after a dropped connection: removing it is the whole kick.
            None if self.resume.is_held(row.client) => {}
            None => return Err(format!("player {} is already leaving", row.id)),
        }
        self.resume.forget(row.client);
        self.sim.leave(row.client);
        self.hub.counters.leaves.fetch_add(1, Ordering::Relaxed);
        info!(player = row.id, name = %row.name, reason, "player kicked");
        Ok(TickAnswer::Done(format!(
            "kicked {} ({}): {reason}",
            row.id, row.name
        )))
    }
}

/// Finds a player by entity id, else by name: the one player with exactly that name, else the one whose name
/// matches ignoring case (names are unique only as written: `ann` and `Ann` may both play). `Ok(None)`: nobody;
/// an ambiguous name is an error.
pub fn find_player<'a>(
    roster: &'a [RosterEntry],
    target: &str,
) -> Result<Option<&'a RosterEntry>, String> {
    if let Ok(id) = target.parse::<u32>()
        && let Some(row) = roster.iter().find(|r| r.id == id)
    {
        return Ok(Some(row));
    }
    let exact: Vec<&RosterEntry> = roster.iter().filter(|r| r.name == target).collect();
    let named: Vec<&RosterEntry> = if exact.is_empty() {
        roster
            .iter()
            .filter(|r| r.name.eq_ignore_ascii_case(target))
            .collect()
    } else {
        exact
    };
    match named.as_slice() {
        [one] => Ok(Some(one)),
        [] => Ok(None),
        many => Err(format!(
            "{} players are named `{target}`; kick by id: {}",
            many.len(),
            many.iter()
                .map(|r| r.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: u32, name: &str) -> RosterEntry {
        RosterEntry {
            client: u64::from(id) + 100,
            id,
            name: name.into(),
            score: 0,
        }
    }

    #[test]
    fn finds_by_id_then_name_and_refuses_ambiguity() {
        let roster = vec![row(1, "ann"), row(2, "Bob"), row(3, "bob"), row(4, "7")];
        assert_eq!(
            find_player(&roster, "1").map(|r| r.map(|r| r.id)),
            Ok(Some(1))
        );
        assert_eq!(
            find_player(&roster, "ANN").map(|r| r.map(|r| r.id)),
            Ok(Some(1))
        );
        assert_eq!(
            find_player(&roster, "7").map(|r| r.map(|r| r.id)),
            Ok(Some(4)),
            "a numeric name"
        );
        assert_eq!(
            find_player(&roster, "bob").map(|r| r.map(|r| r.id)),
            Ok(Some(3)),
            "the exact name first"
        );
        assert_eq!(
            find_player(&roster, "Bob").map(|r| r.map(|r| r.id)),
            Ok(Some(2))
        );
        let err = find_player(&roster, "BOB").expect_err("two bobs, neither exactly");
        assert!(err.contains("2, 3"), "{err}");
        assert_eq!(find_player(&roster, "zed").map(|r| r.is_some()), Ok(false));
    }
}
