#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod bkt;
mod demand;
mod error;
mod evidence;
mod path;
mod report;
mod taxonomy;
mod team;
mod yaml;

pub use bkt::{AnswerLog, AnswerSequences, BktFit, BktFitter, BktParams, BktState};
pub use demand::IncidentDemand;
pub use error::{Error, Result};
pub use evidence::{AssessmentParams, Evidence, EvidenceKind, LevelEstimate, TestOutcome};
pub use path::{
    LearningPath, Module, PathParams, ScheduledModule, Sm2, Target, WeekLoad, learning_path,
};
pub use report::{
    AnalysisParams, Assignment, MemberReport, SkillCoverage, SkillGap, TeamSkillsReport, analyze,
    report_for_incidents, weighted_gap,
};
pub use taxonomy::{
    Category, DEFAULT_HOURS_PER_LEVEL, DEFAULT_PREREQUISITE_LEVEL, DEFAULT_TAXONOMY_YAML,
    MAX_LEVEL, MIN_LEVEL, Skill, SkillWeight, Taxonomy,
};
pub use team::{DEFAULT_WEEKLY_HOURS, EXAMPLE_TEAM_YAML, Member, Requirement, RoleProfile, Team};
