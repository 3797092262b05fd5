//! What the CLI's integration tests share: running the built binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `aiops` with `args`, `stdin` on its standard input (closed at once
/// when `None`), and collects its output.
pub(crate) fn aiops(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_aiops"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        // A command that fails before reading its input closes the pipe.
        if let Err(e) = child.stdin.take().unwrap().write_all(text.as_bytes()) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}
