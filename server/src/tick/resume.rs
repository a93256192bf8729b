//! Holding the players of dropped connections, and giving them back to whoever presents their resume token.
//!
//! Every joined player has one unguessable token (128 bits from the OS-seeded CSPRNG), sent in its welcome.
//! When a connection drops without a close (network loss, idle timeout), its player stays in the world for the
//! grace period. A hello carrying the token within that time takes the same player back — position, health,
//! score — and receives a new token; after it, the player is removed and the token forgotten. A token works only
//! for a held player, so it cannot be used twice at once.

use crate::hub::ClientKey;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use tickwire_shared::ResumeToken;

/// Tokens and held players.
#[derive(Debug)]
pub(super) struct Resume {
    grace: Duration,
    by_token: HashMap<ResumeToken, ClientKey>,
    token_of: HashMap<ClientKey, ResumeToken>,
    held: BTreeMap<ClientKey, Instant>,
}

impl Resume {
    pub(super) fn new(grace: Duration) -> Self {
        Resume {
            grace,
            by_token: HashMap::new(),
            token_of: HashMap::new(),
            held: BTreeMap::new(),
        }
    }

    /// A fresh token for `key`'s player, replacing any earlier one.
    pub(super) fn issue(&mut self, key: ClientKey) -> ResumeToken {
        self.forget_token(key);
        let token: ResumeToken = rand::random();
        self.by_token.insert(token, key);
        self.token_of.insert(key, token);
        token
    }

    /// The key of the held player this token belongs to, released from hold; `None` for an unknown token or a
    /// player whose connection is still live.
    pub(super) fn claim(&mut self, token: &ResumeToken) -> Option<ClientKey> {
        let key = *self.by_token.get(token)?;
        self.held.remove(&key)?;
        self.forget_token(key);
        Some(key)
    }

    /// Holds `key`'s player for the grace period.
    pub(super) fn hold(&mut self, key: ClientKey, now: Instant) {
        if self.token_of.contains_key(&key) {
            self.held.insert(key, now + self.grace);
        }
    }

    /// True while `key`'s player is held.
    pub(super) fn is_held(&self, key: ClientKey) -> bool {
        self.held.contains_key(&key)
    }

    /// Forgets `key` entirely (its player left for good).
    pub(super) fn forget(&mut self, key: ClientKey) {
        self.held.remove(&key);
        self.forget_token(key);
    }

    /// The held players whose grace period is over; they are forgotten.
    pub(super) fn expired(&mut self, now: Instant) -> Vec<ClientKey> {
        let due: Vec<ClientKey> = self
            .held
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(k, _)| *k)
            .collect();
        for key in &due {
            self.forget(*key);
        }
        due
    }

    fn forget_token(&mut self, key: ClientKey) {
        if let Some(old) = self.token_of.remove(&key) {
            self.by_token.remove(&old);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_claims_only_a_held_player_and_only_once() {
        let mut r = Resume::new(Duration::from_secs(15));
        let t = r.issue(1);
        assert_eq!(r.claim(&t), None, "a live player cannot be claimed");
        let now = Instant::now();
        r.hold(1, now);
        assert_eq!(r.claim(&[0; 16]), None, "a forged token claims nothing");
        assert_eq!(r.claim(&t), Some(1));
        assert_eq!(r.claim(&t), None, "a token is used once");
        let t2 = r.issue(2);
        r.hold(2, now);
        assert!(r.expired(now + Duration::from_secs(14)).is_empty());
        assert_eq!(r.expired(now + Duration::from_secs(15)), vec![2]);
        assert_eq!(
            r.claim(&t2),
            None,
            "after the grace period the token is gone"
        );
    }
}
