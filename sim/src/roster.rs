//! A read-only view of the players, for the operator's `players` and `kick` commands.

use crate::Sim;
use crate::components::{ClientKey, NetFields, NetId, Player};
use tickwire_shared::EntityId;

/// One player as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// The connection's key.
    pub client: ClientKey,
    /// The player's entity id (what clients know it by).
    pub id: EntityId,
    /// The cleaned display name.
    pub name: String,
    /// The replicated score (0 until the game rules award points).
    pub score: i32,
}

impl Sim {
    /// Every player, in ascending entity id order.
    pub fn roster(&mut self) -> Vec<RosterEntry> {
        let world = self.world_mut();
        let mut q = world.query::<(&Player, &NetId, &NetFields)>();
        let mut rows: Vec<RosterEntry> = q
            .iter(world)
            .map(|(p, id, fields)| RosterEntry {
                client: p.client,
                id: id.0,
                name: p.name.clone(),
                score: fields.0.score.unwrap_or(0),
            })
            .collect();
        rows.sort_by_key(|r| r.id);
        rows
    }
}
