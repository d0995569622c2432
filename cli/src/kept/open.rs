//! The store `--store` names, the keeper over it for the commands that do not refresh, and
//! what their errors become.

use std::sync::Arc;

use serde_json::json;
use slack_oauth::stores::{AnyStore, Error as StoreError, Options, Sealed, Stored};
use slack_oauth::{keeper::KeeperError, Installation};

use crate::args::{Global, StoreArg};
use crate::fail::Failure;
use crate::inputs::api;

/// The store URL when `--store` is not given.
pub const ENV_STORE: &str = "SLACK_OAUTH_STORE";

/// The installation store a URL names, sealed with `SLACK_OAUTH_KEYS` when it is set.
pub type Installations = Sealed<AnyStore<Stored<Installation>>, Installation>;

/// The table or key prefix when `--store-namespace` is not given.
pub const ENV_STORE_NAMESPACE: &str = "SLACK_OAUTH_STORE_NAMESPACE";

/// `--store URL`, else `SLACK_OAUTH_STORE`; `None` when neither is set.
pub fn url(arg: &StoreArg) -> Option<String> {
    arg.store.clone().or_else(|| env(ENV_STORE))
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Opens the store `url` names (SQLite files are created 0600 by the store itself, and
/// several processes creating one at once is safe).
pub fn open(url: &str, arg: &StoreArg, global: &Global) -> Result<Arc<Installations>, Failure> {
    let ring = crate::keys::ring()?;
    AnyStore::<Installation>::open_with(url, &options(arg, global))
        .map(|store| Arc::new(store.sealed(ring)))
        .map_err(store_failure)
}

/// The store options from `--store-namespace` (or its variable) and `--timeout`.
pub(super) fn options(arg: &StoreArg, global: &Global) -> Options {
    let options = Options::new().timeout(global.timeout);
    let options = match arg.ca() {
        Some(ca) => options.tls_ca_file(ca),
        None => options,
    };
    match arg
        .store_namespace
        .clone()
        .or_else(|| env(ENV_STORE_NAMESPACE))
    {
        Some(namespace) => options.namespace(namespace),
        None => options,
    }
}

/// Opens the store of a command that cannot work without one.
pub(super) fn open_required(
    arg: &StoreArg,
    global: &Global,
) -> Result<Arc<Installations>, Failure> {
    open(&required_url(arg)?, arg, global)
}

/// The store URL of a command that cannot work without one.
pub(super) fn required_url(arg: &StoreArg) -> Result<String, Failure> {
    url(arg).ok_or_else(|| {
        Failure::Usage(format!(
            "no installation store: pass --store URL or set {ENV_STORE} (sqlite:PATH, \
             postgres://..., mysql://..., redis://...)"
        ))
    })
}

/// A bad URL is the user's to fix (exit 2); anything else means the store cannot be reached
/// or failed (exit 3). The store's messages never hold a password or a token.
pub(super) fn store_failure(error: StoreError) -> Failure {
    match error {
        StoreError::Config { .. } => Failure::Usage(error.to_string()),
        other => Failure::Transport(other.to_string()),
    }
}

/// A keeper for the commands that only store, list or delete: nothing is refreshed through
/// it, so its client never calls Slack and needs no credentials.
pub(super) type StoreKeeper = slack_oauth::ureq::Keeper<Installation, Arc<Installations>>;

pub(super) fn store_keeper(
    store: &Arc<Installations>,
    global: &Global,
) -> Result<StoreKeeper, Failure> {
    let client = slack_oauth::ureq::Client::new(api(global)?);
    Ok(slack_oauth::ureq::Keeper::new(client, Arc::clone(store)))
}

/// Exit 1 with JSON when the installation cannot give the token (Slack refused the
/// refresh); exit 3 when the store or Slack could not be reached.
pub(super) fn keeper_failure(error: KeeperError) -> Failure {
    let message = error.to_string();
    if error.needs_reinstall() {
        let code = error.code().map_or("token_expired", |code| code.as_str());
        return Failure::Kept {
            json: json!({"ok": false, "error": code, "needs_reinstall": true}),
            message: format!("{message} (the app must be installed again)"),
        };
    }
    match &error {
        KeeperError::NotFound { .. } => Failure::Kept {
            json: json!({"ok": false, "error": "installation_not_found"}),
            message,
        },
        // Slack answered with an error (the same rule as every other command's exit 1);
        // an HTML page, a timeout or a broken connection is exit 3.
        KeeperError::Refresh { error: call, .. } => match call.slack() {
            Some(slack_oauth::Error::Slack(answer)) => Failure::Kept {
                json: json!({"ok": false, "error": answer.code.as_str(), "needs_reinstall": false}),
                message,
            },
            Some(slack_oauth::Error::RateLimited(limited)) => Failure::Kept {
                json: json!({
                    "ok": false,
                    "error": "ratelimited",
                    "retry_after": limited.retry_after.as_secs(),
                    "needs_reinstall": false,
                }),
                message,
            },
            _ => Failure::Transport(message),
        },
        _ => Failure::Transport(message),
    }
}
