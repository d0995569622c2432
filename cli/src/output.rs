//! stdout: exactly one JSON object per run, so scripts can pipe it to `jq`; and how a failed
//! run reports itself (its JSON on stdout, its message on stderr).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use serde::Serialize;
use slack_oauth::error::Warning;

use crate::fail::Failure;

/// A typed value with Slack's warnings beside its own fields.
#[derive(Serialize)]
pub struct WithWarnings<'a, T> {
    /// The typed response; its fields come first, in declaration order.
    #[serde(flatten)]
    pub value: &'a T,
    /// Warnings Slack sent, if any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<&'a str>,
}

impl<'a, T> WithWarnings<'a, T> {
    /// Wraps `value`, echoing each warning on stderr for people reading it.
    pub fn new(value: &'a T, warnings: &'a [Warning]) -> Self {
        for warning in warnings {
            eprintln!("warning: Slack warned `{warning}`");
        }
        WithWarnings {
            value,
            warnings: warnings.iter().map(Warning::as_str).collect(),
        }
    }
}

/// Prints one JSON object on stdout: indented for a person at a terminal, one line for a pipe.
pub fn print<T: Serialize>(value: &T) -> Result<(), Failure> {
    // A closed stdout (`| head -c0`) is the reader's choice, not a failure of the command.
    let _ = print_checked(value)?;
    Ok(())
}

/// Like [`print()`], but tells whether the object reached stdout, for a caller whose output
/// may be the only copy of something.
pub fn print_checked<T: Serialize>(value: &T) -> Result<std::io::Result<()>, Failure> {
    let text = if std::io::stdout().is_terminal() {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    // Every value printed is a struct or map of strings and numbers: this is a bug if hit.
    .map_err(|e| Failure::Transport(format!("internal error: cannot serialize the output: {e}")))?;
    let mut out = std::io::stdout().lock();
    Ok(writeln!(out, "{text}").and_then(|()| out.flush()))
}

impl Failure {
    /// Prints the failure (JSON on stdout when Slack answered, a message on stderr) and
    /// returns the exit code.
    pub fn report(&self) -> ExitCode {
        if let Failure::Kept { json, .. } = self {
            let _ = print(json);
        }
        if let Some(value) = self.stdout_json() {
            // Nothing useful is left to do if even this fails.
            let _ = print(&value);
        }
        let prefix = if matches!(self, Failure::Usage(_)) {
            "error: "
        } else {
            "slack-oauth: "
        };
        eprintln!("{prefix}{}", self.message());
        if let Failure::Usage(_) = self {
            eprintln!("\nFor more information, try '--help'.");
        }
        ExitCode::from(self.exit_code())
    }
}
