//! YAML loading with typed errors that carry file and line.
//!
//! `yaml_serde` attaches the position of the YAML node being read to any error
//! raised while deserialising it. Reference checks that need context (the set
//! of known skills, the assessment date) therefore run *inside* `Deserialize`
//! impls, reading that context from a thread-local set for the duration of one
//! [`parse`] call; the first typed failure is recorded there so [`parse`] can
//! turn the positioned YAML error into the matching [`Error`] variant.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use aiops_core::Timestamp;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A typed failure found while deserialising.
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    UnknownSkill(String),
    Level(String),
    Future {
        date: Timestamp,
        as_of: Timestamp,
    },
    Invalid {
        field: &'static str,
        message: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::UnknownSkill(s) => write!(f, "unknown skill `{s}`"),
            Failure::Level(v) => write!(f, "level {v} out of range"),
            Failure::Future { date, as_of } => write!(f, "date {date} after {as_of}"),
            Failure::Invalid { field, message } => write!(f, "{field}: {message}"),
        }
    }
}

#[derive(Debug, Default)]
struct Ctx {
    active: bool,
    skills: Option<HashSet<String>>,
    as_of: Option<Timestamp>,
    failure: Option<Failure>,
}

thread_local! {
    static CTX: RefCell<Ctx> = RefCell::new(Ctx::default());
}

/// Context for one [`parse`] call.
#[derive(Debug, Default)]
pub(crate) struct Context {
    /// Known skill ids; `None` disables the check.
    pub(crate) skills: Option<HashSet<String>>,
    /// Evidence after this date is an error; `None` disables the check.
    pub(crate) as_of: Option<Timestamp>,
}

/// Deserialises `text` as `T`, turning errors into typed [`Error`]s naming `file`.
pub(crate) fn parse<T: DeserializeOwned>(file: &str, text: &str, context: Context) -> Result<T> {
    let previous = CTX.with(|c| {
        std::mem::replace(
            &mut *c.borrow_mut(),
            Ctx {
                active: true,
                skills: context.skills,
                as_of: context.as_of,
                failure: None,
            },
        )
    });
    let result = yaml_serde::from_str::<T>(text);
    let ctx = CTX.with(|c| std::mem::replace(&mut *c.borrow_mut(), previous));
    result.map_err(|e| {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        match ctx.failure {
            Some(f) => failure_error(file, line, f),
            None => Error::Yaml {
                file: file.to_owned(),
                line,
                column,
                message: strip_location(&e.to_string()),
            },
        }
    })
}

/// Drops yaml_serde's trailing ` at line L column C` (the error carries them).
fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains(" column ") => msg[..i].to_owned(),
        _ => msg.to_owned(),
    }
}

/// Turns a failure into the matching error variant.
pub(crate) fn failure_error(file: &str, line: usize, failure: Failure) -> Error {
    let file = file.to_owned();
    match failure {
        Failure::UnknownSkill(skill) => Error::UnknownSkill { file, line, skill },
        Failure::Level(value) => Error::LevelOutOfRange { file, line, value },
        Failure::Future { date, as_of } => Error::FutureEvidence {
            file,
            line,
            date: date.to_rfc3339(),
            as_of: as_of.to_rfc3339(),
        },
        Failure::Invalid { field, message } => Error::InvalidValue {
            file,
            line,
            field: field.to_owned(),
            message,
        },
    }
}

/// Records `failure` (the first one wins) and returns a serde error for it.
pub(crate) fn fail<E: de::Error>(failure: Failure) -> E {
    let msg = failure.to_string();
    CTX.with(|c| {
        let mut c = c.borrow_mut();
        if c.active && c.failure.is_none() {
            c.failure = Some(failure);
        }
    });
    E::custom(msg)
}

fn skill_known(id: &str) -> bool {
    CTX.with(|c| match &c.borrow().skills {
        Some(set) => set.contains(id),
        None => true,
    })
}

fn as_of() -> Option<Timestamp> {
    CTX.with(|c| c.borrow().as_of)
}

/// A skill id checked against the taxonomy while deserialising.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub(crate) struct SkillRef(pub(crate) String);

impl<'de> Deserialize<'de> for SkillRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_str(StrVisitor("a skill id", |s: &str| {
            if skill_known(s) {
                Ok(SkillRef(s.to_owned()))
            } else {
                Err(Failure::UnknownSkill(s.to_owned()))
            }
        }))
    }
}

/// A skill level 1..=5 checked while deserialising.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub(crate) struct LevelRef(pub(crate) u8);

impl<'de> Deserialize<'de> for LevelRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LevelRef;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a skill level 1 to 5")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<LevelRef, E> {
                if (1..=5).contains(&v) {
                    Ok(LevelRef(v as u8))
                } else {
                    Err(fail(Failure::Level(v.to_string())))
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<LevelRef, E> {
                if (1..=5).contains(&v) {
                    Ok(LevelRef(v as u8))
                } else {
                    Err(fail(Failure::Level(v.to_string())))
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<LevelRef, E> {
                if v.fract() == 0.0 && (1.0..=5.0).contains(&v) {
                    Ok(LevelRef(v as u8))
                } else {
                    Err(fail(Failure::Level(v.to_string())))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<LevelRef, E> {
                match v.trim().parse::<u8>() {
                    Ok(l) if (1..=5).contains(&l) => Ok(LevelRef(l)),
                    _ => Err(fail(Failure::Level(format!("{v:?}")))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A date (`YYYY-MM-DD` or any form [`Timestamp::parse`] accepts), checked
/// against the assessment date while deserialising.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateRef(pub(crate) Timestamp);

/// Parses a date or timestamp.
pub(crate) fn parse_date(s: &str) -> Option<Timestamp> {
    let t = s.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|dt| Timestamp::from_millis(dt.and_utc().timestamp_millis()));
    }
    Timestamp::parse(t).ok()
}

impl<'de> Deserialize<'de> for DateRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_str(StrVisitor("a date", |s: &str| {
            let Some(t) = parse_date(s) else {
                return Err(Failure::Invalid {
                    field: "date",
                    message: format!("cannot parse {s:?} as a date (YYYY-MM-DD or RFC 3339)"),
                });
            };
            if let Some(as_of) = as_of()
                && t > as_of
            {
                return Err(Failure::Future { date: t, as_of });
            }
            Ok(DateRef(t))
        }))
    }
}

/// Names of the fields a [`NonNeg`] can stand for, indexed by its `FIELD`
/// parameter, so an error names the key it was read from.
pub(crate) const NON_NEG_FIELDS: [&str; 4] =
    ["importance", "weekly_hours", "weight", "hours_per_level"];
/// [`NonNeg`] field: `importance`.
pub(crate) const IMPORTANCE: u8 = 0;
/// [`NonNeg`] field: `weekly_hours`.
pub(crate) const WEEKLY_HOURS: u8 = 1;
/// [`NonNeg`] field: `weight`.
pub(crate) const WEIGHT: u8 = 2;
/// [`NonNeg`] field: `hours_per_level`.
pub(crate) const HOURS_PER_LEVEL: u8 = 3;

/// A finite, non-negative number checked while deserialising; `FIELD`
/// indexes [`NON_NEG_FIELDS`] for the error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct NonNeg<const FIELD: u8>(pub(crate) f64);

impl<'de, const FIELD: u8> Deserialize<'de> for NonNeg<FIELD> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_f64(NumVisitor(|v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(NonNeg(v))
            } else {
                Err(Failure::Invalid {
                    field: NON_NEG_FIELDS
                        .get(usize::from(FIELD))
                        .copied()
                        .unwrap_or("number"),
                    message: format!("{} must be finite and non-negative", aiops_core::Num(v)),
                })
            }
        }))
    }
}

/// A string visitor whose check runs inside the deserializer call, so a
/// failure carries the scalar's own position.
pub(crate) struct StrVisitor<F>(pub(crate) &'static str, pub(crate) F);

impl<T, F: FnOnce(&str) -> std::result::Result<T, Failure>> Visitor<'_> for StrVisitor<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<T, E> {
        (self.1)(v).map_err(fail)
    }
}

/// A number visitor whose check runs inside the deserializer call.
pub(crate) struct NumVisitor<F>(pub(crate) F);

impl<T, F: FnOnce(f64) -> std::result::Result<T, Failure>> Visitor<'_> for NumVisitor<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<T, E> {
        (self.0)(v).map_err(fail)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<T, E> {
        (self.0)(v as f64).map_err(fail)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<T, E> {
        (self.0)(v as f64).map_err(fail)
    }
}

/// Finds the 1-based line defining `id: <value>` (block style), 0 if absent.
pub(crate) fn find_id_line(text: &str, key: &str, value: &str) -> usize {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start().trim_start_matches("- ").trim_start();
        if let Some(rest) = t.strip_prefix(key)
            && let Some(rest) = rest.trim_start().strip_prefix(':')
        {
            let v = rest.split(" #").next().unwrap_or("").trim();
            let v = v.trim_matches(|c| c == '"' || c == '\'');
            if v == value {
                return i + 1;
            }
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Doc {
        #[allow(dead_code, reason = "read through the error path")]
        items: Vec<Item>,
    }
    #[derive(Debug, Deserialize)]
    #[allow(dead_code, reason = "read through the error path")]
    struct Item {
        skill: SkillRef,
        level: LevelRef,
        date: DateRef,
    }

    fn ctx() -> Context {
        Context {
            skills: Some(["a".to_owned()].into_iter().collect()),
            as_of: parse_date("2026-01-01"),
        }
    }

    #[test]
    fn typed_errors_carry_lines() {
        let e = parse::<Doc>(
            "t.yaml",
            "items:\n  - skill: a\n    level: 2\n    date: 2025-01-01\n  - skill: b\n    level: 1\n    date: 2025-01-01\n",
            ctx(),
        )
        .unwrap_err();
        assert!(
            matches!(&e, Error::UnknownSkill { line: 5, skill, .. } if skill == "b"),
            "{e}"
        );
        let e = parse::<Doc>(
            "t.yaml",
            "items:\n  - skill: a\n    level: 6\n    date: 2025-01-01\n",
            ctx(),
        )
        .unwrap_err();
        assert!(matches!(&e, Error::LevelOutOfRange { line: 3, .. }), "{e}");
        let e = parse::<Doc>(
            "t.yaml",
            "items:\n  - skill: a\n    level: 2\n    date: 2027-01-01\n",
            ctx(),
        )
        .unwrap_err();
        assert!(matches!(&e, Error::FutureEvidence { line: 4, .. }), "{e}");
        let e = parse::<Doc>("t.yaml", "items: [", ctx()).unwrap_err();
        assert!(matches!(&e, Error::Yaml { .. }), "{e}");
    }

    #[test]
    fn finds_definition_lines() {
        let text = "skills:\n  - id: a\n  - id: \"b\" # c\n";
        assert_eq!(find_id_line(text, "id", "b"), 3);
        assert_eq!(find_id_line(text, "id", "z"), 0);
    }
}

/// Serialises timestamps as RFC 3339 text in reports.
pub(crate) mod rfc3339 {
    use aiops_core::Timestamp;
    use serde::Serializer;

    pub(crate) fn serialize<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.to_rfc3339())
    }

    pub(crate) mod option {
        use aiops_core::Timestamp;
        use serde::Serializer;

        pub(crate) fn serialize<S: Serializer>(
            t: &Option<Timestamp>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&t.to_rfc3339()),
                None => s.serialize_none(),
            }
        }
    }
}
