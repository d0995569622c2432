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
//! URLs follow one rule, [`BaseUrl`]'s; the list of built-in methods is [`BuiltinMethod`];
//! [`transport`] holds what every transport shares (its [`transport::Error`] and
//! [`transport::Config`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod api;
mod base_url;
mod error;
mod error_code;
mod method;
mod methods;
mod response;
mod secret;

mod authorize;
mod callback;
mod config_tokens;
mod decision;
mod installation;
mod installation_key;
mod memory_store;
mod pkce;
mod state;
mod store;

pub mod keeper;

pub mod apps_auth_external;
pub mod auth;
pub mod oauth_v2;
pub mod openid;
pub mod tooling_tokens;
pub mod transport;
pub mod web;

pub use api::{Api, ClientAuth};
pub use base_url::{is_loopback_host, BaseUrl};
pub use error::{BodyKind, BuildError, Error, HttpError, RateLimited, ShapeError, SlackError};
pub use error_code::{ErrorCode, Warning};
pub use method::{Auth, Form, Method};
pub use methods::{BuiltinMethod, VisitMethod};
pub use response::{parse, retry_after, Reply};
pub use secret::{
    AccessToken, AuthCode, ClientCredentials, ClientSecret, CodeVerifier, ConfigToken,
    ExternalToken, IdToken, RefreshToken, StateKey, TokenKind, WebhookUrl,
};

pub use authorize::{AuthorizeError, AuthorizeUrl, Flow};
pub use callback::{Callback, CallbackError};
pub use config_tokens::{ConfigTokens, ConfigTokensError};
pub use decision::{unix_seconds, Decision};
pub use installation::{Installation, InstallationError, TokenSet, TokenType};
pub use installation_key::{InstallationKey, StoredToken};
pub use keeper::{KeeperError, KeptToken, Renewable};
pub use memory_store::MemoryStore;
pub use pkce::{CodeChallenge, PkceError};
pub use state::{State, StateError, StateSigner, VerifiedState};
pub use store::{AsyncStore, Blocking, Lease, Record, Store, Swap};

pub use http;

// The README's Rust examples run as doctests of this crate (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
