//! One module per subcommand; each has `Args` (clap) and `run(Args) -> anyhow::Result<ExitCode>`.

pub(crate) mod canary;
pub(crate) mod detect;
pub(crate) mod forecast;
pub(crate) mod iac;
pub(crate) mod input;
pub(crate) mod logs;
pub(crate) mod policy;
pub(crate) mod quantum;
pub(crate) mod rca;
pub(crate) mod rl;
pub(crate) mod rollout;
pub(crate) mod run;
pub(crate) mod skills;
pub(crate) mod validate;
pub(crate) mod version;
