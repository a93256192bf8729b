//! Interest management: on a map with a `[view]`, each client receives only the entities near its player.
//!
//! The world is cut into square cells. Every replicated entity belongs to one cell, chosen from its wire
//! position with hysteresis: it keeps its cell until it is more than a quarter of a cell beyond that cell's
//! edge, so an entity (or a player) pacing along a border does not flicker between cells. A client's
//! [`View`] is the square of cells within `radius` cells of its own player's cell; every entity in it is
//! visible. The player and an entity may each be up to a quarter cell outside their cells, so a client sees at
//! least `radius × cell − cell/2` world units around its player in every direction ([`Interest::guaranteed`],
//! told to clients in the welcome).
//!
//! All clients whose players share a cell share a view, so the server encodes one delta per occupied view, not
//! one per client: cost grows with occupied cells × entities in view, not clients × entities. The delta from
//! view `from` at a baseline tick to view `to` now ([`Interest::delta`]) is the ordinary delta restricted to
//! the view: entities that came into view are spawned with all their fields, entities that left it (or were
//! removed) are despawned, and entities in view at both ends get their changes and moves. The common case — a
//! view that held the previous tick and has not moved — takes a faster path ([`CellChanges`]): the tick's
//! changes are sorted into cells once, and each view gathers its cells' share plus the few entities that
//! changed cell. A player crossing
//! into another cell gets, once, the delta between its old and its new view; a client that skipped ticks gets
//! the composed delta between its baseline's view and today's. Events are not filtered: everyone hears them.

use crate::replication::TickChanges;
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tickwire_shared::entity::position_to_wire;
use tickwire_shared::{EntityId, EntityState, Move};

/// The `[view]` section of a map file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewAsset {
    /// The side of a grid cell, in world units.
    pub cell: f32,
    /// How many cells on each side of the player's cell are in view (at least 1).
    pub radius: u8,
}

/// A grid cell: its column and row.
pub type Cell = (i32, i32);

/// What a client sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum View {
    /// Every entity: maps without a `[view]`, and clients without a player.
    All,
    /// The cells within the interest radius of this one.
    Around(Cell),
}

/// The grid's geometry, in wire units (see [`tickwire_shared::entity::POSITION_SCALE`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interest {
    cell: i64,
    margin: i64,
    radius: i32,
    cell_units: f32,
}

impl Interest {
    /// The geometry a map's `[view]` describes (validated by the map parser: a positive cell, radius ≥ 1).
    pub fn new(view: &ViewAsset) -> Self {
        let cell = i64::from(position_to_wire(view.cell).max(4));
        Interest {
            cell,
            margin: cell / 4,
            radius: i32::from(view.radius.max(1)),
            cell_units: view.cell,
        }
    }

    /// The half-size, in world units, of the square around a player inside which it sees every entity: the
    /// view's edge, less the quarter cell the player may be outside its cell and the quarter cell an entity may
    /// be outside its own.
    pub fn guaranteed(&self) -> f32 {
        self.radius as f32 * self.cell_units - self.cell_units / 2.0
    }

    /// The cell a wire position lies in.
    pub fn cell_of(&self, x: i32, y: i32) -> Cell {
        let c = |v: i32| i64::from(v).div_euclid(self.cell) as i32;
        (c(x), c(y))
    }

    /// The cell of an entity at `(x, y)` that was in `previous`: unchanged while the position is within a
    /// quarter cell of it.
    fn sticky(&self, previous: Option<Cell>, x: i32, y: i32) -> Cell {
        if let Some((cx, cy)) = previous {
            let within = |v: i32, c: i32| {
                let lo = i64::from(c) * self.cell - self.margin;
                (lo..lo + self.cell + 2 * self.margin).contains(&i64::from(v))
            };
            if within(x, cx) && within(y, cy) {
                return (cx, cy);
            }
        }
        self.cell_of(x, y)
    }

    /// Whether `cell` is in `view`.
    pub fn contains(&self, view: View, cell: Cell) -> bool {
        match view {
            View::All => true,
            View::Around((cx, cy)) => {
                (cell.0 - cx).abs() <= self.radius && (cell.1 - cy).abs() <= self.radius
            }
        }
    }

    /// Sorts one tick's `changes` into cells: what every view that held the previous tick shares.
    pub fn sort_changes(&self, old: &Grid, new: &Grid, changes: &TickChanges) -> CellChanges {
        let mut out = CellChanges::default();
        let stayed = |id: EntityId| {
            let cell = new.of.get(&id)?;
            (old.of.get(&id) == Some(cell)).then_some(*cell)
        };
        for m in &changes.moves {
            if let Some(cell) = stayed(m.id) {
                out.cells.entry(cell).or_default().moves.push(*m);
            }
        }
        for (i, c) in changes.changes.iter().enumerate() {
            if let Some(cell) = stayed(c.id) {
                out.cells.entry(cell).or_default().changes.push(i as u32);
            }
        }
        for (&id, &cell) in &new.of {
            match old.of.get(&id) {
                Some(&was) if was == cell => {}
                was => out.crossed.push((id, was.copied(), Some(cell))),
            }
        }
        for (&id, &was) in &old.of {
            if !new.of.contains_key(&id) {
                out.crossed.push((id, Some(was), None));
            }
        }
        out.crossed.sort_unstable_by_key(|c| c.0);
        out
    }

    /// [`Interest::delta`] for a view that held the previous tick and has not moved, from the tick's
    /// [`CellChanges`]: the same result, without looking at entities outside the view.
    pub fn steady_delta(
        &self,
        cells: &CellChanges,
        view: View,
        changes: &TickChanges,
        mut state: impl FnMut(&[EntityId]) -> Vec<EntityState>,
    ) -> TickChanges {
        let mut out = TickChanges {
            events: changes.events.clone(),
            ..Default::default()
        };
        let mut changed: Vec<u32> = Vec::new();
        match view {
            View::All => {
                for part in cells.cells.values() {
                    out.moves.extend_from_slice(&part.moves);
                    changed.extend_from_slice(&part.changes);
                }
            }
            View::Around((cx, cy)) => {
                for x in cx - self.radius..=cx + self.radius {
                    for y in cy - self.radius..=cy + self.radius {
                        if let Some(part) = cells.cells.get(&(x, y)) {
                            out.moves.extend_from_slice(&part.moves);
                            changed.extend_from_slice(&part.changes);
                        }
                    }
                }
            }
        }
        let mut entering = Vec::new();
        for &(id, was, now) in &cells.crossed {
            let was = was.is_some_and(|c| self.contains(view, c));
            let now = now.is_some_and(|c| self.contains(view, c));
            match (was, now) {
                (true, true) => {
                    if let Ok(k) = changes.moves.binary_search_by_key(&id, |m| m.id) {
                        out.moves.push(changes.moves[k]);
                    }
                    if let Ok(k) = changes.changes.binary_search_by_key(&id, |c| c.id) {
                        changed.push(k as u32);
                    }
                }
                (true, false) => out.despawns.push(id),
                (false, true) => entering.push(id),
                (false, false) => {}
            }
        }
        out.moves.sort_unstable_by_key(|m| m.id);
        changed.sort_unstable();
        out.changes = changed
            .iter()
            .map(|&i| changes.changes[i as usize].clone())
            .collect();
        out.spawns = state(&entering);
        out
    }

    /// Every entity in `view` in `grid`, in ascending id order, into `out` (cleared first).
    pub fn members(&self, grid: &Grid, view: View, out: &mut Vec<EntityId>) {
        out.clear();
        match view {
            View::All => out.extend(grid.cells.values().flat_map(|ids| ids.iter().copied())),
            View::Around((cx, cy)) => {
                for x in cx - self.radius..=cx + self.radius {
                    for y in cy - self.radius..=cy + self.radius {
                        if let Some(ids) = grid.cells.get(&(x, y)) {
                            out.extend_from_slice(ids);
                        }
                    }
                }
            }
        }
        out.sort_unstable();
    }

    /// The changes that take a client from what it held — the entities of view `from` in `old`, at the
    /// baseline — to view `to` in `new`, given the `changes` between the two ticks (one tick's, or
    /// [`crate::replication::compose`]d). `state` gives the current fields of entities coming into view.
    pub fn delta(
        &self,
        old: &Grid,
        new: &Grid,
        from: View,
        to: View,
        changes: &TickChanges,
        mut state: impl FnMut(&[EntityId]) -> Vec<EntityState>,
    ) -> TickChanges {
        let (mut was, mut now) = (Vec::new(), Vec::new());
        self.members(old, from, &mut was);
        self.members(new, to, &mut now);
        let mut out = TickChanges {
            events: changes.events.clone(),
            ..Default::default()
        };
        let mut entering = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < was.len() || j < now.len() {
            match (was.get(i), now.get(j)) {
                (Some(&a), Some(&b)) if a == b => {
                    if let Ok(k) = changes.changes.binary_search_by_key(&a, |c| c.id) {
                        out.changes.push(changes.changes[k].clone());
                    }
                    if let Ok(k) = changes.moves.binary_search_by_key(&a, |m| m.id) {
                        out.moves.push(changes.moves[k]);
                    }
                    i += 1;
                    j += 1;
                }
                (Some(&a), Some(&b)) if a < b => {
                    out.despawns.push(a);
                    i += 1;
                }
                (Some(&a), None) => {
                    out.despawns.push(a);
                    i += 1;
                }
                (_, Some(&b)) => {
                    entering.push(b);
                    j += 1;
                }
                (None, None) => break,
            }
        }
        out.spawns = state(&entering);
        out
    }
}

/// One tick's changes sorted into cells, for the views that held the previous tick ([`Interest::sort_changes`]).
#[derive(Debug, Default)]
pub struct CellChanges {
    /// For each cell, the moves and changes (indices into the tick's changes) of the entities that were in it
    /// before the tick and still are.
    cells: HashMap<Cell, CellPart>,
    /// Entities whose cell changed, appeared or disappeared: `(id, cell before, cell after)`, by id.
    crossed: Vec<(EntityId, Option<Cell>, Option<Cell>)>,
}

#[derive(Debug, Default)]
struct CellPart {
    moves: Vec<Move>,
    changes: Vec<u32>,
}

/// Which cell every replicated entity is in, after one tick.
///
/// The fan-out keeps a grid for every tick of its catch-up history (64 by default), so a grid shares what did
/// not change: each cell's member list is shared with the previous grid while its members stay the same, and a
/// grid kept only to answer "who was in these cells" drops its per-entity index ([`Grid::cells_only`]).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Grid {
    /// The cell of each entity; empty in a grid made by [`Grid::cells_only`].
    of: HashMap<EntityId, Cell>,
    /// The ids in each occupied cell, ascending.
    cells: HashMap<Cell, Arc<[EntityId]>>,
}

impl Grid {
    /// Places `entities` (id and wire position), each in its cell in `previous` if it has not left it.
    pub fn build(
        interest: &Interest,
        previous: &Grid,
        entities: impl IntoIterator<Item = (EntityId, i32, i32)>,
    ) -> Grid {
        let mut of = HashMap::with_capacity_and_hasher(previous.of.len(), Default::default());
        let mut members: HashMap<Cell, Vec<EntityId>> =
            HashMap::with_capacity_and_hasher(previous.cells.len(), Default::default());
        for (id, x, y) in entities {
            let cell = interest.sticky(previous.of.get(&id).copied(), x, y);
            of.insert(id, cell);
            members.entry(cell).or_default().push(id);
        }
        let cells = members
            .into_iter()
            .map(|(cell, mut ids)| {
                ids.sort_unstable();
                let ids = match previous.cells.get(&cell) {
                    Some(same) if **same == *ids => same.clone(),
                    _ => Arc::from(ids),
                };
                (cell, ids)
            })
            .collect();
        Grid { of, cells }
    }

    /// The same cells without the per-entity index: all that [`Interest::members`] and [`Interest::delta`] read
    /// of a grid older than the previous tick. Cheap: the member lists are shared.
    pub fn cells_only(&self) -> Grid {
        Grid {
            of: HashMap::default(),
            cells: self.cells.clone(),
        }
    }

    /// Whether this grid has a per-entity index to drop (see [`Grid::cells_only`]).
    pub fn is_indexed(&self) -> bool {
        !self.of.is_empty()
    }

    /// The cell `id` is in, if it is a replicated entity.
    pub fn cell_of(&self, id: EntityId) -> Option<Cell> {
        self.of.get(&id).copied()
    }

    /// How many cells hold at least one entity.
    pub fn occupied(&self) -> usize {
        self.cells.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interest() -> Interest {
        Interest::new(&ViewAsset {
            cell: 100.0,
            radius: 1,
        })
    }

    fn w(units: f32) -> i32 {
        position_to_wire(units)
    }

    #[test]
    fn an_entity_keeps_its_cell_until_a_quarter_cell_past_the_edge() {
        let i = interest();
        let g0 = Grid::build(&i, &Grid::default(), [(1, w(99.0), w(50.0))]);
        assert_eq!(g0.cell_of(1), Some((0, 0)));
        let g1 = Grid::build(&i, &g0, [(1, w(120.0), w(50.0))]);
        assert_eq!(g1.cell_of(1), Some((0, 0)), "within the margin: stays");
        let g2 = Grid::build(&i, &g1, [(1, w(126.0), w(50.0))]);
        assert_eq!(g2.cell_of(1), Some((1, 0)), "past the margin: moves");
        let g3 = Grid::build(&i, &g2, [(1, w(80.0), w(50.0))]);
        assert_eq!(
            g3.cell_of(1),
            Some((1, 0)),
            "back within the margin of (1,0)"
        );
        let g4 = Grid::build(&i, &g3, [(1, w(-10.0), w(-30.0))]);
        assert_eq!(g4.cell_of(1), Some((-1, -1)), "negative coordinates floor");
        assert_eq!(i.guaranteed(), 50.0);
    }

    #[test]
    fn a_view_delta_spawns_what_came_into_view_and_despawns_what_left() {
        let i = interest();
        // 1 stays in view and moves, 2 leaves the view, 3 comes into view, 4 is far away throughout, 5 is
        // removed, 6 is in view at both ends and has a change.
        let old = Grid::build(
            &i,
            &Grid::default(),
            [
                (1, w(50.0), w(50.0)),
                (2, w(150.0), w(50.0)),
                (3, w(450.0), w(50.0)),
                (4, w(900.0), w(900.0)),
                (5, w(10.0), w(10.0)),
                (6, w(-50.0), w(-50.0)),
            ],
        );
        let new = Grid::build(
            &i,
            &old,
            [
                (1, w(60.0), w(50.0)),
                (2, w(450.0), w(50.0)),
                (3, w(150.0), w(50.0)),
                (4, w(901.0), w(900.0)),
                (6, w(-50.0), w(-50.0)),
            ],
        );
        let mv = |id, dx| Move { id, dx, dy: 0 };
        let health = EntityState {
            id: 6,
            fields: tickwire_shared::EntityFields {
                health: Some(3),
                ..Default::default()
            },
        };
        let changes = TickChanges {
            moves: vec![
                mv(1, w(10.0)),
                mv(2, w(300.0)),
                mv(3, -w(300.0)),
                mv(4, w(1.0)),
            ],
            changes: vec![health.clone()],
            despawns: vec![5],
            ..Default::default()
        };
        let view = View::Around((0, 0));
        let mut asked = Vec::new();
        let d = i.delta(&old, &new, view, view, &changes, |ids| {
            asked.extend_from_slice(ids);
            ids.iter()
                .map(|&id| EntityState {
                    id,
                    fields: Default::default(),
                })
                .collect()
        });
        assert_eq!(asked, vec![3]);
        assert_eq!(d.spawns.iter().map(|s| s.id).collect::<Vec<_>>(), vec![3]);
        assert_eq!(d.despawns, vec![2, 5]);
        assert_eq!(d.moves, vec![mv(1, w(10.0))]);
        assert_eq!(d.changes, vec![health]);
    }

    #[test]
    fn the_steady_path_gives_the_same_delta_as_the_general_one() {
        let i = interest();
        let mut rng = 7u64;
        let mut next = move || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (rng >> 33) as i32
        };
        // 300 entities on a 1000 × 1000 field, a quarter moving each tick, some appearing and disappearing.
        let mut pos: Vec<Option<(i32, i32)>> = (0..300)
            .map(|_| Some((w((next() % 1000) as f32), w((next() % 1000) as f32))))
            .collect();
        let place = |pos: &[Option<(i32, i32)>]| {
            pos.iter()
                .enumerate()
                .filter_map(|(id, p)| p.map(|(x, y)| (id as EntityId, x, y)))
                .collect::<Vec<_>>()
        };
        let mut grid = Grid::build(&i, &Grid::default(), place(&pos));
        let state = |ids: &[EntityId]| {
            ids.iter()
                .map(|&id| EntityState {
                    id,
                    fields: Default::default(),
                })
                .collect()
        };
        for _ in 0..20 {
            let mut changes = TickChanges::default();
            for (id, p) in pos.iter_mut().enumerate() {
                let id = id as EntityId;
                match (next() % 40, *p) {
                    (0, Some(_)) => {
                        *p = None;
                        changes.despawns.push(id);
                    }
                    (1, None) => *p = Some((w(500.0), w(500.0))),
                    (2..=11, Some((x, y))) => {
                        let (dx, dy) =
                            (w((next() % 121 - 60) as f32), w((next() % 121 - 60) as f32));
                        *p = Some((x + dx, y + dy));
                        changes.moves.push(Move { id, dx, dy });
                        if dx > 0 {
                            changes.changes.push(EntityState {
                                id,
                                fields: tickwire_shared::EntityFields {
                                    angle: Some(dx as i16),
                                    ..Default::default()
                                },
                            });
                        }
                    }
                    _ => {}
                }
            }
            let new = Grid::build(&i, &grid, place(&pos));
            let cells = i.sort_changes(&grid, &new, &changes);
            let mut views: Vec<View> = new.cells.keys().map(|&c| View::Around(c)).collect();
            views.push(View::All);
            for view in views {
                let general = i.delta(&grid, &new, view, view, &changes, state);
                let steady = i.steady_delta(&cells, view, &changes, state);
                assert_eq!(steady, general, "view {view:?}");
            }
            grid = new;
        }
    }
}
