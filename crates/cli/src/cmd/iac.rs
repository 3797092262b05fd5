//! `aiops iac`: Terraform plan risk and capacity sizing from a load forecast.

use std::path::PathBuf;
use std::process::ExitCode;

use aiops::iac::{
    CapacityParams, LoadForecast, RiskPolicy, ScalingGroup, State, assess, plan_capacity,
    read_terraform_plan,
};

use super::input;

/// Arguments of `aiops iac`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: IacCommand,
}

#[derive(Debug, clap::Subcommand)]
enum IacCommand {
    /// Read `terraform show -json` plan output (format 0.1 to 1.2) and print
    /// action counts and risk findings; exit 1 when a protected type is
    /// destroyed or replaced.
    PlanRisk(PlanRiskArgs),
    /// Size a scaling group from a load forecast CSV
    /// (`timestamp,mean,lower,upper` or `timestamp,value`).
    Capacity(CapacityArgs),
}

#[derive(Debug, clap::Args)]
struct PlanRiskArgs {
    /// Plan JSON file; `-` for stdin.
    plan: PathBuf,
    /// Print `{"counts": {...}, "findings": [...]}` on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct CapacityArgs {
    /// Load forecast CSV; `-` for stdin.
    load: PathBuf,
    /// Load one node serves at 100 % utilisation (the forecast's unit).
    #[arg(long)]
    per_node: f64,
    /// Utilisation to run at, in (0, 1].
    #[arg(long)]
    target_utilisation: f64,
    /// Print the sizing and plan as JSON on stdout.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        IacCommand::PlanRisk(a) => plan_risk(a),
        IacCommand::Capacity(a) => capacity(a),
    }
}

fn plan_risk(args: PlanRiskArgs) -> anyhow::Result<ExitCode> {
    let text = input::read_to_string(&args.plan)?;
    let name = input::display_name(&args.plan);
    let (plan, _info) = read_terraform_plan(&name, &text)?;
    let report = assess(&plan, &RiskPolicy::default());
    if args.json {
        outln!("{}", report.to_json());
    } else {
        out!("{}", report.to_text());
    }
    Ok(if report.has_protected_destroy() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn capacity(args: CapacityArgs) -> anyhow::Result<ExitCode> {
    let text = input::read_to_string(&args.load)?;
    let name = input::display_name(&args.load);
    let forecast = LoadForecast::from_csv_str(&name, &text)?;
    let params = CapacityParams::new(args.per_node, args.target_utilisation);
    let cp = plan_capacity(&forecast, &params, &ScalingGroup::default(), &State::new())?;
    if args.json {
        outln!("{}", cp.to_json());
    } else {
        out!("{}", cp.to_text());
    }
    Ok(ExitCode::SUCCESS)
}
