//! `token`: the stored token, refreshed first through the keeper when due.

use std::sync::Arc;

use serde::Serialize;
#[cfg(feature = "hyper")]
use slack_oauth::stores::AsyncAnyStore;
#[cfg(feature = "hyper")]
use slack_oauth::Installation;
use slack_oauth::{installation::InstallationKey, keeper::KeptToken, Store, TokenType};

use super::lookup::{find_legacy, not_found, resolve, Want};
#[cfg(feature = "hyper")]
use super::open::options;
use super::open::{keeper_failure, open, required_url, store_failure};
use crate::args::{Global, KeptTokenArgs};
use crate::client::Caller;
#[cfg(feature = "hyper")]
use crate::fail::Failure;
use crate::inputs::{api, caller, credentials, Secret};
use crate::output;
use crate::secrets::SecretReader;
use crate::Outcome;

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
                    .map_err(store_failure)?
                    .sealed(crate::keys::ring()?);
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
