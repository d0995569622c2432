//! Why a command failed, and the exit code and output each failure gets.

use std::process::ExitCode;

use serde_json::{json, Map, Value};
use slack_oauth::Error as SlackAnswer;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: Slack answered with an error.
pub const EXIT_SLACK: u8 = 1;
/// Exit code: the command line or an input is wrong.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: no usable answer (connection, TLS, timeout, unreadable body, local I/O).
pub const EXIT_TRANSPORT: u8 = 3;

/// A failed command. Messages never hold a secret.
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments or inputs (missing credentials, unreadable secret file, ...): exit 2.
    Usage(String),
    /// Slack answered with an error (including rate limits): exit 1, the error on stdout.
    Slack(SlackAnswer),
    /// Slack's answer in the browser half of OAuth (e.g. `access_denied`): exit 1.
    Denied {
        /// The `error` parameter of the redirect.
        code: String,
    },
    /// No usable answer: exit 3.
    Transport(String),
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => EXIT_USAGE,
            Failure::Slack(SlackAnswer::Slack(_) | SlackAnswer::RateLimited(_))
            | Failure::Denied { .. } => EXIT_SLACK,
            Failure::Slack(_) | Failure::Transport(_) => EXIT_TRANSPORT,
        }
    }

    /// The JSON object printed on stdout, for failures that are Slack's answer.
    pub fn stdout_json(&self) -> Option<Value> {
        match self {
            Failure::Slack(SlackAnswer::Slack(e)) => {
                let mut out = Map::new();
                out.insert("ok".into(), Value::Bool(false));
                out.insert("error".into(), Value::String(e.code.as_str().to_owned()));
                if !e.warnings.is_empty() {
                    out.insert(
                        "warnings".into(),
                        e.warnings.iter().map(|w| w.as_str()).collect(),
                    );
                }
                if !e.messages.is_empty() {
                    out.insert("messages".into(), json!(e.messages));
                }
                if let Some(needed) = &e.needed {
                    out.insert("needed".into(), json!(needed));
                }
                if let Some(provided) = &e.provided {
                    out.insert("provided".into(), json!(provided));
                }
                if let Some(wait) = SlackAnswer::Slack(e.clone()).retry_after() {
                    out.insert("retry_after".into(), json!(wait.as_secs()));
                }
                Some(Value::Object(out))
            }
            Failure::Slack(SlackAnswer::RateLimited(e)) => {
                let mut out = Map::new();
                out.insert("ok".into(), Value::Bool(false));
                out.insert("error".into(), json!("ratelimited"));
                out.insert("retry_after".into(), json!(e.retry_after.as_secs()));
                if !e.warnings.is_empty() {
                    out.insert(
                        "warnings".into(),
                        e.warnings.iter().map(|w| w.as_str()).collect(),
                    );
                }
                Some(Value::Object(out))
            }
            Failure::Denied { code } => Some(json!({ "ok": false, "error": code })),
            _ => None,
        }
    }

    /// The human message for stderr.
    pub fn message(&self) -> String {
        match self {
            Failure::Usage(m) | Failure::Transport(m) => m.clone(),
            Failure::Slack(e) => {
                let mut m = e.to_string();
                if e.needs_reinstall() {
                    m.push_str(" (the app must be installed again)");
                } else if e.is_token_dead() {
                    m.push_str(" (the token is dead)");
                }
                m
            }
            Failure::Denied { code } => {
                format!("the authorization was not granted: Slack redirected with error `{code}`")
            }
        }
    }

    /// Prints the failure (JSON on stdout when Slack answered, a message on stderr) and
    /// returns the exit code.
    pub fn report(&self) -> ExitCode {
        if let Some(value) = self.stdout_json() {
            crate::output::print_json(&value);
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

impl From<slack_oauth::BuildError> for Failure {
    fn from(e: slack_oauth::BuildError) -> Self {
        Failure::Usage(e.to_string())
    }
}
