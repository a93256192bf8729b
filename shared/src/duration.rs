//! The one duration syntax of every tickwire binary and of the server's config file.
//!
//! Accepted, with optional spaces around the whole text:
//!
//! - a bare non-negative number: seconds (`3`, `2.5`);
//! - a number with a unit: `us` (or `µs`), `ms`, `s`, `m`, `h` (`500ms`, `30s`, `2m`, `1.5s`);
//! - a sequence of those, added up, with or without spaces between them (`1m30s`, `1m 30s`, `1h30m`).
//!
//! Numbers are decimal, written with digits and an optional fraction (`0.25`); the value is exact to the
//! nanosecond (finer fractions are truncated). Zero is a valid duration: callers that need a positive one check
//! that themselves.

use std::time::Duration;

/// Examples of the accepted forms, quoted in every error message.
pub const FORMS: &str = "write e.g. 500ms, 30s, 2m, 1h30m, or a number of seconds";

/// Why a text is not a duration. Every message quotes the text and the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Nothing but spaces.
    #[error("empty duration ({FORMS})")]
    Empty,
    /// A minus sign: a duration is never negative.
    #[error("`{text}`: a duration cannot be negative ({FORMS})")]
    Negative {
        /// The text as given.
        text: String,
    },
    /// Not a number followed by a unit (`soon`, `1.`, `5s!`).
    #[error("`{text}`: not a duration ({FORMS})")]
    Invalid {
        /// The text as given.
        text: String,
    },
    /// A number followed by letters that are not a unit (`5y`, `2min`).
    #[error("`{text}`: unknown unit `{unit}` (units are us, ms, s, m and h; {FORMS})")]
    UnknownUnit {
        /// The text as given.
        text: String,
        /// The letters in the place of the unit.
        unit: String,
    },
    /// A sequence with a number that has no unit (`1m30`, `1 30`): only a number on its own means seconds.
    #[error("`{text}`: `{number}` needs a unit (only a number on its own means seconds; {FORMS})")]
    MissingUnit {
        /// The text as given.
        text: String,
        /// The number without a unit.
        number: String,
    },
    /// More than [`Duration::MAX`] (about 584 billion years).
    #[error("`{text}`: too long a duration")]
    Overflow {
        /// The text as given.
        text: String,
    },
}

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Nanoseconds per unit.
fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => NANOS_PER_SEC,
        "m" => 60 * NANOS_PER_SEC,
        "h" => 3600 * NANOS_PER_SEC,
        _ => return None,
    })
}

/// Parses a duration in the syntax described in the [module documentation](self).
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DurationError::Empty);
    }
    if trimmed.starts_with('-') {
        return Err(DurationError::Negative { text: text.into() });
    }
    let invalid = || DurationError::Invalid { text: text.into() };
    let overflow = || DurationError::Overflow { text: text.into() };
    let mut rest = trimmed;
    let mut total: u128 = 0;
    let mut first = true;
    while !rest.is_empty() {
        let (number, after) = split_number(rest).ok_or_else(invalid)?;
        let after = after.trim_start();
        let unit_len = after
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let per_unit = if !unit.is_empty() {
            unit_nanos(unit).ok_or_else(|| DurationError::UnknownUnit {
                text: text.into(),
                unit: unit.into(),
            })?
        } else if first && after.is_empty() {
            // A number on its own: seconds.
            NANOS_PER_SEC
        } else if after.is_empty() || after.starts_with(|c: char| c.is_ascii_digit()) {
            // `1m30`, `1 30`: a number without a unit in a sequence.
            return Err(DurationError::MissingUnit {
                text: text.into(),
                number: number.text.into(),
            });
        } else {
            return Err(invalid());
        };
        total = number
            .nanos(per_unit)
            .and_then(|n| total.checked_add(n))
            .ok_or_else(overflow)?;
        rest = after.trim_start();
        first = false;
    }
    let secs = u64::try_from(total / NANOS_PER_SEC).map_err(|_| overflow())?;
    // The remainder is below 10^9: it fits.
    let nanos = (total % NANOS_PER_SEC) as u32;
    Ok(Duration::new(secs, nanos))
}

/// A decimal number as written: its whole and fractional digits.
struct Number<'a> {
    text: &'a str,
    whole: &'a str,
    fraction: &'a str,
}

impl Number<'_> {
    /// The number times `per_unit` nanoseconds, truncated to whole nanoseconds; `None` on overflow.
    fn nanos(&self, per_unit: u128) -> Option<u128> {
        let mut whole: u128 = 0;
        for d in self.whole.bytes() {
            whole = whole.checked_mul(10)?.checked_add(u128::from(d - b'0'))?;
        }
        // Only the first 18 fractional digits count: the others are worth less than 10^-18 of a unit, far under
        // a nanosecond even for hours. 18 digits times an hour in nanoseconds fits a u128 with room to spare.
        let digits = &self.fraction[..self.fraction.len().min(18)];
        let mut fraction: u128 = 0;
        for d in digits.bytes() {
            fraction = fraction * 10 + u128::from(d - b'0');
        }
        let fraction = fraction * per_unit / 10u128.pow(digits.len() as u32);
        whole.checked_mul(per_unit)?.checked_add(fraction)
    }
}

/// Splits `digits[.digits]` off the start of `text`; `None` when it does not start with one.
fn split_number(text: &str) -> Option<(Number<'_>, &str)> {
    let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let whole_len = digits(text);
    if whole_len == 0 {
        return None;
    }
    let (whole, after) = text.split_at(whole_len);
    let (fraction, after) = match after.strip_prefix('.') {
        Some(f) => {
            let len = digits(f);
            if len == 0 {
                return None;
            }
            f.split_at(len)
        }
        None => ("", after),
    };
    let number = Number {
        text: &text[..text.len() - after.len()],
        whole,
        fraction,
    };
    Some((number, after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Duration {
        parse_duration(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn err(text: &str) -> DurationError {
        parse_duration(text).expect_err(text)
    }

    #[test]
    fn a_bare_number_is_seconds() {
        assert_eq!(ok("3"), Duration::from_secs(3));
        assert_eq!(ok("2.5"), Duration::from_millis(2500));
        assert_eq!(ok(" 30 "), Duration::from_secs(30));
        assert_eq!(ok("0"), Duration::ZERO);
        assert_eq!(ok("007"), Duration::from_secs(7));
        assert_eq!(ok("0.000000001"), Duration::from_nanos(1));
        assert_eq!(ok("0.0000000019"), Duration::from_nanos(1), "truncated");
    }

    #[test]
    fn every_unit() {
        assert_eq!(ok("250us"), Duration::from_micros(250));
        assert_eq!(ok("250µs"), Duration::from_micros(250));
        assert_eq!(ok("500ms"), Duration::from_millis(500));
        assert_eq!(ok("30s"), Duration::from_secs(30));
        assert_eq!(ok("2m"), Duration::from_secs(120));
        assert_eq!(ok("1h"), Duration::from_secs(3600));
        assert_eq!(ok("1.5s"), Duration::from_millis(1500));
        assert_eq!(ok("0.1s"), Duration::from_millis(100), "exact, not via f64");
        assert_eq!(ok("0.5m"), Duration::from_secs(30));
        assert_eq!(ok("0.25ms"), Duration::from_micros(250));
        assert_eq!(ok("5 s"), Duration::from_secs(5), "a space before the unit");
        assert_eq!(ok("0s"), Duration::ZERO, "zero is for the caller to judge");
    }

    #[test]
    fn sequences_add_up() {
        assert_eq!(ok("1m30s"), Duration::from_secs(90));
        assert_eq!(ok("1m 30s"), Duration::from_secs(90));
        assert_eq!(ok("1h30m"), Duration::from_secs(5400));
        assert_eq!(ok("1h 2m 3s 4ms"), Duration::from_millis(3_723_004));
        assert_eq!(ok("1.5m30s"), Duration::from_secs(120));
        assert_eq!(ok("30s1m"), Duration::from_secs(90), "in any order");
    }

    #[test]
    fn each_error_names_the_text_and_the_forms() {
        for text in ["", "   "] {
            assert_eq!(err(text), DurationError::Empty);
        }
        for text in [
            "soon", "+3", "1.", ".5", "1..5s", "5s!", "5!", "s", "inf", "1m -1s",
        ] {
            assert_eq!(err(text), DurationError::Invalid { text: text.into() });
        }
        for text in ["-1", "-1s", " -3"] {
            assert_eq!(err(text), DurationError::Negative { text: text.into() });
            assert!(err(text).to_string().contains("cannot be negative"));
        }
        assert_eq!(
            err("5y"),
            DurationError::UnknownUnit {
                text: "5y".into(),
                unit: "y".into()
            }
        );
        assert!(matches!(err("2min"), DurationError::UnknownUnit { unit, .. } if unit == "min"));
        assert!(matches!(err("5S"), DurationError::UnknownUnit { unit, .. } if unit == "S"));
        assert!(matches!(err("1e3"), DurationError::UnknownUnit { unit, .. } if unit == "e"));
        assert!(matches!(err("1ns"), DurationError::UnknownUnit { unit, .. } if unit == "ns"));
        assert_eq!(
            err("1m30"),
            DurationError::MissingUnit {
                text: "1m30".into(),
                number: "30".into()
            }
        );
        assert!(matches!(err("1 30"), DurationError::MissingUnit { number, .. } if number == "1"));
        assert!(
            matches!(err("1.5 2s"), DurationError::MissingUnit { number, .. } if number == "1.5")
        );
        assert_eq!(
            err("5y").to_string(),
            "`5y`: unknown unit `y` (units are us, ms, s, m and h; write e.g. 500ms, 30s, 2m, 1h30m, or a \
             number of seconds)"
        );
        assert_eq!(
            err("soon").to_string(),
            "`soon`: not a duration (write e.g. 500ms, 30s, 2m, 1h30m, or a number of seconds)"
        );
        assert!(
            err("1m30")
                .to_string()
                .starts_with("`1m30`: `30` needs a unit")
        );
        assert!(err("").to_string().contains("500ms, 30s"));
    }

    #[test]
    fn overflow_is_an_error() {
        let max = u64::MAX.to_string();
        assert_eq!(ok(&max), Duration::new(u64::MAX, 0));
        assert_eq!(ok(&format!("{max}.999999999")), Duration::MAX);
        for text in [
            format!("{max}.999999999s 1us"),
            "18446744073709551616".into(),
            "18446744073709551615s 1s".into(),
            "5124095576030432h".into(),
            "100000000000000000000000s".into(),
            "9".repeat(60) + "h",
            // 2^128 + 5 and (2^128 - 768211456 ns) + 1 s: would wrap to 5 s and to 231.788544 ms.
            "340282366920938463463374607431768211461".into(),
            "340282366920938463463374607431s 1s".into(),
        ] {
            let e = parse_duration(&text);
            assert_eq!(e, Err(DurationError::Overflow { text: text.clone() }));
            assert!(e.is_err_and(|e| e.to_string().contains("too long")));
        }
    }
}
