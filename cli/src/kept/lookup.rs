//! Which stored installation `--app`, `--enterprise`, `--team` and `--user` name: from the
//! store's keys, or a record an earlier slack-oauth stored under a short key.

use serde_json::json;
use slack_oauth::{installation::InstallationKey, store::Record, Installation, Store};

use super::open::{store_failure, Installations};
use crate::args::KeyArgs;
use crate::fail::Failure;

/// Which records of an installation a command is after.
#[derive(Clone, Copy)]
pub(super) enum Want<'a> {
    /// The bot's record.
    Bot,
    /// That user's record.
    User(&'a str),
    /// Any record (the whole installation).
    Any,
}

impl<'a> Want<'a> {
    /// The bot's record, or with `--user` that user's.
    pub(super) fn token_of(args: &'a KeyArgs) -> Want<'a> {
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
pub(super) fn leading_prefix(
    app: Option<&str>,
    enterprise: Option<&str>,
    team: Option<&str>,
) -> String {
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
pub(super) fn resolve(
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
pub(super) fn holds(installation: &Installation, args: &KeyArgs) -> bool {
    match &args.user {
        Some(user) => {
            installation.user.is_some() && installation.user_id.as_deref() == Some(user.as_str())
        }
        None => installation.bot.is_some(),
    }
}

/// The record an earlier slack-oauth stored holding the token `args` asks for, and its key.
pub(super) fn find_legacy(
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
pub(super) fn not_found(args: &KeyArgs) -> Failure {
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
