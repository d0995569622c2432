//! The web side of a Slack app, sans-IO: the install flow a browser walks through and the
//! Events API calls Slack makes to the app. `http` requests in, `http` responses (or the
//! next Slack call to make) out; `now` and random bytes are passed in.
//!
//! - [`InstallFlow`]: the install page with its "Add to Slack" button and state cookie, the
//!   OAuth redirect handler, the code exchange and `auth.test`, the success and failure
//!   pages.
//! - [`Verifier`]: Slack's request signatures (`X-Slack-Signature`,
//!   `X-Slack-Request-Timestamp`).
//! - [`Event`]: `url_verification`, `app_uninstalled`, `tokens_revoked` and the rest, with
//!   what each means for the stored installations ([`EventTeam::key`], [`Revocation::apply`]).
//! - [`Forget`]: what `app_uninstalled` and `tokens_revoked` delete or change, as the store
//!   operations an adapter performs ([`Event::forget`]).
//!
//! A web framework adapter only moves these values: the `slack-oauth-axum` crate does it for
//! axum, and `examples/install_hyper.rs` for bare hyper.

mod events;
mod forget;
mod install;
mod page;
mod signature;

pub use events::{Event, EventError, EventTeam, Revocation, Revoked, MAX_EVENT_BODY};
pub use forget::{Forget, ForgetStep};
pub use install::{
    BotCheck, CodeExchange, FlowError, InstallFailure, InstallFlow, InstallPage, Installed,
    DEFAULT_STATE_COOKIE, INSTALL_RANDOM_BYTES,
};
pub use signature::{
    SignatureError, SigningSecret, Verifier, MAX_SIGNATURE_AGE, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
