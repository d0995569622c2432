//! [`KeeperError`]: why a keeper run ended without a token.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::config_tokens::ConfigTokensError;
use crate::installations::InstallationError;
use crate::keeper::KeptToken;
use crate::ErrorCode;

/// A store's error, shared by every caller that saw it.
pub type StoreError = Arc<dyn std::error::Error + Send + Sync>;

/// A store's error as a [`StoreError`], for [`Outcome`](crate::keeper::Outcome)s.
pub fn store_error(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    Arc::new(error)
}

/// Why a token keeper (the [`Machine`](crate::keeper::Machine), and through it
/// `slack_oauth_ureq::Keeper` and `slack_oauth_hyper::Keeper`) could not hand out a token.
/// Never holds a token or secret.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum KeeperError {
    /// Nothing is stored under this key: the app is not installed (or was deleted).
    NotFound {
        /// The key asked for.
        key: String,
    },
    /// The stored installation cannot give this token: it has none of that type, it expired
    /// with no refresh token, or Slack's refresh answer does not fit it.
    Installation {
        /// The key asked for.
        key: String,
        /// What is wrong.
        error: InstallationError,
    },
    /// Slack's rotate answer does not fit the stored configuration tokens.
    Config {
        /// The key asked for.
        key: String,
        /// What is wrong.
        error: ConfigTokensError,
    },
    /// The kept value has no token of this kind (a configuration token asked of an
    /// installation, or a bot token of configuration tokens).
    WrongToken {
        /// The key asked for.
        key: String,
        /// The token asked for.
        token: KeptToken,
    },
    /// The refresh call failed: Slack said no (`invalid_refresh_token`: reinstall, see
    /// [`KeeperError::needs_reinstall`]) or the transport failed (see
    /// [`KeeperError::is_outcome_unknown`]).
    Refresh {
        /// The key asked for.
        key: String,
        /// Which token.
        token: KeptToken,
        /// The call's error (shared by every caller that waited for this refresh).
        error: Arc<crate::transport::Error>,
    },
    /// The store failed before anything was spent.
    Store(StoreError),
    /// Slack refreshed the token but the store kept failing to take the new pair. The pair is
    /// kept in this process, with the key's lock, and the next call for the key writes it
    /// before anything else; only the process's exit can lose it.
    Unsaved {
        /// The key asked for.
        key: String,
        /// The store's last error.
        error: StoreError,
    },
    /// Another process holds the refresh lease and did not finish within the wait limit.
    Busy {
        /// The key asked for.
        key: String,
    },
    /// The refresh task was cancelled before it finished: the runtime is shutting down
    /// (async keepers only).
    Cancelled {
        /// The key asked for.
        key: String,
    },
}

impl KeeperError {
    /// A [`KeeperError::Store`] of a store's error.
    pub fn store(error: impl std::error::Error + Send + Sync + 'static) -> KeeperError {
        KeeperError::Store(Arc::new(error))
    }

    /// Slack's error code, when Slack answered the refresh.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.slack().and_then(crate::Error::code)
    }

    /// Whether only a new install can help: Slack refused the refresh token
    /// (`invalid_refresh_token`, `token_revoked`, ...) and nobody else refreshed it, or the
    /// token expired with no refresh token.
    pub fn needs_reinstall(&self) -> bool {
        match self {
            KeeperError::Refresh { error, .. } => {
                error.slack().is_some_and(|e| e.needs_reinstall())
            }
            KeeperError::Installation { error, .. } => {
                matches!(error, InstallationError::Expired { .. })
            }
            _ => false,
        }
    }

    /// Whether the refresh request may have reached Slack although no answer came back (a
    /// timeout or a broken connection after sending): the refresh token may be spent. The
    /// keeper re-read the store before giving up and reads it again on the next call, rather
    /// than resending blindly.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(
            self,
            KeeperError::Refresh { error, .. }
                if matches!(**error, crate::transport::Error::Timeout | crate::transport::Error::Io(_))
        )
    }

    /// Slack's answer to the refresh, when Slack answered.
    pub fn slack(&self) -> Option<&crate::Error> {
        match self {
            KeeperError::Refresh { error, .. } => error.slack(),
            _ => None,
        }
    }

    /// Whether asking again later may succeed: a retryable refresh failure (rate limit,
    /// timeout, ...), a busy lease, or an answer not yet stored.
    pub fn is_retryable(&self) -> bool {
        self.retry_after().is_some()
    }

    /// When asking again may help, how long to wait first.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            KeeperError::Refresh { error, .. } => error.retry_after(),
            KeeperError::Busy { .. } | KeeperError::Unsaved { .. } => {
                Some(crate::Error::TRANSIENT_RETRY_AFTER)
            }
            _ => None,
        }
    }
}

impl fmt::Display for KeeperError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeeperError::NotFound { key } => {
                write!(f, "nothing is stored under `{key}`: install the app first")
            }
            KeeperError::Installation { key, error } => write!(f, "`{key}`: {error}"),
            KeeperError::Config { key, error } => write!(f, "`{key}`: {error}"),
            KeeperError::WrongToken { key, token } => {
                write!(f, "what is stored under `{key}` has no {token} token")
            }
            KeeperError::Refresh { key, token, error } => {
                write!(f, "refreshing the {token} token of `{key}` failed: {error}")?;
                if self.needs_reinstall() {
                    f.write_str("; the app must be installed again")?;
                } else if self.is_outcome_unknown() {
                    f.write_str(
                        "; the request may have reached Slack, so the refresh token may be spent",
                    )?;
                }
                Ok(())
            }
            KeeperError::Store(e) => write!(f, "the token store failed: {e}"),
            KeeperError::Unsaved { key, error } => write!(
                f,
                "the refreshed tokens of `{key}` could not be stored ({error}); \
                 they are kept in memory and written by the next call"
            ),
            KeeperError::Busy { key } => write!(
                f,
                "another process is refreshing `{key}` and did not finish in time"
            ),
            KeeperError::Cancelled { key } => {
                write!(f, "the refresh of `{key}` was cancelled before it finished")
            }
        }
    }
}

impl std::error::Error for KeeperError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeeperError::Installation { error, .. } => Some(error),
            KeeperError::Config { error, .. } => Some(error),
            KeeperError::Refresh { error, .. } => Some(&**error),
            KeeperError::Store(e) | KeeperError::Unsaved { error: e, .. } => Some(&**e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse, tooling_tokens::Rotate, TokenType};

    fn refused(code: &str) -> KeeperError {
        let answer =
            http::Response::new(format!(r#"{{"ok":false,"error":"{code}"}}"#).into_bytes());
        KeeperError::Refresh {
            key: "T1".into(),
            token: KeptToken::User,
            error: Arc::new(crate::transport::Error::Response(
                parse::<Rotate, _>(&answer).unwrap_err(),
            )),
        }
    }

    #[test]
    fn errors_say_what_to_do_without_secrets() {
        let spent = refused("invalid_refresh_token");
        assert!(spent.needs_reinstall());
        assert!(!spent.is_retryable() && spent.retry_after().is_none());
        assert_eq!(
            spent.code().map(ErrorCode::as_str),
            Some("invalid_refresh_token")
        );
        let shown = spent.to_string();
        assert!(shown.contains("user token of `T1`"), "{shown}");
        assert!(shown.contains("installed again"), "{shown}");

        let busy = KeeperError::Busy { key: "T1".into() };
        assert!(busy.is_retryable() && !busy.needs_reinstall() && busy.code().is_none());
        let expired = KeeperError::Installation {
            key: "T1".into(),
            error: InstallationError::Expired {
                token_type: TokenType::Bot,
                expires_at: 5,
            },
        };
        assert!(expired.needs_reinstall());
        assert!(!KeeperError::NotFound { key: "T1".into() }.needs_reinstall());
        let cancelled = KeeperError::Cancelled { key: "T1".into() };
        assert!(!cancelled.is_retryable() && !cancelled.needs_reinstall());
    }

    #[test]
    fn unknown_outcomes_and_unsaved_answers_are_told_apart() {
        let lost = KeeperError::Refresh {
            key: "T1".into(),
            token: KeptToken::Bot,
            error: Arc::new(crate::transport::Error::Timeout),
        };
        assert!(lost.is_outcome_unknown() && lost.is_retryable() && !lost.needs_reinstall());
        assert!(lost.to_string().contains("may be spent"), "{lost}");
        assert!(!refused("ratelimited").is_outcome_unknown());

        let unsaved = KeeperError::Unsaved {
            key: "T1".into(),
            error: store_error(std::io::Error::other("reset")),
        };
        assert!(unsaved.is_retryable() && !unsaved.needs_reinstall());
        assert!(
            unsaved.to_string().contains("written by the next call"),
            "{unsaved}"
        );
        assert!(std::error::Error::source(&unsaved).is_some());
    }
}
