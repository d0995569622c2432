//! Blocking transport for `slack-oauth`: a thin adapter that moves the sans-IO core's
//! requests over ureq 3 and hands every answer back to the core.
//!
//! ```no_run
//! use slack_oauth_core::{Api, tooling_tokens::Rotate};
//! use slack_oauth_ureq::{Client, Error};
//!
//! let client = Client::new(Api::new());
//! match client.call(&Rotate::new("xoxe-1-…")) {
//!     Ok(reply) => println!("new config token expires at {}", reply.value.exp),
//!     Err(Error::Response(e)) => println!("Slack said no: {e}"),
//!     Err(e) if e.is_retryable() => println!("try again in {:?}: {e}", e.retry_after()),
//!     Err(e) => println!("failed: {e}"),
//! }
//! ```
//!
//! [`Keeper`] keeps stored tokens alive, refreshing each installation once however many
//! threads (or processes sharing a store) ask:
//!
//! ```
//! use std::sync::Arc;
//! use slack_oauth_core::{Api, ClientCredentials, Installation, MemoryStore};
//! use slack_oauth_ureq::{Client, Keeper};
//!
//! let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
//! let keeper = Keeper::new(Client::new(api), Arc::new(MemoryStore::<Installation>::new()));
//!
//! // After the OAuth callback: keeper.install(&installation)?;
//! // Before every Slack call, from any thread:
//! // (the key install returned: app, org, team)
//! match keeper.bot_token("A0123//T0123/bot") {
//!     Ok(token) => { /* use token.expose() as the bearer token */ }
//!     Err(e) if e.needs_reinstall() => { /* ask the workspace to install the app again */ }
//!     Err(e) => { /* not installed, store failure, or retry later: e.is_retryable() */ }
//! }
//! ```
//!
//! What this crate decides, and nothing more:
//! - **Transport limits**: a total timeout and a connect timeout, a response body cap
//!   ([`Config`]); one ureq `Agent` per [`Client`] reuses connections.
//! - **No redirects**: a 3xx is returned to the caller (and to core, which reports it), so
//!   credentials never travel to another host.
//! - **Every status is data**: a 4xx or 5xx is a response for core to read, never a transport
//!   error.
//! - **HTTPS only**, except to loopback hosts; checked before any I/O, also in [`Client::send`]
//!   (core's [`BaseUrl`](slack_oauth_core::method::BaseUrl) rule: a port out of range is refused too).
//!   `localhost` is connected to as 127.0.0.1 / ::1 without asking the system resolver.
//! - **TLS**: rustls with the `ring` provider chosen explicitly (no process-wide default is
//!   installed or used) and Mozilla's roots from `webpki-roots`, or roots of your choice
//!   ([`TlsRoots`]). ureq is built without `gzip`, so the cap counts the bytes core reads.
//! - **Proxies**: environment variables are ignored unless [`Config::proxy_from_env`] is set.
//! - **No logging**: request bodies hold codes, secrets and refresh tokens; nothing here
//!   prints them, and `Authorization` is marked sensitive so its `Debug` is redacted.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod error;

pub use client::Client;
pub use slack_oauth_core::keeper::KeeperError;
pub use slack_oauth_core::transport::Error;
pub use slack_oauth_core::transport::{Config, Setup, TlsRoots};

/// Core's blocking [`Keeper`](slack_oauth_core::keeper::Keeper) over this crate's
/// [`Client`]: keeps tokens stored in `S` alive (example above).
pub type Keeper<R, S> = slack_oauth_core::keeper::Keeper<Client, R, S>;

// The README's Rust examples run as doctests of this crate (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
