//! The map and rules files in `assets/`: their shape, their defaults, and validation with errors that name the
//! file and the field at fault.

use bevy_ecs::prelude::Resource;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tickwire_shared::{Arena, Wall};

/// The map shipped in `assets/map.toml`, embedded so the server runs with no files around it.
pub const DEFAULT_MAP: &str = include_str!("../../assets/map.toml");
/// The rules shipped in `assets/rules.toml`, embedded likewise.
pub const DEFAULT_RULES: &str = include_str!("../../assets/rules.toml");

/// Why an asset file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    /// The file could not be read.
    // The I/O error is the source (printed after this by error reports), not repeated in the message.
    #[error("cannot read {file}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or a field has the wrong type; the message names the field and line.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// The parser's message, naming the field.
        message: String,
    },
    /// A field has a value the game cannot use.
    #[error("{file}: field `{field}`: {reason}")]
    Invalid {
        /// The file.
        file: String,
        /// The field, as a path (`walls[2].w`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A point in the map file.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    /// X, world units.
    pub x: f32,
    /// Y, world units.
    pub y: f32,
}

/// The map: arena size, walls and spawn points.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapAsset {
    /// Arena width in world units.
    pub width: f32,
    /// Arena height in world units.
    pub height: f32,
    /// Solid rectangles.
    #[serde(default)]
    pub walls: Vec<Wall>,
    /// Where players appear.
    pub spawns: Vec<Point>,
    /// Interest management: without it, every client sees the whole arena.
    #[serde(default)]
    pub view: Option<crate::interest::ViewAsset>,
}

/// Tuning numbers for the game. A rules file need not name them all: a key it leaves out keeps the shipped value
/// (`assets/rules.toml`), so changing one number takes one line.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesAsset {
    /// Player speed in units per second.
    #[serde(default = "shipped::player_speed")]
    pub player_speed: f32,
    /// Player collision radius in units.
    #[serde(default = "shipped::player_radius")]
    pub player_radius: f32,
    /// How many ticks of unused movement a player may bank (at least 1).
    #[serde(default = "shipped::input_burst_ticks")]
    pub input_burst_ticks: u32,
    /// How many inputs may wait per player (at least 1).
    #[serde(default = "shipped::input_queue_len")]
    pub input_queue_len: usize,
    /// Full health.
    #[serde(default = "shipped::max_health")]
    pub max_health: u16,
    /// Seconds between death and respawn.
    #[serde(default = "shipped::respawn_delay")]
    pub respawn_delay: f32,
    /// Seconds between two shots.
    #[serde(default = "shipped::fire_cooldown")]
    pub fire_cooldown: f32,
    /// Projectile speed, units per second.
    #[serde(default = "shipped::projectile_speed")]
    pub projectile_speed: f32,
    /// Projectile radius, units.
    #[serde(default = "shipped::projectile_radius")]
    pub projectile_radius: f32,
    /// Seconds a projectile flies.
    #[serde(default = "shipped::projectile_lifetime")]
    pub projectile_lifetime: f32,
    /// Health a hit takes.
    #[serde(default = "shipped::projectile_damage")]
    pub projectile_damage: u16,
    /// Score for a kill.
    #[serde(default = "shipped::kill_score")]
    pub kill_score: i32,
}

/// The shipped value of rules key `key`, for a rules file that leaves it out.
fn shipped_rule<T: for<'de> Deserialize<'de>>(key: &str) -> T {
    static SHIPPED: std::sync::LazyLock<toml::Table> = std::sync::LazyLock::new(|| {
        toml::from_str(DEFAULT_RULES)
            .expect("the shipped rules are valid TOML (checked by a unit test)")
    });
    SHIPPED
        .get(key)
        .cloned()
        .and_then(|v| v.try_into().ok())
        .expect("the shipped rules hold every key (checked by a unit test)")
}

/// One function per rules key giving its shipped value (serde's per-field defaults).
macro_rules! shipped_rules {
    ($($key:ident: $ty:ty),* $(,)?) => {
        mod shipped {
            $(pub(super) fn $key() -> $ty { super::shipped_rule(stringify!($key)) })*
        }
    };
}
shipped_rules!(
    player_speed: f32,
    player_radius: f32,
    input_burst_ticks: u32,
    input_queue_len: usize,
    max_health: u16,
    respawn_delay: f32,
    fire_cooldown: f32,
    projectile_speed: f32,
    projectile_radius: f32,
    projectile_lifetime: f32,
    projectile_damage: u16,
    kill_score: i32,
);

impl RulesAsset {
    /// Converts a duration in seconds to whole ticks at `tick_rate` (at least 1).
    pub fn ticks(seconds: f32, tick_rate: u16) -> u32 {
        ((seconds * f32::from(tick_rate)).round() as u32).max(1)
    }
}

/// Reads an asset file; returns its name (for errors) and its text.
fn read(path: &Path) -> Result<(String, String), AssetError> {
    let file = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => Ok((file, text)),
        Err(source) => Err(AssetError::Io { file, source }),
    }
}

fn parse<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<T, AssetError> {
    toml::from_str(text).map_err(|e| AssetError::Parse {
        file: file.to_string(),
        message: e.to_string(),
    })
}

fn invalid(file: &str, field: impl Into<String>, reason: impl Into<String>) -> AssetError {
    AssetError::Invalid {
        file: file.to_string(),
        field: field.into(),
        reason: reason.into(),
    }
}

fn positive(file: &str, field: &str, v: f32) -> Result<(), AssetError> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(invalid(
            file,
            field,
            format!("must be a positive number, got {v}"),
        ))
    }
}

/// The largest arena width or height, in world units. It keeps every wire position (1/16 units) within ±2^24,
/// so the difference of two positions — a move — always fits the protocol's int32.
pub const MAX_ARENA_SIZE: f32 = 1_000_000.0;

impl MapAsset {
    /// Parses and validates a map; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, AssetError> {
        let map: MapAsset = parse(file, text)?;
        map.validate(file)?;
        Ok(map)
    }

    /// Checks what [`MapAsset::parse`] checks, for a map that came another way (a recording's header).
    pub fn validate(&self, file: &str) -> Result<(), AssetError> {
        let map = self;
        for (name, v) in [("width", map.width), ("height", map.height)] {
            positive(file, name, v)?;
            if v > MAX_ARENA_SIZE {
                return Err(invalid(
                    file,
                    name,
                    format!("must be at most {MAX_ARENA_SIZE}, got {v}"),
                ));
            }
        }
        for (i, w) in map.walls.iter().enumerate() {
            for (name, v) in [("x", w.x), ("y", w.y)] {
                if !v.is_finite() {
                    return Err(invalid(
                        file,
                        format!("walls[{i}].{name}"),
                        "must be a finite number",
                    ));
                }
            }
            positive(file, &format!("walls[{i}].w"), w.w)?;
            positive(file, &format!("walls[{i}].h"), w.h)?;
        }
        if let Some(view) = &map.view {
            positive(file, "view.cell", view.cell)?;
            if view.radius == 0 {
                return Err(invalid(file, "view.radius", "must be at least 1"));
            }
        }
        if map.spawns.is_empty() {
            return Err(invalid(file, "spawns", "needs at least one spawn point"));
        }
        for (i, s) in map.spawns.iter().enumerate() {
            let inside = s.x.is_finite()
                && s.y.is_finite()
                && (0.0..=map.width).contains(&s.x)
                && (0.0..=map.height).contains(&s.y);
            if !inside {
                return Err(invalid(
                    file,
                    format!("spawns[{i}]"),
                    format!("({}, {}) is outside the arena", s.x, s.y),
                ));
            }
            if map
                .walls
                .iter()
                .any(|w| s.x >= w.x && s.x <= w.x + w.w && s.y >= w.y && s.y <= w.y + w.h)
            {
                return Err(invalid(file, format!("spawns[{i}]"), "lies inside a wall"));
            }
        }
        Ok(())
    }

    /// Reads, parses and validates a map file.
    pub fn load(path: &Path) -> Result<Self, AssetError> {
        let (file, text) = read(path)?;
        Self::parse(&file, &text)
    }

    /// The shipped map.
    pub fn default_map() -> Self {
        Self::parse("assets/map.toml", DEFAULT_MAP)
            .expect("the shipped map is valid (checked by a unit test)")
    }

    /// The arena as the protocol describes it.
    pub fn arena(&self) -> Arena {
        Arena {
            width: self.width,
            height: self.height,
            walls: self.walls.clone(),
        }
    }
}

impl RulesAsset {
    /// Parses and validates rules; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, AssetError> {
        let rules: RulesAsset = parse(file, text)?;
        rules.validate(file)?;
        Ok(rules)
    }

    /// Checks what [`RulesAsset::parse`] checks, for rules that came another way (a recording's header).
    pub fn validate(&self, file: &str) -> Result<(), AssetError> {
        let rules = self;
        positive(file, "player_speed", rules.player_speed)?;
        positive(file, "player_radius", rules.player_radius)?;
        if rules.input_burst_ticks == 0 {
            return Err(invalid(file, "input_burst_ticks", "must be at least 1"));
        }
        if rules.input_queue_len == 0 || rules.input_queue_len > 256 {
            return Err(invalid(
                file,
                "input_queue_len",
                "must be between 1 and 256",
            ));
        }
        if rules.max_health == 0 {
            return Err(invalid(file, "max_health", "must be at least 1"));
        }
        if rules.projectile_damage == 0 {
            return Err(invalid(file, "projectile_damage", "must be at least 1"));
        }
        if !(rules.respawn_delay.is_finite() && rules.respawn_delay >= 0.0) {
            return Err(invalid(
                file,
                "respawn_delay",
                format!("must be 0 or more seconds, got {}", rules.respawn_delay),
            ));
        }
        positive(file, "fire_cooldown", rules.fire_cooldown)?;
        positive(file, "projectile_speed", rules.projectile_speed)?;
        positive(file, "projectile_radius", rules.projectile_radius)?;
        positive(file, "projectile_lifetime", rules.projectile_lifetime)?;
        // Speeds and sizes no arena can use: crossing the largest arena in a second, or as wide as it.
        for (key, v) in [
            ("player_speed", rules.player_speed),
            ("player_radius", rules.player_radius),
            ("projectile_speed", rules.projectile_speed),
            ("projectile_radius", rules.projectile_radius),
        ] {
            if v > MAX_ARENA_SIZE {
                return Err(invalid(
                    file,
                    key,
                    format!("must be at most {MAX_ARENA_SIZE}, got {v}"),
                ));
            }
        }
        Ok(())
    }

    /// Reads, parses and validates a rules file.
    pub fn load(path: &Path) -> Result<Self, AssetError> {
        let (file, text) = read(path)?;
        Self::parse(&file, &text)
    }

    /// The shipped rules.
    pub fn default_rules() -> Self {
        Self::parse("assets/rules.toml", DEFAULT_RULES)
            .expect("the shipped rules are valid (checked by a unit test)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rules_file_may_name_only_what_it_changes() {
        let one = RulesAsset::parse("r.toml", "player_speed = 300.0\n").expect("one key is enough");
        assert_eq!(
            one,
            RulesAsset {
                player_speed: 300.0,
                ..RulesAsset::default_rules()
            }
        );
        assert_eq!(
            RulesAsset::parse("r.toml", "").expect("an empty file is the shipped rules"),
            RulesAsset::default_rules()
        );
        // Every key of the shipped file is a field (and so every field has its shipped default).
        let shipped: toml::Table = toml::from_str(DEFAULT_RULES).expect("toml");
        let fields = toml::Table::try_from(RulesAsset::default_rules()).expect("serialises");
        assert_eq!(
            shipped.keys().collect::<Vec<_>>(),
            fields.keys().collect::<Vec<_>>()
        );
        // A misspelt key is still an error, not a silent default.
        let e = RulesAsset::parse("r.toml", "player_sped = 300.0\n").unwrap_err();
        assert!(e.to_string().contains("player_sped"), "got: {e}");
    }

    #[test]
    fn rules_out_of_range_are_refused_with_the_key() {
        for (line, key) in [
            ("respawn_delay = -1.0", "respawn_delay"),
            ("max_health = 0", "max_health"),
            ("projectile_lifetime = 0.0", "projectile_lifetime"),
            ("projectile_damage = 0", "projectile_damage"),
            ("fire_cooldown = 0.0", "fire_cooldown"),
            ("projectile_speed = -1.0", "projectile_speed"),
            ("projectile_radius = 0.0", "projectile_radius"),
            ("player_speed = 1e30", "player_speed"),
            ("projectile_speed = 1e30", "projectile_speed"),
        ] {
            let e = RulesAsset::parse("r.toml", line).expect_err(line);
            assert!(
                e.to_string().starts_with("r.toml: field `") && e.to_string().contains(key),
                "{line}: {e}"
            );
        }
        assert!(RulesAsset::parse("r.toml", "respawn_delay = 0.0").is_ok());
    }

    #[test]
    fn shipped_assets_are_valid() {
        MapAsset::parse("assets/map.toml", DEFAULT_MAP).expect("shipped map parses");
        RulesAsset::parse("assets/rules.toml", DEFAULT_RULES).expect("shipped rules parse");
        let open = concat!(env!("CARGO_MANIFEST_DIR"), "/../assets/maps/open.toml");
        let open = MapAsset::load(Path::new(open)).expect("assets/maps/open.toml is valid");
        assert!(
            open.view.is_some(),
            "it is the map to play with interest management on"
        );
    }

    #[test]
    fn errors_name_the_file_and_field() {
        let bad_type =
            MapAsset::parse("m.toml", "width = \"wide\"\nheight = 5.0\nspawns = []").unwrap_err();
        let text = bad_type.to_string();
        assert!(
            text.starts_with("m.toml:") && text.contains("width"),
            "got: {text}"
        );

        let no_spawns =
            MapAsset::parse("m.toml", "width = 10.0\nheight = 10.0\nspawns = []").unwrap_err();
        assert_eq!(
            no_spawns.to_string(),
            "m.toml: field `spawns`: needs at least one spawn point"
        );

        let wall = "width = 10.0\nheight = 10.0\nspawns = [{x = 1.0, y = 1.0}]\nwalls = [{x = 5.0, y = 5.0, w = -1.0, h = 1.0}]";
        let e = MapAsset::parse("m.toml", wall).unwrap_err();
        assert_eq!(
            e.to_string(),
            "m.toml: field `walls[0].w`: must be a positive number, got -1"
        );

        let huge = "width = 2e6\nheight = 10.0\nspawns = [{x = 1.0, y = 1.0}]";
        assert_eq!(
            MapAsset::parse("m.toml", huge).unwrap_err().to_string(),
            "m.toml: field `width`: must be at most 1000000, got 2000000"
        );

        let outside = "width = 10.0\nheight = 10.0\nspawns = [{x = 11.0, y = 1.0}]";
        assert!(
            MapAsset::parse("m.toml", outside)
                .unwrap_err()
                .to_string()
                .contains("spawns[0]")
        );

        let rules = DEFAULT_RULES.replace("player_speed = 220.0", "player_speed = 0.0");
        let e = RulesAsset::parse("r.toml", &rules).unwrap_err();
        assert!(e.to_string().contains("`player_speed`"), "got: {e}");
        let rules = DEFAULT_RULES.replace("projectile_damage = 25", "projectile_damage = -5");
        let e = RulesAsset::parse("r.toml", &rules).unwrap_err();
        assert!(
            e.to_string().starts_with("r.toml:") && e.to_string().contains("projectile_damage"),
            "got: {e}"
        );

        let unknown = format!("{DEFAULT_RULES}\nspeeed = 3");
        assert!(
            RulesAsset::parse("r.toml", &unknown)
                .unwrap_err()
                .to_string()
                .contains("speeed")
        );

        let missing = MapAsset::load(Path::new("/nonexistent/map.toml")).unwrap_err();
        assert_eq!(missing.to_string(), "cannot read /nonexistent/map.toml");
        let cause = std::error::Error::source(&missing).map(ToString::to_string);
        assert!(
            cause.as_deref().is_some_and(|c| c.contains("No such file")),
            "the I/O error is the source: {cause:?}"
        );
    }
}
