//! One module per subcommand; each has `Args` (clap) and `run(Args) -> anyhow::Result<ExitCode>`.

pub(crate) mod input;
pub(crate) mod run;
pub(crate) mod validate;
pub(crate) mod version;
