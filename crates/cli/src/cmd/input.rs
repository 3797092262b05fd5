//! Shared input helpers: `-` means standard input.

use std::io::Read;
use std::path::Path;

use anyhow::Context;

/// Reads a whole input named on the command line; `-` reads standard input.
pub(crate) fn read_to_string(path: &Path) -> anyhow::Result<String> {
    if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("cannot read standard input")?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
    }
}

/// Display name of an input: `stdin` for `-`, else the path.
pub(crate) fn display_name(path: &Path) -> String {
    if path == Path::new("-") {
        "stdin".to_owned()
    } else {
        path.display().to_string()
    }
}
