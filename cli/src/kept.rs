//! `--store URL`: installations kept in a shared store (SQLite, PostgreSQL, Redis) and the
//! commands on them: save after `access` / `install`, `token`, `installations`.
//!
//! Nothing here prints a token except `token`, whose job it is: the output of a save, a list
//! or a delete holds keys, ids, scopes and expiry times only.

use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use serde_json::json;
#[cfg(feature = "hyper")]
use slack_oauth::stores::AsyncAnyStore;
use slack_oauth::stores::{AnyStore, Error as StoreError, Options};
use slack_oauth::{
    unix_seconds, Installation, KeeperError, Record, Store, Swap, TokenSet, TokenType, Warning,
};

use crate::args::{DeleteArgs, Global, InstallationKey, KeptTokenArgs, StoreArg};
use crate::client::Caller;
use crate::commands::{api, caller, credentials, Secret};
use crate::fail::Failure;
use crate::output::{self, WithWarnings};
use crate::secrets::SecretReader;
use crate::Outcome;

/// The store URL when `--store` is not given.
pub const ENV_STORE: &str = "SLACK_OAUTH_STORE";

/// The installation store a URL names.
pub type Installations = AnyStore<Installation>;

/// How often a delete of one user's tokens retries when the record changed under it.
const SWAP_ATTEMPTS: usize = 8;

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
pub fn open(url: &str, arg: &StoreArg, global: &Global) -> Result<Installations, Failure> {
    AnyStore::open_with(url, &options(arg, global)).map_err(store_failure)
}

fn options(arg: &StoreArg, global: &Global) -> Options {
    let options = Options::new().timeout(global.timeout);
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
fn open_required(arg: &StoreArg, global: &Global) -> Result<Installations, Failure> {
    open(&required_url(arg)?, arg, global)
}

fn required_url(arg: &StoreArg) -> Result<String, Failure> {
    url(arg).ok_or_else(|| {
        Failure::Usage(format!(
            "no installation store: pass --store URL or set {ENV_STORE} (sqlite:PATH, \
             postgres://..., redis://...)"
        ))
    })
}

/// A bad URL is the user's to fix (exit 2); anything else means the store cannot be reached
/// or failed (exit 3). The store's messages never hold a password or a token.
fn store_failure(error: StoreError) -> Failure {
    match error {
        StoreError::Config { .. } => Failure::Usage(error.to_string()),
        other => Failure::Transport(other.to_string()),
    }
}

/// The keys an installation for `key` may be stored under, most specific first.
///
/// This is the one place that knows how the store is keyed: today by
/// [`Installation::key`], which is the team id (the org id for an org-wide install), with
/// `:USER` for an installation that has only a user token.
fn candidate_keys(key: &InstallationKey) -> Vec<String> {
    let mut orgs = vec![key.team.as_str()];
    orgs.extend(key.enterprise.as_deref());
    let mut keys = Vec::new();
    for org in orgs {
        if let Some(user) = &key.user {
            keys.push(format!("{org}:{user}"));
        }
        keys.push(org.to_owned());
    }
    keys
}

/// Whether `installation` holds the token `key` asks for: that user's token with `--user`,
/// else the bot token.
fn holds(installation: &Installation, key: &InstallationKey) -> bool {
    match &key.user {
        Some(user) => {
            installation.user.is_some() && installation.user_id.as_deref() == Some(user.as_str())
        }
        None => installation.bot.is_some(),
    }
}

/// The stored installation holding the token `key` asks for, and the key it is stored under.
fn find(
    store: &Installations,
    key: &InstallationKey,
) -> Result<Option<(String, Record<Installation>)>, Failure> {
    for candidate in candidate_keys(key) {
        if let Some(record) = store.load(&candidate).map_err(store_failure)? {
            if holds(&record.value, key) {
                return Ok(Some((candidate, record)));
            }
        }
    }
    Ok(None)
}

/// `{"ok":false,"error":"installation_not_found"}`, exit 1.
fn not_found(key: &InstallationKey) -> Failure {
    let what = match &key.user {
        Some(user) => format!("no token of user {user}"),
        None => "no bot token".to_owned(),
    };
    let mut place = format!("team {}", key.team);
    if let Some(org) = &key.enterprise {
        place.push_str(&format!(" (enterprise {org})"));
    }
    Failure::Kept {
        json: json!({"ok": false, "error": "installation_not_found"}),
        message: format!("the store holds {what} for {place}"),
    }
}

/// One token set as `access --store`, `install --store` and `installations` show it.
#[derive(Serialize)]
struct TokenSummary<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    /// Unix seconds; `null` for a token that does not expire.
    expires_at: Option<u64>,
    refreshable: bool,
    scopes: &'a [String],
}

impl<'a> TokenSummary<'a> {
    fn of(set: &'a TokenSet, user_id: Option<&'a str>) -> TokenSummary<'a> {
        TokenSummary {
            user_id,
            expires_at: set.expires_at,
            refreshable: set.refresh_token.is_some(),
            scopes: &set.scopes,
        }
    }
}

/// What a save prints: where the installation is and when its tokens expire, no token.
#[derive(Serialize)]
struct Saved<'a> {
    ok: bool,
    /// The key it is stored under.
    key: &'a str,
    app_id: Option<&'a str>,
    team_id: Option<&'a str>,
    enterprise_id: Option<&'a str>,
    is_enterprise_install: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    bot: Option<TokenSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<TokenSummary<'a>>,
}

/// Saves `installation` in `store` (a reinstall replaces) and prints its keys.
pub fn save(store: &Installations, installation: &Installation, warnings: &[Warning]) -> Outcome {
    let key = put(store, installation)?;
    print_saved(&key, installation, warnings)
}

/// Saves `installation` in `store` (a reinstall replaces); the key it is stored under.
pub fn put(store: &Installations, installation: &Installation) -> Result<String, Failure> {
    let key = installation.key();
    if key.is_empty() {
        return Err(Failure::Transport(
            "Slack's answer names no team or enterprise to store the installation under".into(),
        ));
    }
    store.put(&key, installation).map_err(store_failure)?;
    eprintln!("stored the installation under `{key}`");
    Ok(key)
}

/// Prints where `installation` is stored and when its tokens expire; never a token.
pub fn print_saved(key: &str, installation: &Installation, warnings: &[Warning]) -> Outcome {
    let user_id = installation.user_id.as_deref();
    let saved = Saved {
        ok: true,
        key,
        app_id: installation.app_id.as_deref(),
        team_id: installation.team_id.as_deref(),
        enterprise_id: installation.enterprise_id.as_deref(),
        is_enterprise_install: installation.is_enterprise_install,
        bot: installation.bot.as_ref().map(|s| TokenSummary::of(s, None)),
        user: installation
            .user
            .as_ref()
            .map(|s| TokenSummary::of(s, user_id)),
    };
    output::print(&WithWarnings::new(&saved, warnings))
}

/// `access --store` / `user-access --store`: the answer as an installation received now.
pub fn installation_now(
    answer: slack_oauth::oauth_v2::AccessResponse,
) -> Result<Installation, Failure> {
    Installation::from_access(answer, unix_seconds(SystemTime::now()))
        .map_err(|e| Failure::Transport(format!("oauth.v2.access answered ok but {e}")))
}

/// stdout of `token`.
#[derive(Serialize)]
struct Printed<'a> {
    token: &'a str,
    expires_at: Option<u64>,
    refreshed: bool,
}

/// `token`: the stored token, refreshed first through the keeper when due.
pub fn token(global: &Global, secrets: &mut SecretReader, args: KeptTokenArgs) -> Outcome {
    // Usage errors first, then the store, then the transport.
    let credentials = credentials(global, secrets, Secret::Optional)?;
    let url = required_url(&args.store)?;
    let store = Arc::new(open(&url, &args.store, global)?);
    let Some((key, before)) = find(&store, &args.key)? else {
        return Err(not_found(&args.key));
    };
    let token_type = if args.key.user.is_some() {
        TokenType::User
    } else {
        TokenType::Bot
    };
    let stored_token = before
        .value
        .token(token_type)
        .map(|set| set.token.expose().to_owned());
    let caller = caller(global, api(global)?.with_credentials(credentials))?;
    let token = match caller {
        Caller::Ureq(client) => {
            let keeper =
                slack_oauth::ureq::Keeper::new(client, Arc::clone(&store)).with_margin(args.margin);
            keeper.token(&key, token_type)
        }
        // The async keeper gets the async twin of the store: a blocking client would stall
        // the runtime, and PostgreSQL's blocking client refuses to run inside one.
        #[cfg(feature = "hyper")]
        Caller::Hyper { client, runtime } => runtime.block_on(async {
            let store =
                AsyncAnyStore::<Installation>::open_with(&url, &options(&args.store, global))
                    .await
                    .map_err(store_failure)?;
            let keeper = slack_oauth::hyper::Keeper::new(client, store).with_margin(args.margin);
            Ok::<_, Failure>(keeper.token(&key, token_type).await)
        })?,
    };
    let token = token.map_err(keeper_failure)?;
    // The expiry of the token printed: read back, since the keeper hands out the token only.
    let after = store.load(&key).map_err(store_failure)?;
    let expires_at = after
        .as_ref()
        .and_then(|record| record.value.token(token_type))
        .filter(|set| set.token.expose() == token.expose())
        .and_then(|set| set.expires_at);
    output::print(&Printed {
        token: token.expose(),
        expires_at,
        refreshed: stored_token.as_deref() != Some(token.expose()),
    })
}

/// Exit 1 with JSON when the installation cannot give the token (Slack refused the
/// refresh); exit 3 when the store or Slack could not be reached.
fn keeper_failure(error: KeeperError) -> Failure {
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

/// `installations list`.
pub fn list(global: &Global, args: StoreArg) -> Outcome {
    // Opened anyway, so a wrong URL or an unreachable store says so first.
    let _store = open_required(&args, global)?;
    Err(Failure::Usage(
        "`installations list` needs a store that can enumerate its keys, and this version's \
         stores cannot yet; look an installation up with `slack-oauth token --team T`"
            .into(),
    ))
}

/// stdout of `installations delete`.
#[derive(Serialize)]
struct Deleted<'a> {
    ok: bool,
    deleted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    /// `installation` (bot and users) or `user` (only that user's tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    tokens: Option<&'static str>,
}

/// `installations delete`: the whole installation, or with `--user` only that user's tokens.
pub fn delete(global: &Global, args: DeleteArgs) -> Outcome {
    let store = open_required(&args.store, global)?;
    let Some((key, record)) = find(&store, &args.key)? else {
        eprintln!("nothing stored for that installation");
        return output::print(&Deleted {
            ok: true,
            deleted: false,
            key: None,
            tokens: None,
        });
    };
    // A record of the user's own (a user-only install), or the whole installation.
    if args.key.user.is_none() || record.value.bot.is_none() {
        let deleted = store.delete(&key).map_err(store_failure)?;
        let tokens = if args.key.user.is_some() {
            "user"
        } else {
            "installation"
        };
        eprintln!("deleted `{key}`");
        return output::print(&Deleted {
            ok: true,
            deleted,
            key: Some(&key),
            tokens: Some(tokens),
        });
    }
    // The user's tokens share the bot's record: take them out, keep the bot's.
    let mut record = record;
    for _ in 0..SWAP_ATTEMPTS {
        let mut value = record.value.clone();
        value.user = None;
        match store
            .compare_and_swap(&key, Some(record.version), &value, None)
            .map_err(store_failure)?
        {
            Swap::Stored { .. } => {
                eprintln!("deleted the user's tokens from `{key}`");
                return output::print(&Deleted {
                    ok: true,
                    deleted: true,
                    key: Some(&key),
                    tokens: Some("user"),
                });
            }
            _ => match store.load(&key).map_err(store_failure)? {
                Some(now) if holds(&now.value, &args.key) => record = now,
                _ => {
                    return output::print(&Deleted {
                        ok: true,
                        deleted: false,
                        key: Some(&key),
                        tokens: None,
                    })
                }
            },
        }
    }
    Err(Failure::Transport(format!(
        "`{key}` kept changing while its user's tokens were being deleted; try again"
    )))
}
