//! Teams: role profiles, members and their evidence, loaded from YAML.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use aiops_core::Timestamp;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::{Error, MEMORY, Result};
use crate::evidence::{Evidence, EvidenceKind, TestOutcome};
use crate::taxonomy::{MAX_LEVEL, MIN_LEVEL, Taxonomy};
use crate::yaml::{self, Context, DateRef, Failure, LevelRef, NonNeg, SkillRef};

/// A required level and its importance for one skill in a role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    /// Skill id.
    pub skill: String,
    /// Required level, 1..=5.
    pub level: u8,
    /// Importance weight (> 0; 1 = normal).
    pub importance: f64,
}

/// A role profile: the skills a role needs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleProfile {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Required skills.
    pub requires: Vec<Requirement>,
}

/// A team member.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Id of the member's [`RoleProfile`].
    pub role: String,
    /// Study hours per week for the learning path.
    pub weekly_hours: f64,
    /// Evidence about the member's skills.
    pub evidence: Vec<Evidence>,
}

/// A validated team: every reference resolves in the taxonomy and roles,
/// ids are unique, levels are 1..=5 and no evidence is dated after `as_of`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Team {
    name: String,
    #[serde(serialize_with = "crate::yaml::rfc3339::serialize")]
    as_of: Timestamp,
    roles: Vec<RoleProfile>,
    members: Vec<Member>,
}

/// The example team shipped with the crate (`tests/data/team.yaml`: three
/// roles, four fictional members), for demos and defaults.
pub const EXAMPLE_TEAM_YAML: &str = include_str!("../tests/data/team.yaml");

/// Default study hours per week when a member does not say.
pub const DEFAULT_WEEKLY_HOURS: f64 = 4.0;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTeam {
    team: String,
    #[serde(default)]
    as_of: Option<String>,
    roles: Vec<RawRole>,
    members: Vec<RawMember>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    id: String,
    #[serde(default)]
    name: Option<String>,
    requires: Vec<RawRequirement>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    skill: SkillRef,
    level: LevelRef,
    #[serde(default)]
    importance: Option<NonNeg<{ yaml::IMPORTANCE }>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMember {
    id: String,
    #[serde(default)]
    name: Option<String>,
    role: String,
    #[serde(default)]
    weekly_hours: Option<NonNeg<{ yaml::WEEKLY_HOURS }>>,
    #[serde(default)]
    evidence: Vec<RawEvidence>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvidence {
    skill: SkillRef,
    kind: EvidenceKind,
    level: LevelRef,
    date: DateRef,
    #[serde(default)]
    weight: Option<NonNeg<{ yaml::WEIGHT }>>,
    #[serde(default)]
    score: Option<Score>,
    #[serde(default)]
    answers: Option<Answers>,
    #[serde(default)]
    #[allow(dead_code, reason = "free text kept in the file for people")]
    note: Option<String>,
}

#[derive(Debug)]
struct Score(f64);

impl<'de> Deserialize<'de> for Score {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_f64(yaml::NumVisitor(|v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(Score(v))
            } else {
                Err(Failure::Invalid {
                    field: "score",
                    message: format!("{} is outside [0, 1]", aiops_core::Num(v)),
                })
            }
        }))
    }
}

/// Test answers: a string of `0`/`1` or a list of 0/1/true/false.
#[derive(Debug)]
struct Answers(Vec<bool>);

impl<'de> Deserialize<'de> for Answers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        fn bad<E: de::Error>(what: String) -> E {
            yaml::fail(Failure::Invalid {
                field: "answers",
                message: format!("{what} is not a binary outcome (0 or 1)"),
            })
        }
        impl<'de> Visitor<'de> for V {
            type Value = Answers;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string of 0/1 or a list of 0/1")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Answers, E> {
                v.chars()
                    .filter(|c| !c.is_whitespace())
                    .map(|c| match c {
                        '1' => Ok(true),
                        '0' => Ok(false),
                        other => Err(bad(format!("{other:?}"))),
                    })
                    .collect::<std::result::Result<Vec<_>, E>>()
                    .map(Answers)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Answers, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Answers, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<yaml_serde::Value>()? {
                    out.push(match v {
                        yaml_serde::Value::Bool(b) => b,
                        yaml_serde::Value::Number(n) if n.as_u64() == Some(1) => true,
                        yaml_serde::Value::Number(n) if n.as_u64() == Some(0) => false,
                        other => return Err(bad(format!("{other:?}"))),
                    });
                }
                Ok(Answers(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl Team {
    /// Loads a team from a YAML file. `now` is the assessment date unless the
    /// file sets `as_of`.
    pub fn from_yaml_file(
        path: impl AsRef<Path>,
        taxonomy: &Taxonomy,
        now: Timestamp,
    ) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_yaml_str(&path.display().to_string(), &text, taxonomy, now)
    }

    /// Parses a team from YAML text; `file` names it in errors.
    pub fn from_yaml_str(
        file: &str,
        text: &str,
        taxonomy: &Taxonomy,
        now: Timestamp,
    ) -> Result<Self> {
        // Pass 1: shape and the assessment date.
        let first: RawTeam = yaml::parse(file, text, Context::default())?;
        let as_of = match &first.as_of {
            None => now,
            Some(s) => yaml::parse_date(s).ok_or_else(|| Error::InvalidValue {
                file: file.to_owned(),
                line: yaml::find_id_line(text, "as_of", s),
                field: "as_of".to_owned(),
                message: format!("cannot parse {s:?} as a date"),
            })?,
        };
        // Pass 2: skill references and dates checked in place (errors carry lines).
        let raw: RawTeam = yaml::parse(
            file,
            text,
            Context {
                skills: Some(taxonomy.skill_ids()),
                as_of: Some(as_of),
            },
        )?;
        let mut roles = Vec::with_capacity(raw.roles.len());
        for r in raw.roles {
            let requires = r
                .requires
                .into_iter()
                .map(|q| Requirement {
                    skill: q.skill.0,
                    level: q.level.0,
                    importance: q.importance.map_or(1.0, |x| x.0),
                })
                .collect();
            roles.push(RoleProfile {
                name: r.name.unwrap_or_else(|| r.id.clone()),
                id: r.id,
                requires,
            });
        }
        let mut members = Vec::with_capacity(raw.members.len());
        for m in raw.members {
            let mut evidence = Vec::with_capacity(m.evidence.len());
            for e in m.evidence {
                let test = match (e.kind, e.score, e.answers) {
                    (EvidenceKind::Test, Some(s), None) => Some(TestOutcome::Score(s.0)),
                    (EvidenceKind::Test, None, Some(a)) => Some(TestOutcome::Answers(a.0)),
                    (EvidenceKind::Test, None, None) | (EvidenceKind::Test, Some(_), Some(_)) => {
                        return Err(Error::InvalidValue {
                            file: file.to_owned(),
                            line: yaml::find_id_line(text, "id", &m.id),
                            field: "score".to_owned(),
                            message: format!(
                                "test evidence of member `{}` on `{}` needs exactly one of `score` or `answers`",
                                m.id, e.skill.0
                            ),
                        });
                    }
                    (_, None, None) => None,
                    (kind, _, _) => {
                        return Err(Error::InvalidValue {
                            file: file.to_owned(),
                            line: yaml::find_id_line(text, "id", &m.id),
                            field: "score".to_owned(),
                            message: format!(
                                "`score`/`answers` only apply to test evidence, not `{}` (member `{}`, skill `{}`)",
                                kind.as_str(),
                                m.id,
                                e.skill.0
                            ),
                        });
                    }
                };
                evidence.push(Evidence {
                    skill: e.skill.0,
                    kind: e.kind,
                    level: e.level.0,
                    test,
                    date: e.date.0,
                    weight: e.weight.map_or(1.0, |w| w.0),
                });
            }
            members.push(Member {
                name: m.name.unwrap_or_else(|| m.id.clone()),
                id: m.id,
                role: m.role,
                weekly_hours: m.weekly_hours.map_or(DEFAULT_WEEKLY_HOURS, |h| h.0),
                evidence,
            });
        }
        Self::validated(file, text, raw.team, as_of, roles, members, taxonomy)
    }

    /// The example team ([`EXAMPLE_TEAM_YAML`]) against `taxonomy` (which
    /// must define its skills, as the default taxonomy does).
    pub fn example(taxonomy: &Taxonomy) -> Result<Self> {
        Self::from_yaml_str(
            "example_team.yaml",
            EXAMPLE_TEAM_YAML,
            taxonomy,
            Timestamp::now(),
        )
    }

    /// Builds a team in code; checks the same invariants as the YAML loader.
    pub fn new(
        name: impl Into<String>,
        as_of: Timestamp,
        roles: Vec<RoleProfile>,
        members: Vec<Member>,
        taxonomy: &Taxonomy,
    ) -> Result<Self> {
        Self::validated(MEMORY, "", name.into(), as_of, roles, members, taxonomy)
    }

    fn validated(
        file: &str,
        text: &str,
        name: String,
        as_of: Timestamp,
        roles: Vec<RoleProfile>,
        members: Vec<Member>,
        taxonomy: &Taxonomy,
    ) -> Result<Self> {
        let line_of = |id: &str| yaml::find_id_line(text, "id", id);
        let mut role_ids = HashSet::new();
        for r in &roles {
            if !role_ids.insert(r.id.as_str()) {
                return Err(dup(file, text, "role", &r.id));
            }
            let mut seen = HashSet::new();
            for q in &r.requires {
                check_skill(file, line_of(&r.id), taxonomy, &q.skill)?;
                check_level(file, line_of(&r.id), q.level)?;
                if !seen.insert(q.skill.as_str()) {
                    return Err(Error::Duplicate {
                        file: file.to_owned(),
                        line: line_of(&r.id),
                        what: "requirement",
                        id: format!("{} in role {}", q.skill, r.id),
                    });
                }
                if !(q.importance.is_finite() && q.importance > 0.0) {
                    return Err(Error::InvalidValue {
                        file: file.to_owned(),
                        line: line_of(&r.id),
                        field: "importance".to_owned(),
                        message: format!("{} must be finite and positive", q.importance),
                    });
                }
            }
        }
        let mut member_ids = HashSet::new();
        for m in &members {
            if !member_ids.insert(m.id.as_str()) {
                return Err(dup(file, text, "member", &m.id));
            }
            let line = line_of(&m.id);
            if !role_ids.contains(m.role.as_str()) {
                return Err(Error::UnknownReference {
                    file: file.to_owned(),
                    line,
                    what: "role",
                    id: m.role.clone(),
                });
            }
            if !(m.weekly_hours.is_finite() && m.weekly_hours >= 0.0) {
                return Err(Error::InvalidValue {
                    file: file.to_owned(),
                    line,
                    field: "weekly_hours".to_owned(),
                    message: format!("{} must be finite and non-negative", m.weekly_hours),
                });
            }
            for e in &m.evidence {
                check_skill(file, line, taxonomy, &e.skill)?;
                e.check().map_err(|err| relocate(err, file, line))?;
                if e.date > as_of {
                    return Err(Error::FutureEvidence {
                        file: file.to_owned(),
                        line,
                        date: e.date.to_rfc3339(),
                        as_of: as_of.to_rfc3339(),
                    });
                }
            }
        }
        if members.is_empty() {
            return Err(Error::Empty {
                what: format!("{file}: team `{name}` members"),
            });
        }
        Ok(Team {
            name,
            as_of,
            roles,
            members,
        })
    }

    /// Team name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Assessment date.
    pub fn as_of(&self) -> Timestamp {
        self.as_of
    }

    /// Role profiles.
    pub fn roles(&self) -> &[RoleProfile] {
        &self.roles
    }

    /// The role with this id.
    pub fn role(&self, id: &str) -> Option<&RoleProfile> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// Members.
    pub fn members(&self) -> &[Member] {
        &self.members
    }
}

fn dup(file: &str, text: &str, what: &'static str, id: &str) -> Error {
    let mut count = 0;
    let mut line = 0;
    for (i, l) in text.lines().enumerate() {
        if yaml::find_id_line(l, "id", id) == 1 {
            count += 1;
            if count == 2 {
                line = i + 1;
                break;
            }
        }
    }
    Error::Duplicate {
        file: file.to_owned(),
        line,
        what,
        id: id.to_owned(),
    }
}

fn check_skill(file: &str, line: usize, taxonomy: &Taxonomy, skill: &str) -> Result<()> {
    if taxonomy.skill(skill).is_none() {
        return Err(Error::UnknownSkill {
            file: file.to_owned(),
            line,
            skill: skill.to_owned(),
        });
    }
    Ok(())
}

fn check_level(file: &str, line: usize, level: u8) -> Result<()> {
    if !(MIN_LEVEL..=MAX_LEVEL).contains(&level) {
        return Err(Error::LevelOutOfRange {
            file: file.to_owned(),
            line,
            value: level.to_string(),
        });
    }
    Ok(())
}

fn relocate(err: Error, file: &str, at: usize) -> Error {
    match err {
        Error::LevelOutOfRange { value, .. } => Error::LevelOutOfRange {
            file: file.to_owned(),
            line: at,
            value,
        },
        Error::InvalidValue { field, message, .. } => Error::InvalidValue {
            file: file.to_owned(),
            line: at,
            field,
            message,
        },
        other => other,
    }
}
