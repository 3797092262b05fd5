//! `aiops skills`: team skill gaps and learning paths, and BKT fitting.

use std::path::PathBuf;
use std::process::ExitCode;

use aiops::core::Timestamp;
use aiops::skills::{
    AnalysisParams, AnswerLog, BktFitter, IncidentDemand, Taxonomy, Team, analyze,
};

use super::input;

/// Arguments of `aiops skills`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: SkillsCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SkillsCommand {
    /// Assess a team, print gaps, coverage (bus factor) and each member's learning path.
    Plan(PlanArgs),
    /// Fit Bayesian Knowledge Tracing parameters per skill from a `student,skill,correct` CSV.
    BktFit(BktFitArgs),
}

/// Arguments of `aiops skills plan`.
#[derive(Debug, clap::Args)]
struct PlanArgs {
    /// Team YAML file (roles, members, evidence); `-` for stdin. Schema by
    /// example: crates/skills/tests/data/team.yaml in the repository
    /// (`aiops::skills::EXAMPLE_TEAM_YAML`).
    team: PathBuf,
    /// Skill taxonomy YAML (default: the built-in DevOps/SRE taxonomy).
    #[arg(long, value_name = "FILE")]
    taxonomy: Option<PathBuf>,
    /// Incident history CSV with a `category` column (and optional `count`).
    #[arg(long, value_name = "FILE")]
    incidents: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `aiops skills bkt-fit`.
#[derive(Debug, clap::Args)]
struct BktFitArgs {
    /// Answers CSV `student,skill,correct` in time order; `-` for stdin.
    answers: PathBuf,
    /// Print `{"skills":{"<skill>":{"p_init":..,"p_learn":..,"p_guess":..,"p_slip":..}}}`.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        SkillsCommand::Plan(a) => plan(a),
        SkillsCommand::BktFit(a) => bkt_fit(a),
    }
}

fn plan(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let taxonomy = match &args.taxonomy {
        Some(p) => Taxonomy::from_yaml_str(&input::display_name(p), &input::read_to_string(p)?)?,
        None => Taxonomy::default_devops()?,
    };
    let team = Team::from_yaml_str(
        &input::display_name(&args.team),
        &input::read_to_string(&args.team)?,
        &taxonomy,
        Timestamp::now(),
    )?;
    let demand = match &args.incidents {
        Some(p) => IncidentDemand::from_csv_str(
            &input::display_name(p),
            &input::read_to_string(p)?,
            &taxonomy,
        )?,
        None => IncidentDemand::none(),
    };
    let report = analyze(&taxonomy, &team, &demand, &AnalysisParams::default())?;
    let text = if args.json {
        format!("{}\n", serde_json::to_string_pretty(&report)?)
    } else {
        report.to_string()
    };
    out!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn bkt_fit(args: BktFitArgs) -> anyhow::Result<ExitCode> {
    let name = input::display_name(&args.answers);
    let log = AnswerLog::from_csv_str(&name, &input::read_to_string(&args.answers)?)?;
    if log.is_empty() {
        anyhow::bail!("{name}: no answers");
    }
    let fits = BktFitter::default().fit_log(&log)?;
    if args.json {
        let skills: serde_json::Map<String, serde_json::Value> = fits
            .iter()
            .map(|(skill, f)| {
                (
                    skill.clone(),
                    serde_json::json!({
                        "p_init": f.params.p_init,
                        "p_learn": f.params.p_learn,
                        "p_guess": f.params.p_guess,
                        "p_slip": f.params.p_slip,
                    }),
                )
            })
            .collect();
        outln!("{}", serde_json::json!({ "skills": skills }));
    } else {
        outln!(
            "{:<28} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>6} {:>14}",
            "skill",
            "p_init",
            "p_learn",
            "p_guess",
            "p_slip",
            "students",
            "answers",
            "iters",
            "log-lik"
        );
        for (skill, f) in &fits {
            outln!(
                "{:<28} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>9} {:>9} {:>6} {:>14.2}",
                skill,
                f.params.p_init,
                f.params.p_learn,
                f.params.p_guess,
                f.params.p_slip,
                f.sequences,
                f.answers,
                f.iterations,
                f.log_likelihood
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
