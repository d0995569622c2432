//! [`InstallFailure`]: why an install did not complete.

use std::fmt;
use std::sync::Arc;

use crate::{installation::InstallationError, transport};

/// Why an install did not complete. Never holds a code, a state, a cookie or a token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum InstallFailure {
    /// The user pressed Cancel on Slack's page (`error=access_denied`).
    AccessDenied,
    /// Slack's authorize step sent another `error` (e.g. `invalid_scope`).
    Authorize {
        /// Slack's error code (cleaned to `A-Z a-z 0-9 _ - .`).
        error: String,
    },
    /// The redirect has a code but no `state`: not a redirect this app started.
    MissingState,
    /// The redirect has a code but neither a `state` nor this flow's cookie: the install was
    /// started at Slack (the App Directory, the app's settings page, a shared link), not on
    /// the install page. [`InstallFlow::failure`](crate::web::InstallFlow::failure) answers it
    /// by starting the flow again at the install path (a 303 there, which goes straight on
    /// to Slack with a fresh state and cookie) rather than with an error page.
    StartedAtSlack,
    /// The redirect has no `code`, or is not a redirect from Slack at all.
    BadRedirect,
    /// The browser has no install cookie: it did not start this install (a link sent by
    /// someone else), or took longer than the cookie lives.
    NoCookie,
    /// The state is forged, tampered with, or was issued to another browser.
    StateMismatch,
    /// The state is too old: the user took longer than the state lives.
    StateExpired,
    /// The state was used before, on this server or another sharing the store (single-use
    /// states, [`CodeExchange::claim`](crate::web::CodeExchange::claim)).
    StateUsed,
    /// Slack refused the code (`invalid_code`, `bad_redirect_uri`, ...) or could not be
    /// reached. Shared, so the failure can be cloned.
    Exchange(Arc<transport::Error>),
    /// Slack's answer cannot be an installation (no token, no team).
    Installation(InstallationError),
    /// The app's own code could not store the installation.
    Store,
}

impl InstallFailure {
    /// A short code for the failure, for the app's failure URL (`?error=…`) and logs:
    /// `access_denied`, `state_mismatch`, `invalid_code`, ...
    pub fn code(&self) -> String {
        match self {
            InstallFailure::AccessDenied => "access_denied".into(),
            InstallFailure::Authorize { error } => error.clone(),
            InstallFailure::MissingState => "state_missing".into(),
            InstallFailure::StartedAtSlack => "started_at_slack".into(),
            InstallFailure::BadRedirect => "bad_redirect".into(),
            InstallFailure::NoCookie => "no_state_cookie".into(),
            InstallFailure::StateMismatch => "state_mismatch".into(),
            InstallFailure::StateExpired => "state_expired".into(),
            InstallFailure::StateUsed => "state_used".into(),
            InstallFailure::Exchange(e) => match e.slack() {
                Some(slack) => slack
                    .code()
                    .map_or_else(|| "slack_error".into(), |c| c.as_str().to_owned()),
                None => "slack_unreachable".into(),
            },
            InstallFailure::Installation(_) => "invalid_installation".into(),
            InstallFailure::Store => "storage_failed".into(),
        }
    }

    /// The status the built-in failure page answers with: 200 for a cancel (nothing went
    /// wrong), 502 when Slack could not be reached (nor answered an API error), 500 when the
    /// installation could not be stored, 400 for everything the request itself got wrong.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            InstallFailure::AccessDenied => StatusCode::OK,
            InstallFailure::Exchange(e) if e.slack().is_none() => StatusCode::BAD_GATEWAY,
            InstallFailure::Store => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Whether the user cancelled (not an error worth alerting on).
    pub fn is_access_denied(&self) -> bool {
        matches!(self, InstallFailure::AccessDenied)
    }

    pub(super) fn explanation(&self) -> &'static str {
        match self {
            InstallFailure::AccessDenied => {
                "The installation was cancelled. Nothing was installed."
            }
            InstallFailure::Authorize { .. } => "Slack could not start the installation.",
            InstallFailure::MissingState | InstallFailure::BadRedirect => {
                "This page was not reached from Slack's install page."
            }
            InstallFailure::StartedAtSlack => {
                "The installation was started at Slack. Start it here to finish it."
            }
            InstallFailure::NoCookie => {
                "This browser did not start this installation, or it took too long. \
                 Start again from the install page in this browser."
            }
            InstallFailure::StateMismatch => {
                "This installation link was not issued to this browser. \
                 Start again from the install page."
            }
            InstallFailure::StateExpired => {
                "The installation took too long. Start again from the install page."
            }
            InstallFailure::StateUsed => {
                "This installation link was already used. Start again from the install page."
            }
            InstallFailure::Exchange(e) if e.slack().is_some() => {
                "Slack refused to complete the installation."
            }
            InstallFailure::Exchange(_) => "Slack could not be reached. Please try again.",
            InstallFailure::Installation(_) => "Slack's answer did not contain an installation.",
            InstallFailure::Store => "The installation could not be saved. Please try again.",
        }
    }
}

impl fmt::Display for InstallFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallFailure::Exchange(e) => write!(f, "install failed: {e}"),
            InstallFailure::Installation(e) => write!(f, "install failed: {e}"),
            other => write!(
                f,
                "install failed ({}): {}",
                other.code(),
                other.explanation()
            ),
        }
    }
}

impl std::error::Error for InstallFailure {}
