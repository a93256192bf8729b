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
/// an ambiguous name is an error, and so is a number that is one player's id and another player's name (`2`, with
/// a player named `2`): `id:2` and `name:2` say which is meant.
pub fn find_player<'a>(
    roster: &'a [RosterEntry],
    target: &str,
) -> Result<Option<&'a RosterEntry>, String> {
    let by_id = |id: &str| {
        id.trim()
            .parse::<u32>()
            .ok()
            .and_then(|id| roster.iter().find(|r| r.id == id))
    };
    if let Some(id) = strip_prefix_ignoring_case(target, "id:") {
        return Ok(by_id(id));
    }
    if let Some(name) = strip_prefix_ignoring_case(target, "name:") {
        return one_named(named(roster, name), name);
    }
    let Some(row) = by_id(target) else {
        return one_named(named(roster, target), target);
    };
    let others: Vec<&RosterEntry> = named(roster, target)
        .into_iter()
        .filter(|r| r.client != row.client)
        .collect();
    match others.as_slice() {
        [] => Ok(Some(row)),
        [other] => Err(format!(
            "`{target}` is ambiguous: it is the id of player {} ({}) and the name of player {}; say \
             `kick id:{target}` for the first, `kick name:{target}` for the second",
            row.id, row.name, other.id
        )),
        others => Err(format!(
            "`{target}` is ambiguous: it is the id of player {} ({}) and the name of players {}; say \
             `kick id:{target}` for the first, or kick one of the others by id",
            row.id,
            row.name,
            others
                .iter()
                .map(|r| r.id.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// `text` without `prefix`, which may be in any case (`id:`, `ID:`).
fn strip_prefix_ignoring_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    text.get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .map(|_| &text[prefix.len()..])
}

/// The players with exactly this name, else those whose name matches ignoring case.
fn named<'a>(roster: &'a [RosterEntry], name: &str) -> Vec<&'a RosterEntry> {
    let exact: Vec<&RosterEntry> = roster.iter().filter(|r| r.name == name).collect();
    if !exact.is_empty() {
        return exact;
    }
    roster
        .iter()
        .filter(|r| r.name.eq_ignore_ascii_case(name))
        .collect()
}

/// The one player of `named`; several are an error that lists their ids.
fn one_named<'a>(
    named: Vec<&'a RosterEntry>,
    name: &str,
) -> Result<Option<&'a RosterEntry>, String> {
    match named.as_slice() {
        [one] => Ok(Some(one)),
        [] => Ok(None),
        many => Err(format!(
            "{} players are named `{name}`; kick by id: {}",
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

    #[test]
    fn a_number_that_is_an_id_and_another_players_name_is_ambiguous() {
        let roster = vec![row(2, "ann"), row(5, "2"), row(6, "6"), row(7, "x")];
        let found = |t: &str| find_player(&roster, t).map(|r| r.map(|r| r.id));
        let err = found("2").expect_err("player 2's id, player 5's name");
        assert!(
            err.contains("`2` is ambiguous")
                && err.contains("id of player 2 (ann)")
                && err.contains("name of player 5")
                && err.contains("`kick id:2`")
                && err.contains("`kick name:2`"),
            "{err}"
        );
        assert_eq!(found("id:2"), Ok(Some(2)));
        assert_eq!(found("ID: 2"), Ok(Some(2)));
        assert_eq!(found("name:2"), Ok(Some(5)));
        assert_eq!(found("Name:ANN"), Ok(Some(2)));
        // One player whose id is its name: nothing to choose between.
        assert_eq!(found("6"), Ok(Some(6)));
        // A number that is only an id, or only a name.
        assert_eq!(found("7"), Ok(Some(7)));
        assert_eq!(found("5"), Ok(Some(5)));
        assert_eq!(found("id:9"), Ok(None));
        assert_eq!(found("id:x"), Ok(None));
        assert_eq!(found("name:zed"), Ok(None));
        // Several others named so.
        let roster = vec![row(2, "ann"), row(5, "2"), row(8, "2")];
        let err = find_player(&roster, "2").expect_err("ambiguous");
        assert!(err.contains("name of players 5, 8"), "{err}");
    }

    #[test]
    fn the_longest_run_of_words_stops_at_an_ambiguous_number() {
        use crate::admin::Command;
        let roster = vec![row(2, "ann"), row(5, "2")];
        let kick = |line: &str| match Command::parse(line) {
            Ok(Command::Kick(k)) => k
                .resolve(|t| find_player(&roster, t))
                .map(|(r, reason)| (r.id, reason.map(str::to_string))),
            other => panic!("{line}: {other:?}"),
        };
        assert!(kick("kick 2 spamming").is_err_and(|e| e.contains("ambiguous")));
        assert_eq!(kick("kick id:2 spamming"), Ok((2, Some("spamming".into()))));
        assert_eq!(kick("kick name:2"), Ok((5, None)));
        assert_eq!(kick("kick \"name:2\" x"), Ok((5, Some("x".into()))));
    }
}
