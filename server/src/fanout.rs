//! Choosing each client's frame for a tick, encoding every distinct payload once.
//!
//! A frame is a few bytes of the client's own header (tick, base, ack) followed by a body that clients share,
//! which the writer sends without copying it per client. A body is keyed by what the client holds — its
//! baseline tick and the [`View`] it had then — and the view it gets now:
//!
//! - Most clients hold the previous tick in the view they have now: they share this tick's delta (on a map with
//!   interest management, one per occupied view — everyone whose player is in the same cell).
//! - A client that skipped ticks (its socket was full) is brought up to date with one delta composed from its
//!   baseline; clients with the same baseline share it (after a tick that went to nobody, that is everyone), and
//!   it is composed once per baseline, not per client.
//! - A player that moved into another cell gets the delta between its old view and its new one, once.
//! - A client with no usable baseline gets a snapshot of its view, encoded at most once per view.

use crate::writer::Batch;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tickwire_shared::EntityId;
use tickwire_shared::codec::{
    Head, delta_head, encode_delta_body, encode_snapshot_body, snapshot_head,
};
use tickwire_sim::interest::{CellChanges, Grid, Interest, View};
use tickwire_sim::replication::{Catchup, History};
use tickwire_sim::{Sim, TickChanges};

/// What a client holds: the tick of the last frame its socket took, and the view that frame was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// `None` before its first frame.
    pub tick: Option<u32>,
    /// The entities it holds are those of this view at `tick`.
    pub view: View,
}

impl Default for Held {
    fn default() -> Self {
        Held {
            tick: None,
            view: View::All,
        }
    }
}

/// A distinct body of this tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Body {
    Delta { base: u32, from: View, to: View },
    Snapshot(View),
}

/// Per-tick encoding caches over the recent history of changes.
#[derive(Debug)]
pub struct Fanout {
    history: History,
    interest: Option<Interest>,
    tick: u32,
    changes: Arc<TickChanges>,
    grid: Option<Arc<Grid>>,
    /// The changes since each older baseline asked for this tick (`None`: too old to compose).
    composed: BTreeMap<u32, Option<Arc<TickChanges>>>,
    bodies: HashMap<Body, u16>,
    members: Vec<EntityId>,
    /// This tick's changes sorted into cells, once the first view that held the previous tick asks.
    cells: Option<CellChanges>,
}

impl Fanout {
    /// Keeps `history` ticks of changes for clients that fall behind; `interest` is the map's view grid, if any.
    pub fn new(history: usize, interest: Option<Interest>) -> Self {
        Fanout {
            history: History::new(history),
            interest,
            tick: 0,
            changes: Arc::default(),
            grid: None,
            composed: BTreeMap::new(),
            bodies: HashMap::new(),
            members: Vec::new(),
            cells: None,
        }
    }

    /// Starts a new tick with the changes that produced `tick` and, with interest management, where every
    /// entity is now; forgets last tick's bodies.
    pub fn begin(&mut self, tick: u32, changes: TickChanges, grid: Option<Arc<Grid>>) {
        self.changes = Arc::new(changes);
        self.history.push(tick, self.changes.clone(), grid.clone());
        self.grid = grid;
        self.tick = tick;
        self.composed.clear();
        self.bodies.clear();
        self.cells = None;
    }

    /// The view a client gets this tick: the cells around its `player`'s cell (a dead player keeps its entity,
    /// so its view stays where it fell); the view it `held` if it has no player in the grid (a spectator); the
    /// whole world without interest management.
    pub fn view_for(&self, player: Option<EntityId>, held: View) -> View {
        let Some(grid) = &self.grid else {
            return View::All;
        };
        player
            .and_then(|id| grid.cell_of(id))
            .map_or(held, View::Around)
    }

    /// How many distinct bodies this tick has so far.
    pub fn bodies(&self) -> usize {
        self.bodies.len()
    }

    /// The frame for a client that `held` a state, gets view `to` now and has input `ack` applied: its head,
    /// and the index in `batch` of the body that follows it (encoded and added on first use this tick).
    pub fn frame(
        &mut self,
        batch: &mut Batch,
        held: Held,
        to: View,
        ack: u32,
        sim: &mut Sim,
    ) -> (Head, u16) {
        let tick = self.tick;
        if let Some(base) = held.tick {
            let key = Body::Delta {
                base,
                from: held.view,
                to,
            };
            if let Some(&body) = self.bodies.get(&key) {
                return (delta_head(tick, base, ack), body);
            }
            if let Some(body) = self.delta(batch, base, held.view, to, sim) {
                self.bodies.insert(key, body);
                return (delta_head(tick, base, ack), body);
            }
        }
        let key = Body::Snapshot(to);
        let body = match self.bodies.get(&key) {
            Some(&body) => body,
            None => {
                let entities = match (to, self.interest, &self.grid) {
                    (View::Around(_), Some(interest), Some(grid)) => {
                        interest.members(grid, to, &mut self.members);
                        sim.states(&self.members)
                    }
                    _ => sim.snapshot(),
                };
                let body = batch.body(encode_snapshot_body(&entities));
                self.bodies.insert(key, body);
                body
            }
        };
        (snapshot_head(tick, ack), body)
    }

    /// Encodes the delta from view `from` at tick `base` to view `to` now; `None` if `base` is too old.
    fn delta(
        &mut self,
        batch: &mut Batch,
        base: u32,
        from: View,
        to: View,
        sim: &Sim,
    ) -> Option<u16> {
        let changes = if base.wrapping_add(1) == self.tick {
            self.changes.clone()
        } else {
            let (history, current) = (&self.history, &self.changes);
            self.composed
                .entry(base)
                .or_insert_with(|| match history.catchup(Some(base)) {
                    Catchup::Shared => Some(current.clone()),
                    Catchup::Composed(c) => Some(Arc::new(c)),
                    Catchup::Snapshot => None,
                })
                .clone()?
        };
        if from == View::All && to == View::All {
            return Some(delta_body(batch, &changes));
        }
        let interest = self.interest?;
        let (old, new) = (self.history.grid(base)?, self.grid.as_ref()?);
        let states = |ids: &[EntityId]| sim.states(ids);
        let d = if from == to && base.wrapping_add(1) == self.tick {
            let cells = self
                .cells
                .get_or_insert_with(|| interest.sort_changes(old, new, &changes));
            interest.steady_delta(cells, to, &changes, states)
        } else {
            interest.delta(old, new, from, to, &changes, states)
        };
        Some(delta_body(batch, &d))
    }
}

/// Encodes the shared part of a delta for `changes` into the batch; returns its index.
fn delta_body(batch: &mut Batch, c: &TickChanges) -> u16 {
    batch.body(encode_delta_body(
        &c.spawns,
        &c.changes,
        &c.despawns,
        &c.events,
        &c.moves,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickwire_shared::entity::position_to_wire;
    use tickwire_shared::{Input, Mirror, decode_server};
    use tickwire_sim::assets::Point;
    use tickwire_sim::interest::ViewAsset;
    use tickwire_sim::{MapAsset, RulesAsset, SimConfig};

    /// What one test client does with this tick's frame.
    #[derive(Clone, Copy, PartialEq)]
    enum Fate {
        Taken,
        Skipped,
        Reconnect,
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) as u32
        }
        fn unit(&mut self) -> f32 {
            self.next() as f32 / (1u64 << 31) as f32 * 2.0 - 1.0
        }
    }

    fn view_sim(seed: u64) -> Sim {
        let spawns = (0..9)
            .map(|i| Point {
                x: 150.0 + (i % 3) as f32 * 450.0,
                y: 150.0 + (i / 3) as f32 * 450.0,
            })
            .collect();
        Sim::new(SimConfig {
            map: MapAsset {
                width: 1200.0,
                height: 1200.0,
                walls: Vec::new(),
                spawns,
                view: Some(ViewAsset {
                    cell: 100.0,
                    radius: 1,
                }),
            },
            rules: RulesAsset::default_rules(),
            tick_rate: 30,
            seed,
            scenario: Default::default(),
        })
        .expect("valid")
    }

    /// Players wander, shoot, skip frames, reconnect and leave; every client's mirror, built only from the
    /// frames the fan-out makes for it (decoded from the bytes), must always hold exactly the entities of its
    /// view with the server's fields, and every entity within the guaranteed distance of its player.
    #[test]
    fn every_client_holds_exactly_its_view_through_moves_skips_and_reconnects() {
        for seed in 1..=4u64 {
            let mut rng = Rng(seed);
            let mut sim = view_sim(seed);
            let interest = sim.interest().expect("the map has a view");
            let reach = i64::from(position_to_wire(interest.guaranteed()));
            let mut fanout = Fanout::new(8, Some(interest));
            const CLIENTS: u64 = 8;
            let mut held = vec![Held::default(); CLIENTS as usize];
            let mut mirrors: Vec<Mirror> = (0..CLIENTS).map(|_| Mirror::new()).collect();
            let mut heading = vec![(0.0f32, 0.0f32); CLIENTS as usize];
            let mut seqs = vec![0u32; CLIENTS as usize];
            let mut members = Vec::new();
            let (mut crossings, mut skips) = (0, 0);
            for c in 0..CLIENTS {
                sim.join(c, "p");
            }
            for _ in 0..600 {
                for c in 0..CLIENTS as usize {
                    if rng.next().is_multiple_of(40) {
                        heading[c] = (rng.unit(), rng.unit());
                    }
                    seqs[c] += 1;
                    let input = Input {
                        seq: seqs[c],
                        dx: heading[c].0,
                        dy: heading[c].1,
                        aim: rng.unit() * 3.0,
                        buttons: u8::from(rng.next().is_multiple_of(10)),
                    };
                    sim.push_input(c as u64, &input);
                }
                // Now and then a player leaves and comes back (its entity goes, a new one comes).
                if rng.next().is_multiple_of(50) {
                    let c = u64::from(rng.next()) % CLIENTS;
                    sim.leave(c);
                    sim.join(c, "p");
                }
                sim.step();
                let tick = sim.tick();
                fanout.begin(tick, sim.take_changes(), sim.grid());
                let mut batch = Batch::default();
                let grid = sim.grid().expect("grid");
                for c in 0..CLIENTS as usize {
                    let fate = match rng.next() % 20 {
                        0..=2 => Fate::Skipped,
                        3 => Fate::Reconnect,
                        _ => Fate::Taken,
                    };
                    if fate == Fate::Reconnect {
                        held[c] = Held::default();
                        mirrors[c] = Mirror::new();
                    }
                    let player = sim.player_id(c as u64);
                    let to = fanout.view_for(player, held[c].view);
                    let (head, body) = fanout.frame(&mut batch, held[c], to, 0, &mut sim);
                    if fate == Fate::Skipped {
                        skips += 1;
                        continue;
                    }
                    let mut bytes = head.as_bytes().to_vec();
                    bytes.extend_from_slice(batch.body_bytes(body));
                    let msg = decode_server(&bytes).expect("decodes");
                    mirrors[c]
                        .apply(&msg)
                        .unwrap_or_else(|e| panic!("seed {seed} tick {tick} client {c}: {e}"));
                    if held[c].view != to && held[c].tick.is_some() {
                        crossings += 1;
                    }
                    held[c] = Held {
                        tick: Some(tick),
                        view: to,
                    };
                    interest.members(&grid, to, &mut members);
                    let truth: tickwire_shared::mirror::EntityMap = sim
                        .states(&members)
                        .into_iter()
                        .map(|e| (e.id, e.fields))
                        .collect();
                    assert_eq!(
                        mirrors[c].entities, truth,
                        "seed {seed} tick {tick} client {c}: the mirror is not the view"
                    );
                    let me = player.and_then(|id| truth.get(&id)).expect("sees itself");
                    // Where clients draw an entity now: a projectile flies from (x, y) since its tick.
                    let now = |f: &tickwire_shared::EntityFields| {
                        let flown = i64::from(tick.saturating_sub(f.since.unwrap_or(tick)));
                        let at = |p: Option<i32>, v: Option<i32>| {
                            i64::from(p.unwrap_or(0)) + i64::from(v.unwrap_or(0)) * flown / 30
                        };
                        (at(f.x, f.vx), at(f.y, f.vy))
                    };
                    let (mx, my) = now(me);
                    let near = |f: &tickwire_shared::EntityFields| {
                        let (x, y) = now(f);
                        (x - mx).abs() <= reach && (y - my).abs() <= reach
                    };
                    for e in sim.snapshot() {
                        assert!(
                            !near(&e.fields) || mirrors[c].entities.contains_key(&e.id),
                            "seed {seed} tick {tick} client {c}: entity {} is within reach but not held",
                            e.id
                        );
                    }
                }
                assert!(
                    fanout.bodies() <= CLIENTS as usize,
                    "never more bodies than clients"
                );
            }
            assert!(
                crossings > 20 && skips > 100,
                "the run exercised too little: {crossings} view changes, {skips} skips"
            );
        }
    }
}
