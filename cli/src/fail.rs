//! Why a command failed, and the exit code and output each failure gets (`output.rs` prints
//! them).

use serde::Serialize;
use slack_oauth::{error::Warning, Error as SlackAnswer};

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: Slack answered with an error.
pub const EXIT_SLACK: u8 = 1;
/// Exit code: the command line or an input is wrong.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: no usable answer (connection, TLS, timeout, unreadable body, local I/O).
pub const EXIT_TRANSPORT: u8 = 3;

/// Commands return this; the failure decides the exit code.
pub(crate) type Outcome = Result<(), Failure>;

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
    /// A stored installation cannot give the token asked for (none stored, or Slack refused
    /// its refresh): exit 1, `json` on stdout.
    Kept {
        /// `{"ok":false,"error":...}` and what else tells the caller what to do.
        json: serde_json::Value,
        /// For stderr.
        message: String,
    },
}

impl Failure {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) => EXIT_USAGE,
            Failure::Slack(SlackAnswer::Slack(_) | SlackAnswer::RateLimited(_))
            | Failure::Denied { .. }
            | Failure::Kept { .. } => EXIT_SLACK,
            Failure::Slack(_) | Failure::Transport(_) => EXIT_TRANSPORT,
        }
    }

    /// The JSON object printed on stdout, for failures that are Slack's answer.
    pub fn stdout_json(&self) -> Option<SlackFailure<'_>> {
        match self {
            Failure::Slack(answer @ SlackAnswer::Slack(e)) => Some(SlackFailure {
                ok: false,
                error: e.code.as_str(),
                retry_after: answer.retry_after().map(|d| d.as_secs()),
                needed: e.needed.as_deref(),
                provided: e.provided.as_deref(),
                messages: e.messages.iter().map(String::as_str).collect(),
                warnings: e.warnings.iter().map(Warning::as_str).collect(),
            }),
            Failure::Slack(SlackAnswer::RateLimited(e)) => Some(SlackFailure {
                ok: false,
                error: "ratelimited",
                retry_after: Some(e.retry_after.as_secs()),
                needed: None,
                provided: None,
                messages: Vec::new(),
                warnings: e.warnings.iter().map(Warning::as_str).collect(),
            }),
            Failure::Denied { code } => Some(SlackFailure {
                ok: false,
                error: code,
                retry_after: None,
                needed: None,
                provided: None,
                messages: Vec::new(),
                warnings: Vec::new(),
            }),
            _ => None,
        }
    }

    /// The human message for stderr.
    pub fn message(&self) -> String {
        match self {
            Failure::Usage(m) | Failure::Transport(m) | Failure::Kept { message: m, .. } => {
                m.clone()
            }
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
}

/// Both transports fail with core's one transport error, so one conversion serves both.
impl From<slack_oauth::transport::Error> for Failure {
    fn from(e: slack_oauth::transport::Error) -> Self {
        use slack_oauth::transport::Error as E;
        match e {
            E::Response(answer) => Failure::Slack(answer),
            // Refused before any I/O: the command line (the base URL) or an input is wrong.
            E::Build(_) => Failure::Usage(e.to_string()),
            other => Failure::Transport(other.to_string()),
        }
    }
}

impl From<slack_oauth::error::BuildError> for Failure {
    fn from(e: slack_oauth::error::BuildError) -> Self {
        Failure::Usage(e.to_string())
    }
}

/// stdout when Slack answered with an error: `{"ok":false,"error":CODE,...}`.
#[derive(Debug, Serialize)]
pub struct SlackFailure<'a> {
    /// Always `false`.
    pub ok: bool,
    /// Slack's error code.
    pub error: &'a str,
    /// Seconds to wait before retrying, when a retry can help (always set when rate-limited).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// On `missing_scope`: the scopes the call needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needed: Option<&'a str>,
    /// On `missing_scope`: the scopes the token has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provided: Option<&'a str>,
    /// `response_metadata.messages`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<&'a str>,
    /// Warnings that came with the error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use slack_oauth::transport::Error as E;

    #[test]
    fn transport_errors_map_to_usage_or_transport() {
        let usage = [
            E::Build(slack_oauth::error::BuildError::InsecureUrl {
                host: "slack.example".into(),
            }),
            E::Build(slack_oauth::error::BuildError::InvalidUrl { reason: "no host" }),
        ];
        for e in usage {
            assert_eq!(Failure::from(e).exit_code(), EXIT_USAGE);
        }
        let transport = [
            E::Timeout,
            E::BodyTooLarge { limit: 1 },
            E::Connect(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        ];
        for e in transport {
            assert_eq!(Failure::from(e).exit_code(), EXIT_TRANSPORT);
        }
    }
}
