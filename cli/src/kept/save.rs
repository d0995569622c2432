//! Saving an installation after `access --store` / `install --store`, and what a save
//! prints (keys, ids, scopes, expiry; never a token).

use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use slack_oauth::{error::Warning, installation::TokenSet, unix_seconds, Installation};

use super::open::{keeper_failure, store_keeper, Installations};
use crate::args::Global;
use crate::fail::Failure;
use crate::output::{self, WithWarnings};
use crate::Outcome;

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
