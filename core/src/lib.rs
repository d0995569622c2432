//! Sans-IO core of `slack-oauth`: the Slack OAuth and token methods as typed requests and
//! typed results.
//!
//! This crate does no I/O, reads no clock and draws no random numbers: it turns a method
//! value into an [`http::Request`] ([`Api::request`]) and an [`http::Response`] into a typed
//! [`Reply`] or [`Error`] ([`parse`]). Any HTTP client can move the bytes in between.
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
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod api;
mod code;
mod documented;
mod error;
mod method;
mod response;
mod secret;

// Install and rotate (issue 5).
mod authorize;
mod callback;
mod installation;
mod pkce;
mod rotation;
mod state;
mod store;

pub mod apps_auth_external;
pub mod oauth_v2;
pub mod tooling_tokens;
pub mod transport;
pub mod web;

pub use api::{is_loopback_host, Api, ClientAuth, GOV_SLACK_API, SLACK_API, USER_AGENT_VALUE};
pub use code::ErrorCode;
pub use error::{
    BodyKind, BuildError, Error, HttpError, RateLimited, ShapeError, SlackError,
    DEFAULT_RETRY_AFTER, TRANSIENT_RETRY_AFTER,
};
pub use method::{Auth, Form, Method};
pub use response::{parse, retry_after, Reply, Warning};
pub use secret::{
    AccessToken, AuthCode, ClientCredentials, ClientSecret, CodeVerifier, ConfigToken,
    ExternalToken, IdToken, RefreshToken, StateKey, TokenKind, WebhookUrl,
};

pub use authorize::{
    AuthorizeError, AuthorizeUrl, Flow, AUTHORIZE_PATH, GOV_SLACK_WEB, SLACK_WEB,
    USER_AUTHORIZE_PATH,
};
pub use callback::{Callback, CallbackError, MAX_CALLBACK_LEN};
pub use installation::{Installation, InstallationError, TokenSet, TokenType};
pub use pkce::{
    CodeChallenge, PkceError, MAX_VERIFIER_BYTES, MAX_VERIFIER_LEN, MIN_VERIFIER_BYTES,
    MIN_VERIFIER_LEN,
};
pub use rotation::{unix_seconds, ConfigDecision, ConfigTokens, Decision, DEFAULT_REFRESH_MARGIN};
pub use state::{
    State, StateError, StateSigner, VerifiedState, DEFAULT_STATE_MAX_AGE, DEFAULT_STATE_MAX_SKEW,
    MAX_STATE_BYTES, MAX_STATE_LEN, MIN_STATE_BYTES, MIN_STATE_KEY_LEN,
};
pub use store::{
    AsyncStore, KeeperError, Lease, MemoryStore, Record, Renewable, Renewal, Store, Swap,
    DEFAULT_LEASE,
};

pub use http;
