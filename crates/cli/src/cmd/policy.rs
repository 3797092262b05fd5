//! `aiops policy`: `check` manifests with the native checks (optionally
//! fixing minor findings), `verify` Gatekeeper suites like `gator verify`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aiops::core::Severity;
use aiops::policy::{
    Document, PolicySet, Report, fix_files, load_path, parse_documents, write_atomic,
};
use anyhow::Context;

use super::input;

/// Arguments of `aiops policy`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: PolicyCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PolicyCommand {
    /// Run native Kubernetes (and Terraform plan) checks over manifest files and folders.
    ///
    /// Exit code 1 when a finding is at or above --fail-on.
    Check {
        /// Files or folders of YAML/JSON manifests or Terraform plan JSON; `-` for stdin.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Lowest severity that makes the command exit 1: info, warning or critical.
        #[arg(long, value_name = "SEV", default_value = "critical")]
        fail_on: Severity,
        /// Fix minor findings with safe JSON Patches and rewrite the files atomically.
        #[arg(long)]
        fix: bool,
        /// With --fix: print the patches, write nothing.
        #[arg(long, requires = "fix")]
        dry_run: bool,
    },
    /// Run Gatekeeper-library `suite.yaml` files (or folders of them) like `gator verify`.
    ///
    /// Exit code 0 only when every case passes.
    Verify {
        /// Suite files, or folders searched for `suite.yaml`.
        #[arg(required = true)]
        suites: Vec<PathBuf>,
        /// Print results as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        PolicyCommand::Check {
            paths,
            json,
            fail_on,
            fix,
            dry_run,
        } => check(&paths, json, fail_on, fix, dry_run),
        PolicyCommand::Verify { suites, json } => verify(&suites, json),
    }
}

fn load(paths: &[PathBuf]) -> anyhow::Result<Vec<Document>> {
    let mut docs = Vec::new();
    for p in paths {
        if p == Path::new("-") {
            let text = input::read_to_string(p)?;
            docs.extend(parse_documents("stdin", &text)?);
        } else {
            docs.extend(load_path(p)?);
        }
    }
    Ok(docs)
}

fn print_table(report: &Report) -> anyhow::Result<()> {
    outln!(
        "{:<9} {:<26} {:<44} {:<28} MESSAGE",
        "SEVERITY",
        "POLICY",
        "RESOURCE",
        "LOCATION"
    );
    let mut findings: Vec<_> = report.findings.iter().collect();
    findings.sort_by_key(|f| std::cmp::Reverse(f.violation.severity));
    for f in findings {
        let loc = format!("{}:{}", f.resource.source.name, f.resource.source.line);
        let fix = if f.fixable { " [fixable]" } else { "" };
        outln!(
            "{:<9} {:<26} {:<44} {:<28} {} (at {}){fix}",
            f.violation.severity.as_str(),
            f.violation.policy_id,
            f.resource.to_string(),
            loc,
            f.violation.message,
            if f.violation.path.is_empty() {
                "/"
            } else {
                &f.violation.path
            },
        );
    }
    outln!(
        "\n{} resources, {} findings (critical {}, warning {}, info {}), compliance score {:.1}/100",
        report.resources.len(),
        report.counts.total(),
        report.counts.critical,
        report.counts.warning,
        report.counts.info,
        report.score
    );
    Ok(())
}

fn check(
    paths: &[PathBuf],
    json: bool,
    fail_on: Severity,
    fix: bool,
    dry_run: bool,
) -> anyhow::Result<ExitCode> {
    if fix && paths.iter().any(|p| p == Path::new("-")) {
        anyhow::bail!("--fix cannot rewrite standard input");
    }
    let set = PolicySet::native();
    let docs = load(paths)?;
    if docs.is_empty() {
        // A score of 100 over nothing would read as "compliant".
        let names: Vec<String> = paths.iter().map(|p| input::display_name(p)).collect();
        anyhow::bail!("no resources found in {}", names.join(", "));
    }
    let report = set.evaluate(&docs)?;
    let mut out = serde_json::json!({ "report": &report });
    let mut final_report = report.clone();
    if fix {
        let files = fix_files(&set, &docs, &report)?;
        if dry_run {
            if !json {
                for f in &files {
                    for d in &f.documents {
                        outln!(
                            "--- {} ({}:{})",
                            d.resource,
                            f.path.display(),
                            d.resource.source.line
                        );
                        outln!("{}", serde_json::to_string_pretty(&d.patch)?);
                    }
                }
                outln!(
                    "dry run: {} files would change; nothing written\n",
                    files.len()
                );
            }
        } else {
            for f in &files {
                write_atomic(&f.path, &f.new_text)
                    .with_context(|| format!("cannot write fixed {}", f.path.display()))?;
                if !json {
                    let n: usize = f.documents.iter().map(|d| d.fixed.len()).sum();
                    outln!("fixed {n} findings in {}", f.path.display());
                }
            }
            // Re-check what is on disk now.
            final_report = set.evaluate(&load(paths)?)?;
            out["after_fix"] = serde_json::to_value(&final_report)?;
        }
        out["fixes"] = serde_json::to_value(&files)?;
    }
    if json {
        outln!("{}", serde_json::to_string(&out)?);
    } else {
        if fix && !dry_run {
            outln!("before fix: compliance score {:.1}/100\n", report.score);
        }
        print_table(&final_report)?;
    }
    Ok(if final_report.has_findings_at_or_above(fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn verify(paths: &[PathBuf], json: bool) -> anyhow::Result<ExitCode> {
    let mut all_pass = true;
    let mut results = Vec::new();
    for p in paths {
        let suites = aiops::policy::find_suites(p)?;
        if suites.is_empty() {
            anyhow::bail!("no suite.yaml under {}", p.display());
        }
        for s in suites {
            let r = aiops::policy::run_suite(&s)?;
            all_pass &= r.passed();
            if !json {
                out!("{}", r.render());
            }
            results.push(r);
        }
    }
    if json {
        outln!(
            "{}",
            serde_json::json!({ "passed": all_pass, "suites": results })
        );
    } else {
        outln!("{}", if all_pass { "PASS" } else { "FAIL" });
    }
    Ok(if all_pass {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
