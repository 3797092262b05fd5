//! The skill taxonomy: skills, their five described levels, categories,
//! prerequisites (a DAG) and the incident-category-to-skill mapping.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, MEMORY, Result};
use crate::yaml::{self, Context, NonNeg, SkillRef};

/// Lowest skill level.
pub const MIN_LEVEL: u8 = 1;
/// Highest skill level.
pub const MAX_LEVEL: u8 = 5;

/// The default DevOps/SRE taxonomy shipped with the crate (YAML text).
pub const DEFAULT_TAXONOMY_YAML: &str = include_str!("../data/default_taxonomy.yaml");

/// A skill category (automation, machine learning, cloud-native, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the category covers.
    #[serde(default)]
    pub description: String,
}

/// One skill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skill {
    /// Stable id (`kubernetes`, `python`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Id of its [`Category`].
    pub category: String,
    /// What the skill covers.
    pub description: String,
    /// What each level 1..=5 means for this skill (`levels[0]` is level 1).
    pub levels: [String; 5],
    /// Ids of skills needed before this one can be learned.
    pub prerequisites: Vec<String>,
    /// Level each prerequisite must reach before study of this skill starts.
    pub prerequisite_level: u8,
    /// Study hours to rise one level.
    pub hours_per_level: f64,
}

/// A skill weight in an incident category's mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkillWeight {
    /// Skill id.
    pub skill: String,
    /// Relative weight (> 0) of the skill in handling that category.
    pub weight: f64,
}

/// A validated skill taxonomy.
///
/// Invariants: skill, category and incident-category ids are unique; every
/// reference names a defined id; prerequisites form a DAG; every skill
/// describes five levels.
#[derive(Debug, Clone, Serialize)]
pub struct Taxonomy {
    name: String,
    description: String,
    categories: Vec<Category>,
    skills: Vec<Skill>,
    incident_categories: BTreeMap<String, Vec<SkillWeight>>,
    #[serde(skip)]
    index: HashMap<String, usize>,
    #[serde(skip)]
    topo: Vec<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTaxonomy {
    name: String,
    #[serde(default)]
    description: String,
    categories: Vec<Category>,
    skills: Vec<RawSkill>,
    #[serde(default)]
    incident_categories: BTreeMap<String, Vec<RawSkillWeight>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSkill {
    id: String,
    name: String,
    category: String,
    #[serde(default)]
    description: String,
    levels: LevelDescriptions,
    #[serde(default)]
    prerequisites: Vec<SkillRef>,
    #[serde(default)]
    prerequisite_level: Option<yaml::LevelRef>,
    #[serde(default)]
    hours_per_level: Option<NonNeg<{ yaml::HOURS_PER_LEVEL }>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSkillWeight {
    skill: SkillRef,
    #[serde(default)]
    weight: Option<NonNeg<{ yaml::WEIGHT }>>,
}

#[derive(Debug)]
struct LevelDescriptions([String; 5]);

impl<'de> Deserialize<'de> for LevelDescriptions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        let n = v.len();
        let arr: [String; 5] = v.try_into().map_err(|_| {
            yaml::fail(yaml::Failure::Invalid {
                field: "levels",
                message: format!("expected 5 level descriptions (levels 1 to 5), found {n}"),
            })
        })?;
        if let Some(i) = arr.iter().position(|s| s.trim().is_empty()) {
            return Err(yaml::fail(yaml::Failure::Invalid {
                field: "levels",
                message: format!("level {} has an empty description", i + 1),
            }));
        }
        Ok(LevelDescriptions(arr))
    }
}

/// Default study hours to rise one level.
pub const DEFAULT_HOURS_PER_LEVEL: f64 = 12.0;
/// Default level prerequisites must reach.
pub const DEFAULT_PREREQUISITE_LEVEL: u8 = 2;

impl Taxonomy {
    /// The default DevOps/SRE taxonomy shipped with the crate (about 30 skills
    /// in seven categories), parsed from [`DEFAULT_TAXONOMY_YAML`].
    pub fn default_devops() -> Result<Self> {
        Self::from_yaml_str("default_taxonomy.yaml", DEFAULT_TAXONOMY_YAML)
    }

    /// Loads a taxonomy from a YAML file.
    pub fn from_yaml_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_yaml_str(&path.display().to_string(), &text)
    }

    /// Parses a taxonomy from YAML text; `file` names it in errors.
    pub fn from_yaml_str(file: &str, text: &str) -> Result<Self> {
        // Pass 1: shape and the set of defined skill ids.
        let first: RawTaxonomy = yaml::parse(file, text, Context::default())?;
        let mut ids = HashSet::new();
        for s in &first.skills {
            if !ids.insert(s.id.clone()) {
                return Err(Error::Duplicate {
                    file: file.to_owned(),
                    line: nth_id_line(text, &s.id, 2),
                    what: "skill",
                    id: s.id.clone(),
                });
            }
        }
        // Pass 2: references checked in place so errors carry their line.
        let raw: RawTaxonomy = yaml::parse(
            file,
            text,
            Context {
                skills: Some(ids),
                as_of: None,
            },
        )?;
        Self::build(file, text, raw)
    }

    fn build(file: &str, text: &str, raw: RawTaxonomy) -> Result<Self> {
        let mut cat_ids = HashSet::new();
        for c in &raw.categories {
            if !cat_ids.insert(c.id.as_str()) {
                return Err(Error::Duplicate {
                    file: file.to_owned(),
                    line: nth_id_line(text, &c.id, 2),
                    what: "category",
                    id: c.id.clone(),
                });
            }
        }
        let mut skills = Vec::with_capacity(raw.skills.len());
        for s in raw.skills {
            if !cat_ids.contains(s.category.as_str()) {
                return Err(Error::UnknownReference {
                    file: file.to_owned(),
                    line: yaml::find_id_line(text, "category", &s.category),
                    what: "category",
                    id: s.category,
                });
            }
            skills.push(Skill {
                id: s.id,
                name: s.name,
                category: s.category,
                description: s.description,
                levels: s.levels.0,
                prerequisites: s.prerequisites.into_iter().map(|p| p.0).collect(),
                prerequisite_level: s
                    .prerequisite_level
                    .map_or(DEFAULT_PREREQUISITE_LEVEL, |l| l.0),
                hours_per_level: s.hours_per_level.map_or(DEFAULT_HOURS_PER_LEVEL, |h| h.0),
            });
        }
        let incident_categories = raw
            .incident_categories
            .into_iter()
            .map(|(k, v)| {
                let v = v
                    .into_iter()
                    .map(|w| SkillWeight {
                        skill: w.skill.0,
                        weight: w.weight.map_or(1.0, |x| x.0),
                    })
                    .collect();
                (k, v)
            })
            .collect();
        Self::from_parts(
            file,
            text,
            raw.name,
            raw.description,
            raw.categories,
            skills,
            incident_categories,
        )
    }

    /// Builds a taxonomy from parts (for taxonomies assembled in code); checks
    /// the same invariants as the YAML loader.
    pub fn new(
        name: impl Into<String>,
        categories: Vec<Category>,
        skills: Vec<Skill>,
        incident_categories: BTreeMap<String, Vec<SkillWeight>>,
    ) -> Result<Self> {
        Self::from_parts(
            MEMORY,
            "",
            name.into(),
            String::new(),
            categories,
            skills,
            incident_categories,
        )
    }

    fn from_parts(
        file: &str,
        text: &str,
        name: String,
        description: String,
        categories: Vec<Category>,
        skills: Vec<Skill>,
        incident_categories: BTreeMap<String, Vec<SkillWeight>>,
    ) -> Result<Self> {
        let mut index = HashMap::with_capacity(skills.len());
        for (i, s) in skills.iter().enumerate() {
            if index.insert(s.id.clone(), i).is_some() {
                return Err(Error::Duplicate {
                    file: file.to_owned(),
                    line: nth_id_line(text, &s.id, 2),
                    what: "skill",
                    id: s.id.clone(),
                });
            }
        }
        let cats: HashSet<&str> = categories.iter().map(|c| c.id.as_str()).collect();
        for s in &skills {
            let line = || yaml::find_id_line(text, "id", &s.id);
            if !cats.contains(s.category.as_str()) {
                return Err(Error::UnknownReference {
                    file: file.to_owned(),
                    line: line(),
                    what: "category",
                    id: s.category.clone(),
                });
            }
            if let Some(p) = s.prerequisites.iter().find(|p| !index.contains_key(*p)) {
                return Err(Error::UnknownSkill {
                    file: file.to_owned(),
                    line: line(),
                    skill: p.clone(),
                });
            }
            if !(MIN_LEVEL..=MAX_LEVEL).contains(&s.prerequisite_level) {
                return Err(Error::LevelOutOfRange {
                    file: file.to_owned(),
                    line: line(),
                    value: s.prerequisite_level.to_string(),
                });
            }
            if !(s.hours_per_level.is_finite() && s.hours_per_level > 0.0) {
                return Err(Error::InvalidValue {
                    file: file.to_owned(),
                    line: line(),
                    field: "hours_per_level".to_owned(),
                    message: format!("{} must be finite and positive", s.hours_per_level),
                });
            }
        }
        for (cat, ws) in &incident_categories {
            for w in ws {
                if !index.contains_key(&w.skill) {
                    return Err(Error::UnknownSkill {
                        file: file.to_owned(),
                        line: yaml::find_id_line(text, cat, ""),
                        skill: w.skill.clone(),
                    });
                }
                if !(w.weight.is_finite() && w.weight > 0.0) {
                    return Err(Error::InvalidValue {
                        file: file.to_owned(),
                        line: 0,
                        field: format!("incident_categories.{cat}.weight"),
                        message: format!("{} must be finite and positive", w.weight),
                    });
                }
            }
        }
        let topo = topological_order(&skills, &index).map_err(|cycle| Error::Cycle {
            file: file.to_owned(),
            line: cycle
                .first()
                .map_or(0, |id| yaml::find_id_line(text, "id", id)),
            cycle,
        })?;
        Ok(Taxonomy {
            name,
            description,
            categories,
            skills,
            incident_categories,
            index,
            topo,
        })
    }

    /// Name of the taxonomy.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Description of the taxonomy.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Categories in file order.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// Skills in file order.
    pub fn skills(&self) -> &[Skill] {
        &self.skills
    }

    /// The skill with this id.
    pub fn skill(&self, id: &str) -> Option<&Skill> {
        self.index.get(id).map(|&i| &self.skills[i])
    }

    /// Position of the skill in [`Taxonomy::skills`].
    pub fn skill_index(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Number of skills.
    pub fn len(&self) -> usize {
        self.skills.len()
    }

    /// Whether the taxonomy has no skills.
    pub fn is_empty(&self) -> bool {
        self.skills.is_empty()
    }

    /// Skill indices in a topological order of the prerequisite DAG
    /// (prerequisites first; ties keep file order).
    pub fn topological_order(&self) -> &[usize] {
        &self.topo
    }

    /// Incident categories and the skills each one needs.
    pub fn incident_categories(&self) -> &BTreeMap<String, Vec<SkillWeight>> {
        &self.incident_categories
    }

    /// The set of skill ids (for validation of dependent files).
    pub(crate) fn skill_ids(&self) -> HashSet<String> {
        self.index.keys().cloned().collect()
    }
}

/// Line of the `n`-th `id: value` definition (1-based `n`), 0 if absent.
fn nth_id_line(text: &str, id: &str, n: usize) -> usize {
    let mut seen = 0;
    for (i, line) in text.lines().enumerate() {
        if yaml::find_id_line(line, "id", id) == 1 {
            seen += 1;
            if seen == n {
                return i + 1;
            }
        }
    }
    0
}

/// Kahn's algorithm with file-order tie breaking; on a cycle, returns it
/// (found by depth-first search) with the first skill repeated at the end.
fn topological_order(
    skills: &[Skill],
    index: &HashMap<String, usize>,
) -> std::result::Result<Vec<usize>, Vec<String>> {
    let n = skills.len();
    let mut indegree = vec![0usize; n];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, s) in skills.iter().enumerate() {
        for p in &s.prerequisites {
            if let Some(&j) = index.get(p) {
                indegree[i] += 1;
                dependents[j].push(i);
            }
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &d in &dependents[i] {
            indegree[d] -= 1;
            if indegree[d] == 0 {
                ready.insert(d);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Find a cycle among the remaining nodes: follow prerequisite edges.
    let start = (0..n).find(|&i| indegree[i] > 0).unwrap_or(0);
    let mut pos = vec![usize::MAX; n];
    let mut path = Vec::new();
    let mut cur = start;
    loop {
        if pos[cur] != usize::MAX {
            let mut cycle: Vec<String> = path[pos[cur]..]
                .iter()
                .map(|&k: &usize| skills[k].id.clone())
                .collect();
            // Path follows "needs" edges; report in learning order (prerequisite first).
            cycle.reverse();
            if let Some(first) = cycle.first().cloned() {
                cycle.push(first);
            }
            return Err(cycle);
        }
        pos[cur] = path.len();
        path.push(cur);
        // A node left with indegree > 0 has a prerequisite also left over.
        let next = skills[cur]
            .prerequisites
            .iter()
            .filter_map(|p| index.get(p).copied())
            .find(|&j| indegree[j] > 0);
        match next {
            Some(j) => cur = j,
            None => return Err(vec![skills[cur].id.clone()]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_taxonomy_loads() {
        let t = Taxonomy::default_devops().unwrap();
        assert!(t.len() >= 28, "{} skills", t.len());
        assert!(t.categories().len() >= 6);
        // Every prerequisite comes before its dependent in the topological order.
        let mut pos = vec![0; t.len()];
        for (k, &i) in t.topological_order().iter().enumerate() {
            pos[i] = k;
        }
        for (i, s) in t.skills().iter().enumerate() {
            for p in &s.prerequisites {
                assert!(pos[t.skill_index(p).unwrap()] < pos[i]);
            }
        }
        for c in ["anomaly", "failure-prediction", "security", "compliance"] {
            assert!(t.incident_categories().contains_key(c), "{c}");
        }
    }

    const SMALL: &str = "name: t
categories:
  - id: c
    name: C
skills:
  - id: a
    name: A
    category: c
    levels: [l1, l2, l3, l4, l5]
    prerequisites: [c1]
  - id: b
    name: B
    category: c
    levels: [l1, l2, l3, l4, l5]
    prerequisites: [a]
  - id: c1
    name: C1
    category: c
    levels: [l1, l2, l3, l4, l5]
    prerequisites: [b]
";

    #[test]
    fn cycle_is_named() {
        let e = Taxonomy::from_yaml_str("t.yaml", SMALL).unwrap_err();
        match &e {
            Error::Cycle { cycle, line, .. } => {
                assert_eq!(cycle.len(), 4, "{e}");
                assert_eq!(cycle.first(), cycle.last());
                let set: HashSet<&str> = cycle.iter().map(String::as_str).collect();
                assert_eq!(set, ["a", "b", "c1"].into_iter().collect());
                assert!(*line > 0);
            }
            other => panic!("unexpected {other}"),
        }
        assert!(e.to_string().contains(" -> "));
    }

    #[test]
    fn bad_references_and_levels() {
        let t = SMALL.replace("prerequisites: [b]", "prerequisites: [zz]");
        let e = Taxonomy::from_yaml_str("t.yaml", &t).unwrap_err();
        assert!(
            matches!(&e, Error::UnknownSkill { line: 20, skill, .. } if skill == "zz"),
            "{e}"
        );
        let t = SMALL.replacen("[l1, l2, l3, l4, l5]", "[l1, l2]", 1);
        let e = Taxonomy::from_yaml_str("t.yaml", &t).unwrap_err();
        assert!(matches!(&e, Error::InvalidValue { .. }), "{e}");
        let t = SMALL.replacen("category: c\n", "category: nope\n", 1);
        let e = Taxonomy::from_yaml_str("t.yaml", &t).unwrap_err();
        assert!(matches!(&e, Error::UnknownReference { line: 8, .. }), "{e}");
        let t = SMALL.replace("  - id: c1", "  - id: a");
        let e = Taxonomy::from_yaml_str("t.yaml", &t).unwrap_err();
        assert!(matches!(&e, Error::Duplicate { line: 16, .. }), "{e}");
    }
}
