//! Scenarios: which world the simulation runs. `Arena` is the game; `Crowd` and `Gaffer` are the benchmark
//! scenes other servers run too (see `../shared/scenarios/` and docs/BENCHMARKS.md). Each brings its own
//! components and systems; the replication, the protocol, the tick driver and the network layer are the same.

pub mod crowd;
pub mod gaffer;

use crate::components::{Facing, NetFields, Position};
use bevy_ecs::prelude::*;
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use tickwire_shared::entity::{EntityFields, angle_to_wire, position_to_wire};

/// Which world to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// The arena shooter.
    #[default]
    Arena,
    /// The "crowd" load: random walkers on a toroidal 2000×2000 field, one per client.
    Crowd,
    /// The "Gaffer" scene: 900 server-owned cubes, about 10% moving at any moment; clients only watch.
    Gaffer,
}

impl Scenario {
    /// The tick rate the scenario is defined at.
    pub fn default_tick_rate(self) -> u16 {
        match self {
            Scenario::Arena | Scenario::Crowd => 30,
            Scenario::Gaffer => 60,
        }
    }

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Arena => "arena",
            Scenario::Crowd => "crowd",
            Scenario::Gaffer => "gaffer",
        }
    }
}

impl FromStr for Scenario {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "arena" => Ok(Scenario::Arena),
            "crowd" => Ok(Scenario::Crowd),
            "gaffer" => Ok(Scenario::Gaffer),
            other => Err(format!(
                "unknown scenario `{other}` (expected arena, crowd or gaffer)"
            )),
        }
    }
}

/// Writes the x, y and angle of every moved entity into its replicated fields, where they changed at wire
/// precision. The scenes' entities carry nothing else that changes.
pub fn export_motion(
    mut moved: Query<
        (&Position, &Facing, &mut NetFields),
        Or<(Changed<Position>, Changed<Facing>)>,
    >,
) {
    for (pos, facing, mut fields) in &mut moved {
        let now = EntityFields {
            x: Some(position_to_wire(pos.0.x)),
            y: Some(position_to_wire(pos.0.y)),
            angle: Some(angle_to_wire(facing.0)),
            ..Default::default()
        };
        if !now.changed_since(&fields.0).is_empty() {
            fields.0.apply(&now);
        }
    }
}
