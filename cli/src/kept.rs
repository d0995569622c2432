//! `--store URL`: installations kept in a shared store (SQLite, PostgreSQL, Redis) and the
//! commands on them: save after `access` / `install`, `token`, `installations`.
//!
//! The records are the library keeper's (`Keeper::install`, keys as in
//! [`InstallationKey`]) and every command goes through the keeper's own calls, so an app and
//! the CLI sharing a store see the same installations. Only finding which app (and org) a
//! `--team` means is done here, from the store's keys.
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
    unix_seconds, Installation, InstallationKey, KeeperError, KeptToken, Record, Store, Swap,
    TokenSet, TokenType, Warning,
};

use crate::args::{DeleteArgs, Global, KeptTokenArgs, KeyArgs, ListArgs, StoreArg};
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
pub fn open(url: &str, arg: &StoreArg, global: &Global) -> Result<Arc<Installations>, Failure> {
    AnyStore::open_with(url, &options(arg, global))
        .map(Arc::new)
        .map_err(store_failure)
}

/// The store options from `--store-namespace` (or its variable) and `--timeout`.
fn options(arg: &StoreArg, global: &Global) -> Options {
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
fn open_required(arg: &StoreArg, global: &Global) -> Result<Arc<Installations>, Failure> {
    open(&required_url(arg)?, arg, global)
}

/// The store URL of a command that cannot work without one.
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

/// A keeper for the commands that only store, list or delete: nothing is refreshed through
/// it, so its client never calls Slack and needs no credentials.
type StoreKeeper = slack_oauth::ureq::Keeper<Installation, Arc<Installations>>;

fn store_keeper(store: &Arc<Installations>, global: &Global) -> Result<StoreKeeper, Failure> {
    let client = slack_oauth::ureq::Client::new(api(global)?);
    Ok(slack_oauth::ureq::Keeper::new(client, Arc::clone(store)))
}

/// Which records of an installation a command is after.
#[derive(Clone, Copy)]
enum Want<'a> {
    /// The bot's record.
    Bot,
    /// That user's record.
    User(&'a str),
    /// Any record (the whole installation).
    Any,
}

impl<'a> Want<'a> {
    /// The bot's record, or with `--user` that user's.
    fn token_of(args: &'a KeyArgs) -> Want<'a> {
        match &args.user {
            Some(user) => Want::User(user),
            None => Want::Bot,
        }
    }
}

/// Whether the record under `parsed` is one `args` asks for. `org_wide` lets a record of an
/// org-wide install of `--enterprise` stand in for `--team`'s own (what the keeper's
/// `find_*_token` fall back to).
fn matches(parsed: &InstallationKey, args: &KeyArgs, want: Want<'_>, org_wide: bool) -> bool {
    let same = |asked: &Option<String>, stored: &Option<String>| {
        asked.is_none() || asked.as_deref() == stored.as_deref()
    };
    let place = match &args.team {
        Some(team) => {
            parsed.team.as_deref() == Some(team.as_str())
                || (org_wide && args.enterprise.is_some() && parsed.team.is_none())
        }
        // `--enterprise` alone: the org-wide install.
        None => parsed.team.is_none(),
    };
    let token = match want {
        Want::Bot => parsed.user.is_none(),
        Want::User(user) => parsed.user.as_deref() == Some(user),
        Want::Any => true,
    };
    same(&args.app, &parsed.app) && same(&args.enterprise, &parsed.enterprise) && place && token
}

/// The key prefix of the ids given, in order (app, then enterprise, then team), for
/// `Store::keys`: `A1/` for an app, `A1/E1/` with its org; `""` without an app. Built from
/// [`InstallationKey::prefix`] so the ids are encoded as the keeper encodes them.
fn leading_prefix(app: Option<&str>, enterprise: Option<&str>, team: Option<&str>) -> String {
    let Some(app) = app else {
        return String::new();
    };
    let mut key = InstallationKey::new(app);
    let mut parts = 1;
    if let Some(enterprise) = enterprise {
        key = key.with_enterprise(enterprise);
        parts += 1;
        if let Some(team) = team {
            key = key.with_team(team);
            parts += 1;
        }
    }
    // Encoded ids hold no `/`: the prefix is exactly three `/`-terminated parts.
    let full = key.prefix();
    full.split_inclusive('/').take(parts).collect()
}

/// The installation `args` names, as the key the keeper's look-ups take (`--user` kept).
///
/// With `--app` and `--enterprise` the key is built as given. Otherwise the store's keys are
/// searched (those of `--app` only, when given) for records `args` asks for, which tells the
/// app and, for a workspace of an org, the enterprise. `None` when nothing matches; a usage
/// error when installations of several apps (or orgs) match.
fn resolve(
    store: &Installations,
    args: &KeyArgs,
    want: Want<'_>,
    org_wide: bool,
) -> Result<Option<InstallationKey>, Failure> {
    let wanted = |app: Option<String>, enterprise: Option<String>| {
        let mut key = InstallationKey::default();
        key.app = app;
        key.enterprise = enterprise;
        key.team = args.team.clone();
        key.user = args.user.clone();
        key
    };
    if args.app.is_some() && args.enterprise.is_some() {
        return Ok(Some(wanted(args.app.clone(), args.enterprise.clone())));
    }
    let prefix = leading_prefix(args.app.as_deref(), None, None);
    let mut found: Vec<InstallationKey> = Vec::new();
    for key in store.keys(&prefix).map_err(store_failure)? {
        // Keys of another layout (an earlier slack-oauth's) are looked at by `find_legacy`.
        let Some(parsed) = InstallationKey::parse(&key) else {
            continue;
        };
        if matches(&parsed, args, want, org_wide) {
            let key = wanted(parsed.app, parsed.enterprise);
            if !found.contains(&key) {
                found.push(key);
            }
        }
    }
    if found.len() > 1 {
        let names: Vec<String> = found.iter().map(InstallationKey::prefix).collect();
        return Err(Failure::Usage(format!(
            "several installations match: {}; pass --app A (and --enterprise E) to pick one",
            names.join(", ")
        )));
    }
    Ok(found.pop())
}

/// The keys an earlier slack-oauth stored an installation for `args` under, most specific
/// first: [`Installation::key`] (the team id, the org id for an org-wide install), with
/// `:USER` for an installation that has only a user token. One record held the bot and the
/// installing user's tokens.
fn legacy_keys(args: &KeyArgs) -> Vec<String> {
    let orgs = args.team.iter().chain(&args.enterprise);
    let mut keys = Vec::new();
    for org in orgs {
        if let Some(user) = &args.user {
            keys.push(format!("{org}:{user}"));
        }
        keys.push(org.to_owned());
    }
    keys
}

/// Whether `installation` holds the token `args` asks for: that user's token with `--user`,
/// else the bot token.
fn holds(installation: &Installation, args: &KeyArgs) -> bool {
    match &args.user {
        Some(user) => {
            installation.user.is_some() && installation.user_id.as_deref() == Some(user.as_str())
        }
        None => installation.bot.is_some(),
    }
}

/// The record an earlier slack-oauth stored holding the token `args` asks for, and its key.
fn find_legacy(
    store: &Installations,
    args: &KeyArgs,
) -> Result<Option<(String, Record<Installation>)>, Failure> {
    if args.app.is_some() {
        // Those keys named no app.
        return Ok(None);
    }
    for candidate in legacy_keys(args) {
        if let Some(record) = store.load(&candidate).map_err(store_failure)? {
            if holds(&record.value, args) {
                return Ok(Some((candidate, record)));
            }
        }
    }
    Ok(None)
}

/// `{"ok":false,"error":"installation_not_found"}`, exit 1.
fn not_found(args: &KeyArgs) -> Failure {
    let what = match &args.user {
        Some(user) => format!("no token of user {user}"),
        None => "no bot token".to_owned(),
    };
    let mut place = match &args.team {
        Some(team) => format!("team {team}"),
        None => "an org-wide install".to_owned(),
    };
    if let Some(org) = &args.enterprise {
        place.push_str(&format!(" (enterprise {org})"));
    }
    if let Some(app) = &args.app {
        place.push_str(&format!(" of app {app}"));
    }
    Failure::Kept {
        json: json!({"ok": false, "error": "installation_not_found"}),
        message: format!("the store holds {what} for {place}"),
    }
}

/// One token set as `access --store` and `install --store` show it.
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
    /// The key `Keeper::install` returns: the bot's record (the user's for a user-only
    /// install).
    key: &'a str,
    /// Every record written, the bot's first.
    keys: &'a [String],
    app_id: Option<&'a str>,
    team_id: Option<&'a str>,
    enterprise_id: Option<&'a str>,
    is_enterprise_install: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    bot: Option<TokenSummary<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<TokenSummary<'a>>,
}

/// Saves `installation` in `store` as `Keeper::install` does and prints its keys.
pub fn save(
    store: &Arc<Installations>,
    installation: &Installation,
    warnings: &[Warning],
    global: &Global,
) -> Outcome {
    let keys = put(store, installation, global)?;
    print_saved(&keys, installation, warnings)
}

/// Saves `installation` in `store` through `Keeper::install`: the bot's record and the
/// installing user's (a reinstall replaces those two; other users' records stay). Returns
/// the keys written, the bot's first.
pub fn put(
    store: &Arc<Installations>,
    installation: &Installation,
    global: &Global,
) -> Result<Vec<String>, Failure> {
    if installation.team_id.is_none() && installation.enterprise_id.is_none() {
        return Err(Failure::Transport(
            "Slack's answer names no team or enterprise to store the installation under".into(),
        ));
    }
    if installation.app_id.is_none() {
        eprintln!("warning: Slack's answer names no app_id: the keys start with an empty app id");
    }
    store_keeper(store, global)?
        .install(installation)
        .map_err(keeper_failure)?;
    // The keys `install` just wrote: it writes exactly these records.
    let keys: Vec<String> = installation.records().into_iter().map(|(k, _)| k).collect();
    eprintln!("stored the installation under {}", keys.join(", "));
    Ok(keys)
}

/// Prints where `installation` is stored and when its tokens expire; never a token.
pub fn print_saved(keys: &[String], installation: &Installation, warnings: &[Warning]) -> Outcome {
    let user_id = installation.user_id.as_deref();
    let saved = Saved {
        ok: true,
        key: keys.first().map_or("", String::as_str),
        keys,
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

/// Where `token` gets its token.
enum Target {
    /// The keeper's look-up for this key (`find_bot_token` / `find_user_token`).
    Found(InstallationKey),
    /// A record an earlier slack-oauth stored under this short key.
    Legacy(String),
}

impl Target {
    /// The records the token may come from, in the order the look-up tries them.
    fn records(&self, token: KeptToken) -> Vec<String> {
        match self {
            Target::Found(key) => {
                let org = key.team.as_ref().and_then(|_| key.org_wide().record(token));
                key.record(token).into_iter().chain(org).collect()
            }
            Target::Legacy(key) => vec![key.clone()],
        }
    }
}

/// `token`: the stored token, refreshed first through the keeper when due.
pub fn token(global: &Global, secrets: &mut SecretReader, args: KeptTokenArgs) -> Outcome {
    // Usage errors first, then the store, then the transport.
    let credentials = credentials(global, secrets, Secret::Optional)?;
    let url = required_url(&args.store)?;
    let store = open(&url, &args.store, global)?;
    let (token_type, kept) = match args.key.user {
        Some(_) => (TokenType::User, KeptToken::User),
        None => (TokenType::Bot, KeptToken::Bot),
    };
    let target = match resolve(&store, &args.key, Want::token_of(&args.key), true)? {
        Some(key) => Target::Found(key),
        None => match find_legacy(&store, &args.key)? {
            Some((key, _)) => Target::Legacy(key),
            None => return Err(not_found(&args.key)),
        },
    };
    let records = target.records(kept);
    // The token stored when the run started, to tell whether the one printed is newer.
    let mut stored_token = None;
    for key in &records {
        if let Some(record) = store.load(key).map_err(store_failure)? {
            stored_token = record
                .value
                .token(token_type)
                .map(|set| set.token.expose().to_owned());
            break;
        }
    }
    let caller = caller(global, api(global)?.with_credentials(credentials))?;
    let token = match caller {
        Caller::Ureq(client) => {
            let keeper =
                slack_oauth::ureq::Keeper::new(client, Arc::clone(&store)).with_margin(args.margin);
            match &target {
                Target::Found(key) if key.user.is_some() => keeper.find_user_token(key),
                Target::Found(key) => keeper.find_bot_token(key),
                Target::Legacy(key) => keeper.token(key, token_type),
            }
        }
        #[cfg(feature = "hyper")]
        // The async keeper gets the async twin of the store: a blocking client would stall
        // the runtime, and PostgreSQL's blocking client refuses to run inside one.
        Caller::Hyper { client, runtime } => runtime.block_on(async {
            let store =
                AsyncAnyStore::<Installation>::open_with(&url, &options(&args.store, global))
                    .await
                    .map_err(store_failure)?;
            let keeper = slack_oauth::hyper::Keeper::new(client, store).with_margin(args.margin);
            Ok::<_, Failure>(match &target {
                Target::Found(key) if key.user.is_some() => keeper.find_user_token(key).await,
                Target::Found(key) => keeper.find_bot_token(key).await,
                Target::Legacy(key) => keeper.token(key, token_type).await,
            })
        })?,
    };
    let token = token.map_err(keeper_failure)?;
    // The expiry of the token printed: read back, since the keeper hands out the token only.
    let mut expires_at = None;
    for key in &records {
        let after = store.load(key).map_err(store_failure)?;
        let set = after.as_ref().and_then(|r| r.value.token(token_type));
        if let Some(set) = set.filter(|set| set.token.expose() == token.expose()) {
            expires_at = set.expires_at;
            break;
        }
    }
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

/// One stored token as `installations list` prints it: its record's key, which token and
/// when it expires, never the token.
#[derive(Serialize)]
struct Listed {
    key: String,
    /// `bot` or `user`.
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enterprise_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    /// Unix seconds; `null` for a token that does not expire.
    expires_at: Option<u64>,
    /// Stored by an earlier slack-oauth under a short key (`T0123`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    legacy: bool,
}

/// `installations list`: the keeper's `stored(prefix)`, filtered by the ids given.
pub fn list(global: &Global, args: ListArgs) -> Outcome {
    let store = open_required(&args.store, global)?;
    let keeper = store_keeper(&store, global)?;
    let prefix = leading_prefix(
        args.app.as_deref(),
        args.enterprise.as_deref(),
        args.team.as_deref(),
    );
    let filtered = args.app.is_some() || args.enterprise.is_some() || args.team.is_some();
    let same = |asked: &Option<String>, stored: &Option<String>| {
        asked.is_none() || asked.as_deref() == stored.as_deref()
    };
    let mut tokens = Vec::new();
    for stored in keeper.stored(&prefix).map_err(keeper_failure)? {
        let listed = match InstallationKey::parse(&stored.key) {
            Some(parsed) => {
                let keep = same(&args.app, &parsed.app)
                    && same(&args.enterprise, &parsed.enterprise)
                    && same(&args.team, &parsed.team);
                if !keep {
                    continue;
                }
                Listed {
                    key: stored.key,
                    kind: stored.token.as_str(),
                    app_id: parsed.app,
                    enterprise_id: parsed.enterprise,
                    team_id: parsed.team,
                    user_id: parsed.user,
                    expires_at: stored.expires_at,
                    legacy: false,
                }
            }
            // A short key names no app: what it is for cannot be filtered by id.
            None if filtered => continue,
            None => Listed {
                key: stored.key,
                kind: stored.token.as_str(),
                app_id: None,
                enterprise_id: None,
                team_id: None,
                user_id: None,
                expires_at: stored.expires_at,
                legacy: true,
            },
        };
        tokens.push(listed);
    }
    eprintln!("{} stored token(s)", tokens.len());
    output::print(&json!({"ok": true, "tokens": tokens}))
}

/// stdout of `installations delete`.
#[derive(Serialize)]
struct Deleted<'a> {
    ok: bool,
    deleted: bool,
    /// How many records went (or, for a legacy record shared with the bot, changed).
    records: usize,
    /// The record deleted or changed (one user's, or a legacy record).
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    /// What every deleted record's key starts with (a whole installation).
    #[serde(skip_serializing_if = "Option::is_none")]
    prefix: Option<&'a str>,
    /// `installation` (bot and users) or `user` (only that user's tokens).
    tokens: &'static str,
}

/// `installations delete`: the whole installation (`Keeper::uninstall`), or with `--user`
/// only that user's tokens (`Keeper::delete_user`).
pub fn delete(global: &Global, args: DeleteArgs) -> Outcome {
    let store = open_required(&args.store, global)?;
    let keeper = store_keeper(&store, global)?;
    let want = match &args.key.user {
        Some(user) => Want::User(user),
        None => Want::Any,
    };
    let tokens = if args.key.user.is_some() {
        "user"
    } else {
        "installation"
    };
    if let Some(key) = resolve(&store, &args.key, want, false)? {
        if let Some(record) = key.user_record() {
            let deleted = keeper.delete_user(&key).map_err(keeper_failure)?;
            eprintln!("deleted `{record}`");
            return output::print(&Deleted {
                ok: true,
                deleted,
                records: usize::from(deleted),
                key: Some(&record),
                prefix: None,
                tokens,
            });
        }
        let prefix = key.prefix();
        let records = keeper.uninstall(&key).map_err(keeper_failure)?;
        eprintln!("deleted {records} record(s) under `{prefix}`");
        return output::print(&Deleted {
            ok: true,
            deleted: records > 0,
            records,
            key: None,
            prefix: Some(&prefix),
            tokens,
        });
    }
    delete_legacy(&store, &args.key, tokens)
}

/// `installations delete` of a record an earlier slack-oauth stored under a short key.
fn delete_legacy(store: &Installations, args: &KeyArgs, tokens: &'static str) -> Outcome {
    let deleted = |key: Option<&str>, deleted: bool| {
        output::print(&Deleted {
            ok: true,
            deleted,
            records: usize::from(deleted),
            key,
            prefix: None,
            tokens,
        })
    };
    let Some((key, record)) = find_legacy(store, args)? else {
        eprintln!("nothing stored for that installation");
        return deleted(None, false);
    };
    // A record of the user's own (a user-only install), or the whole installation.
    if args.user.is_none() || record.value.bot.is_none() {
        let gone = store.delete(&key).map_err(store_failure)?;
        eprintln!("deleted `{key}`");
        return deleted(Some(&key), gone);
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
                return deleted(Some(&key), true);
            }
            _ => match store.load(&key).map_err(store_failure)? {
                Some(now) if holds(&now.value, args) => record = now,
                _ => return deleted(Some(&key), false),
            },
        }
    }
    Err(Failure::Transport(format!(
        "`{key}` kept changing while its user's tokens were being deleted; try again"
    )))
}
