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
//!
//! # Late and repeated events
//!
//! Slack delivers an event again when its 200 was late or lost, for hours
//! (<https://api.slack.com/apis/events-api#retries>), so an `app_uninstalled` can arrive
//! after the workspace installed the app again. [`Event`] carries `event_id`, `event_time` and
//! the retry headers ([`Retry`]); [`Forget`] loads every record before it deletes or changes
//! it, and leaves alone any record installed after the event happened: a record is kept when
//! `event_time < installed_at + LATE_EVENT_TOLERANCE` (10 seconds, for the difference between
//! Slack's clock and this server's; ties go to the installation, see
//! [`LATE_EVENT_TOLERANCE`]). Such an event is still answered 200, so Slack stops retrying,
//! and [`Forget::kept`] names what it left alone. Every step is safe to repeat, so an event
//! handled twice changes nothing the second time.
//!
//! # Single-use states
//!
//! The state is bound to the browser's cookie, which every answer of the redirect clears, so
//! a state completes one install per browser. An app that also wants a state refused when
//! replayed with its cookie (Bolt's `consume`) records each state's nonce in a store shared
//! by its servers before the code exchange: [`CodeExchange::claim`] gives the record
//! ([`UsedState`]) to create if absent, [`CodeExchange::claimed`] reads the answer
//! (`state_used` when it was there already). The axum adapter does it with
//! `SlackRoutes::with_single_use_states`; it is off by default.
//!
//! # Configuration refused at construction
//!
//! [`SigningSecret::new`] refuses a secret shorter than 16 bytes (an empty one read from a
//! missing variable, say) with [`SignatureError::WeakSecret`], and [`InstallFlow::new`] a
//! state key shorter than 32 bytes.

mod events;
mod forget;
mod install;
mod page;
mod signature;

pub use events::{
    Event, EventError, EventTeam, Payload, Retry, Revocation, Revoked, LATE_EVENT_TOLERANCE,
    MAX_EVENT_BODY, RETRY_NUM_HEADER, RETRY_REASON_HEADER,
};
pub use forget::{Forget, ForgetStep};
pub use install::{
    BotCheck, CodeExchange, FlowError, InstallFailure, InstallFlow, InstallPage, Installed,
    UsedState, DEFAULT_STATE_COOKIE, INSTALL_RANDOM_BYTES, RECEIPT_MAX_AGE,
};
pub use signature::{
    SignatureError, SigningSecret, Verifier, MAX_SIGNATURE_AGE, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
