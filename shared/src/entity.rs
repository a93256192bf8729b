//! Replicated entity state: which fields exist, their wire types and fixed-point encodings.
//!
//! An entity on the wire is `[id, mask, value...]`: bit `i` of `mask` says field `i` is present, and the present
//! values follow in ascending bit order. A spawn carries every field the entity has; a change carries only the
//! fields whose encoded value differs from what the client already holds. Positions and angles are fixed-point
//! integers, so "changed" means "changed at the precision the client can see", and small moves cost few bytes.

use serde::ser::SerializeTuple;
use serde::{Serialize, Serializer};

/// The identifier of a replicated entity. Ids are never reused while a client could still hold the old entity.
pub type EntityId = u32;

/// Fixed-point scale of positions: one world unit is 16 wire units (precision 1/16 unit).
pub const POSITION_SCALE: f32 = 16.0;
/// Fixed-point scale of angles: one radian is 10,000 wire units, angles lie in [-π, π].
pub const ANGLE_SCALE: f32 = 10_000.0;

/// Entity kind: a player-controlled avatar.
pub const KIND_PLAYER: u8 = 0;
/// Entity kind: a projectile.
pub const KIND_PROJECTILE: u8 = 1;
/// Entity kind: a server-owned object (the benchmark scenes' cubes).
pub const KIND_OBJECT: u8 = 2;

/// Flag bit: the entity is dead (a player waiting to respawn).
pub const FLAG_DEAD: u8 = 0b0000_0001;

/// Encodes a world coordinate as a fixed-point wire value.
pub fn position_to_wire(v: f32) -> i32 {
    (v * POSITION_SCALE).round() as i32
}

/// Decodes a fixed-point wire coordinate into world units.
pub fn position_from_wire(v: i32) -> f32 {
    v as f32 / POSITION_SCALE
}

/// Encodes an angle in radians (any value) as a fixed-point wire value in [-31416, 31416].
pub fn angle_to_wire(radians: f32) -> i16 {
    let wrapped =
        (radians + std::f32::consts::PI).rem_euclid(std::f32::consts::TAU) - std::f32::consts::PI;
    (wrapped * ANGLE_SCALE).round() as i16
}

/// Decodes a fixed-point wire angle into radians.
pub fn angle_from_wire(v: i16) -> f32 {
    v as f32 / ANGLE_SCALE
}

macro_rules! entity_fields {
    ($( $bit:literal $field:ident : $ty:ty, $doc:literal; )*) => {
        /// The replicated fields of one entity; `None` means "not present in this message".
        ///
        /// Field `bit` numbers are part of the wire format (see docs/PROTOCOL.md) and never change meaning.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
        pub struct EntityFields {
            $( #[doc = $doc] pub $field: Option<$ty>, )*
        }

        impl EntityFields {
            /// The presence mask of these fields as sent on the wire.
            pub fn mask(&self) -> u16 {
                let mut mask = 0u16;
                $( if self.$field.is_some() { mask |= 1 << $bit; } )*
                mask
            }

            /// The fields of `self` whose values differ from `old` (fields `self` lacks are ignored).
            pub fn changed_since(&self, old: &EntityFields) -> EntityFields {
                EntityFields {
                    $( $field: if self.$field != old.$field { self.$field.clone() } else { None }, )*
                }
            }

            /// Overwrites the fields present in `update`, keeping the others.
            pub fn apply(&mut self, update: &EntityFields) {
                $( if let Some(v) = &update.$field { self.$field = Some(v.clone()); } )*
            }

            /// True when no field is present.
            pub fn is_empty(&self) -> bool {
                self.mask() == 0
            }

            fn present_count(&self) -> usize {
                self.mask().count_ones() as usize
            }

            fn serialize_values<T: SerializeTuple>(&self, t: &mut T) -> Result<(), T::Error> {
                $( if let Some(v) = &self.$field { t.serialize_element(v)?; } )*
                Ok(())
            }

            /// Reads the values `mask` declares, in ascending bit order (the caller has checked their count).
            pub(crate) fn read_values(
                mask: u16,
                r: &mut crate::read::Reader<'_>,
            ) -> Result<Self, crate::codec::DecodeError> {
                use crate::read::ReadValue;
                let mut out = EntityFields::default();
                $(
                    if mask & (1 << $bit) != 0 {
                        out.$field = Some(<$ty>::read(r, stringify!($field))?);
                    }
                )*
                Ok(out)
            }

            /// The name of field `bit` (`"?"` for a bit no field uses).
            pub(crate) fn field_name(bit: u32) -> &'static str {
                match bit {
                    $( $bit => stringify!($field), )*
                    _ => "?",
                }
            }
        }

        /// Every field bit this protocol version defines.
        pub const KNOWN_FIELDS_MASK: u16 = 0 $( | (1 << $bit) )*;
    };
}

entity_fields! {
    0 kind: u8, "Entity kind: `KIND_PLAYER`, `KIND_PROJECTILE` or `KIND_OBJECT`. Sent on spawn only.";
    1 x: i32, "X position in 1/16 world units.";
    2 y: i32, "Y position in 1/16 world units.";
    3 angle: i16, "Facing angle in 1/10,000 radians, in [-π, π].";
    4 name: String, "Display name (players).";
    5 colour: u32, "Colour as 0xRRGGBB.";
    6 health: u16, "Current health points.";
    7 score: i32, "Score.";
    8 kills: u16, "Kills this match.";
    9 deaths: u16, "Deaths this match.";
    10 owner: u32, "Entity id of the owner (a projectile's shooter).";
    11 flags: u8, "Bit flags, see `FLAG_DEAD`.";
    12 vx: i32, "X velocity in 1/16 world units per second, for entities that move in a straight line.";
    13 vy: i32, "Y velocity in 1/16 world units per second.";
    14 since: u32, "The tick at which the entity was at (x, y); with vx/vy its position at tick t is (x, y) + v·(t − since) / tick_rate.";
}

/// One entity as sent in a snapshot, spawn or change: its id and the fields present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityState {
    /// The entity's id.
    pub id: EntityId,
    /// The fields present in this message.
    pub fields: EntityFields,
}

impl Serialize for EntityState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut t = serializer.serialize_tuple(2 + self.fields.present_count())?;
        t.serialize_element(&self.id)?;
        t.serialize_element(&self.fields.mask())?;
        self.fields.serialize_values(&mut t)?;
        t.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_at_one_sixteenth_precision() {
        for v in [0.0f32, 1999.97, 123.456, -5.03] {
            let back = position_from_wire(position_to_wire(v));
            assert!(
                (back - v).abs() <= 1.0 / 32.0 + 1e-4,
                "{v} came back as {back}"
            );
        }
    }

    #[test]
    fn angles_wrap_into_minus_pi_pi() {
        let a = angle_from_wire(angle_to_wire(3.0 * std::f32::consts::PI));
        assert!(
            (a.abs() - std::f32::consts::PI).abs() < 1e-3,
            "3π should wrap to ±π, got {a}"
        );
        assert_eq!(angle_to_wire(0.5), 5000);
    }

    #[test]
    fn changed_since_keeps_only_differences() {
        let old = EntityFields {
            x: Some(1),
            y: Some(2),
            name: Some("a".into()),
            ..Default::default()
        };
        let new = EntityFields {
            x: Some(1),
            y: Some(3),
            name: Some("a".into()),
            ..Default::default()
        };
        let diff = new.changed_since(&old);
        assert_eq!(
            diff,
            EntityFields {
                y: Some(3),
                ..Default::default()
            }
        );
        assert_eq!(diff.mask(), 1 << 2);
    }
}
