//! `installations list` and `installations delete`.

use serde::Serialize;
use serde_json::json;
use slack_oauth::{installation::InstallationKey, store::Swap, Store};

use super::lookup::{find_legacy, holds, leading_prefix, resolve, Want};
use super::open::{keeper_failure, open_required, store_failure, store_keeper, Installations};
use crate::args::{DeleteArgs, Global, KeyArgs, ListArgs};
use crate::fail::Failure;
use crate::output;
use crate::Outcome;

/// How often a delete of one user's tokens retries when the record changed under it.
const SWAP_ATTEMPTS: usize = 8;

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
