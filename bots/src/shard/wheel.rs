//! The shard's timers: a hashed timing wheel with one slot per look period.
//!
//! A timer due at `due` goes into the slot of the first look at or after `due`; each look takes the slots it
//! passed and fires what is due. A timer further away than one turn of the wheel waits in its slot for the turns
//! in between. Pushing and firing cost O(1) and touch the slots in order, where a heap of thousands of timers would
//! walk a path of cold entries on every pop.

use std::time::Duration;
use tokio::time::Instant;

/// Slots in the wheel: with a 1 ms look, one turn is about a second (a bot's ping period).
const SLOTS: usize = 1024;

/// A timer: `key` is the caller's (which bot, what for).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry<K> {
    pub due: Instant,
    pub key: K,
}

#[derive(Debug)]
pub(crate) struct Wheel<K> {
    origin: Instant,
    step: Duration,
    slots: Vec<Vec<Entry<K>>>,
    /// The next look period not taken yet (counted from `origin`).
    cursor: u64,
    /// The slot being fired (kept to reuse its allocation).
    firing: Vec<Entry<K>>,
}

impl<K: Copy> Wheel<K> {
    /// A wheel of look periods `step` counted from `origin`.
    pub fn new(origin: Instant, step: Duration) -> Self {
        Self {
            origin,
            step,
            slots: (0..SLOTS).map(|_| Vec::new()).collect(),
            cursor: 0,
            firing: Vec::new(),
        }
    }

    /// The look period in which `at` falls, rounded up (a timer due at `at` fires at that look).
    fn period_of(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.origin).as_nanos();
        since.div_ceil(self.step.as_nanos().max(1)) as u64
    }

    pub fn push(&mut self, due: Instant, key: K) {
        let period = self.period_of(due).max(self.cursor);
        self.slots[(period % SLOTS as u64) as usize].push(Entry { due, key });
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Vec::is_empty)
    }

    /// Moves every timer due by `now` into `due` (in the order of their look periods, unless the look is more
    /// than a turn late).
    pub fn take_due(&mut self, now: Instant, due: &mut Vec<Entry<K>>) {
        let last = {
            let since = now.saturating_duration_since(self.origin).as_nanos();
            (since / self.step.as_nanos().max(1)) as u64
        };
        // More than a turn behind: every slot once is enough.
        let from = self.cursor.max(last.saturating_sub(SLOTS as u64 - 1));
        for period in from..=last {
            let slot = (period % SLOTS as u64) as usize;
            if self.slots[slot].is_empty() {
                continue;
            }
            let mut firing = std::mem::take(&mut self.firing);
            std::mem::swap(&mut firing, &mut self.slots[slot]);
            for e in firing.drain(..) {
                if e.due <= now {
                    due.push(e);
                } else {
                    // A later turn of the wheel: back into its slot.
                    self.slots[slot].push(e);
                }
            }
            self.firing = firing;
        }
        self.cursor = self.cursor.max(last + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_are_due_once_at_the_first_look_at_or_after_their_time() {
        let t0 = Instant::now();
        let ms = Duration::from_millis(1);
        let mut w = Wheel::new(t0, ms);
        for (due_us, key) in [(300u64, 'a'), (1000, 'b'), (2500, 'c'), (5_000_000, 'd')] {
            w.push(t0 + Duration::from_micros(due_us), key);
        }
        let mut fired = Vec::new();
        let mut due = Vec::new();
        for look in 1..=3 {
            w.take_due(t0 + look * ms, &mut due);
            fired.extend(due.drain(..).map(|e| (look, e.key)));
        }
        assert_eq!(fired, vec![(1, 'a'), (1, 'b'), (3, 'c')]);
        // 'd' is 5 s away, more than a turn: it waits through the turns in between.
        for look in 4..=4_999u32 {
            w.take_due(t0 + look * ms, &mut due);
        }
        assert!(due.is_empty() && !w.is_empty());
        w.take_due(t0 + 5_000 * ms, &mut due);
        assert_eq!(due.iter().map(|e| e.key).collect::<Vec<_>>(), vec!['d']);
        assert!(w.is_empty());
    }

    #[test]
    fn a_late_look_takes_everything_due_and_timers_can_rearm() {
        let t0 = Instant::now();
        let ms = Duration::from_millis(1);
        let mut w = Wheel::new(t0, ms);
        w.push(t0 + 10 * ms, 1u32);
        w.push(t0 + 2_000 * ms, 2);
        let mut due = Vec::new();
        // Three seconds without a look: both are due (more than a turn late, in no particular order).
        w.take_due(t0 + 3_000 * ms, &mut due);
        let mut keys: Vec<_> = due.iter().map(|e| e.key).collect();
        keys.sort_unstable();
        assert_eq!(keys, vec![1, 2]);
        // Re-armed in the past: fires at the next look.
        w.push(t0 + 11 * ms, 3);
        due.clear();
        w.take_due(t0 + 3_000 * ms, &mut due);
        assert!(due.is_empty(), "not before the next look");
        w.take_due(t0 + 3_001 * ms, &mut due);
        assert_eq!(due.iter().map(|e| e.key).collect::<Vec<_>>(), vec![3]);
        assert!(w.is_empty());
    }
}
