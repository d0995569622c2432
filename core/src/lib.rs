//! Sans-IO core of `slack-oauth`: the Slack OAuth and token methods as typed requests and
//! typed results.
//!
//! This crate does no I/O, reads no clock and draws no random numbers: time (`now`, Unix
//! seconds) and random bytes are parameters. Any HTTP client can move the bytes; the
//! `slack-oauth-ureq` and `slack-oauth-hyper` transports are two such clients.
//!
//! # Driving it
//!
//! **One call: build → send → parse.** [`Api::request`] turns a [`Method`] value into an
//! [`http::Request`]; you send it; [`parse`] turns the [`http::Response`] into a typed
//! [`Reply`] or an [`Error`] that says whether to retry ([`Error::retry_after`]) or reinstall
//! ([`Error::needs_reinstall`]).
//!
//! ```
//! use slack_oauth_core::{parse, Api, ClientCredentials, oauth_v2::Access};
//!
//! let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
//! let request = api.request(&Access::code("the-code").redirect_uri("https://example.com/cb"))?;
//! assert_eq!(request.method(), "POST");
//!
//! // ... send `request` with any HTTP client, then:
//! let response = http::Response::new(
//!     br#"{"ok":true,"app_id":"A1","access_token":"xoxb-1","token_type":"bot",
//!          "team":{"id":"T1","name":"Team"},"enterprise":null}"#.to_vec(),
//! );
//! let reply = parse::<Access, _>(&response)?;
//! assert_eq!(reply.value.team.unwrap().id, "T1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **A rotating token: decide → refresh → apply.** Before each Slack call,
//! [`Installation::decide`] (or [`ConfigTokens::decide`]) says, for `now`, whether the stored
//! token is good ([`Decision::Use`]) or which refresh request to send first
//! ([`Decision::Refresh`]); the refresh is an ordinary call (build → send → parse), and
//! [`Installation::apply_refresh`] (or [`ConfigTokens::apply`]) puts Slack's answer back.
//! Store the result before using the new token: the old refresh token is spent.
//!
//! ```
//! use slack_oauth_core::{Api, ClientCredentials, Decision, Installation, TokenType};
//! use slack_oauth_core::oauth_v2::AccessResponse;
//!
//! let installed: AccessResponse = serde_json::from_str(r#"{"access_token":"xoxe.xoxb-1-A",
//!     "token_type":"bot","expires_in":43200,"refresh_token":"xoxe-1-R","team":{"id":"T1"}}"#)?;
//! let mut installation = Installation::from_access(installed, 1_700_000_000)?;
//! let later = 1_700_000_000 + 43_000;
//! let Decision::Refresh(refresh) = installation.decide(TokenType::Bot, later)? else {
//!     unreachable!("the token expires in 200 s: due")
//! };
//! let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
//! let request = api.request(&refresh)?; // grant_type=refresh_token&refresh_token=xoxe-1-R
//! # let _ = request;
//! // ... send it, parse::<AccessRefresh, _>(&response)?.value is the answer:
//! let answer: AccessResponse = serde_json::from_str(r#"{"access_token":"xoxe.xoxb-1-B",
//!     "token_type":"bot","expires_in":43200,"refresh_token":"xoxe-1-S","team":{"id":"T1"}}"#)?;
//! installation.apply_refresh(TokenType::Bot, &answer, later)?;
//! assert!(matches!(installation.decide(TokenType::Bot, later)?, Decision::Use(_)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Many workers, one store: the keeper.** With several workers or processes, a refresh
//! must happen once and its answer must never be lost. [`keeper::Keeper`] (blocking) and
//! [`keeper::AsyncKeeper`] hold that whole protocol (cache, per-key single flight, leases and
//! compare-and-swap write-back against a [`Store`], merges, failures) over any HTTP client
//! that implements [`transport::HttpClient`] or [`transport::AsyncHttpClient`]:
//! `slack_oauth_ureq::Keeper` and `slack_oauth_hyper::Keeper` are these keepers over their
//! clients. The refresh itself is [`keeper::Machine`], a state machine a driver of its own
//! can run.
//!
//! URLs follow one rule, [`method::BaseUrl`]'s; the list of built-in methods is
//! [`method::BuiltinMethod`]; [`transport`] holds what every transport shares (its
//! [`transport::Error`] and [`transport::Config`]).
//!
//! # Where names live
//!
//! The root holds the 19 names a first user types to build, send and parse a call, keep an
//! installation's token fresh in a store and run the install redirect; every other name lives
//! in the module a reader of that part opens: [`error`] (the parts of [`Error`]), [`method`]
//! (a method's parts, the built-in list, [`method::BaseUrl`]), [`secret`] (the other secret
//! values), [`authorize`] (PKCE, the signed state, the callback's errors), [`installation`]
//! (keys, token sets, their errors), [`store`] (records, leases, swaps), [`keeper`],
//! [`transport`], [`web`], and one module per Slack method family ([`oauth_v2`], [`auth`],
//! [`apps_auth_external`], [`tooling_tokens`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod api;
mod authorize_url;
mod base_url;
mod callback;
mod config_tokens;
mod decision;
mod error_code;
mod errors;
mod installation_key;
mod installations;
mod memory_store;
mod method_trait;
mod methods;
mod pkce;
mod response;
mod secrets;
mod state;
mod store_traits;

pub mod keeper;

pub mod apps_auth_external;
pub mod auth;
pub mod oauth_v2;
pub mod openid;
pub mod tooling_tokens;
pub mod transport;
pub mod web;

// The root holds what a first user types (build, send, parse; keep an installation's token
// fresh; store it; run the install redirect); every other name lives in the module below
// where a reader of that part looks for it.
pub use api::Api;
pub use authorize_url::AuthorizeUrl;
pub use callback::Callback;
pub use config_tokens::ConfigTokens;
pub use decision::{unix_seconds, Decision};
pub use error_code::ErrorCode;
pub use errors::Error;
pub use installations::{Installation, TokenType};
pub use memory_store::MemoryStore;
pub use method_trait::Method;
pub use response::{parse, Reply};
pub use secrets::{AccessToken, ClientCredentials};
pub use state::StateSigner;
pub use store_traits::{AsyncStore, Store};

/// The parts of an [`Error`]: what failed to build, the HTTP answer, Slack's refusal, the
/// rate limit, the body's shape, and Slack's warnings.
pub mod error {
    pub use crate::error_code::Warning;
    pub use crate::errors::{BodyKind, BuildError, HttpError, RateLimited, ShapeError, SlackError};
    pub use crate::response::retry_after;
}

/// What a [`Method`] is made of (its auth and form), the built-in methods, and where
/// requests go ([`method::BaseUrl`], how [`Api`] authenticates the client).
pub mod method {
    pub use crate::api::ClientAuth;
    pub use crate::base_url::{is_loopback_host, BaseUrl};
    pub use crate::method_trait::{Auth, Form};
    pub use crate::methods::{BuiltinMethod, VisitMethod};
}

/// The secret values besides [`AccessToken`] and [`ClientCredentials`]: codes, refresh and
/// config tokens, keys; none of them shows in `Debug` or `Display`.
pub mod secret {
    pub use crate::secrets::{
        AuthCode, ClientSecret, ConfigToken, ExternalToken, IdToken, RefreshToken, StateKey,
        TokenKind, WebhookUrl,
    };
}

/// The install redirect's parts beside [`AuthorizeUrl`], [`Callback`] and [`StateSigner`]:
/// the flow, PKCE, the signed state and their errors.
pub mod authorize {
    pub use crate::authorize_url::{AuthorizeError, Flow};
    pub use crate::callback::CallbackError;
    pub use crate::pkce::{CodeChallenge, PkceError};
    pub use crate::secrets::CodeVerifier;
    pub use crate::state::{State, StateError, VerifiedState};
}

/// What an [`Installation`] holds and how it is keyed in a store, and the errors of
/// installations and [`ConfigTokens`].
pub mod installation {
    pub use crate::config_tokens::ConfigTokensError;
    pub use crate::installation_key::{InstallationKey, StoredToken};
    pub use crate::installations::{InstallationError, TokenSet};
}

/// The records, leases and compare-and-swap answers a [`Store`] deals in, and
/// [`store::Blocking`], an [`AsyncStore`] over a blocking one.
pub mod store {
    pub use crate::store_traits::{Blocking, Lease, Record, Swap};
}

pub use http;

// The README's Rust examples run as doctests of this crate (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
