//! A Slack that runs on 127.0.0.1, for tests: `oauth.v2.access`, `oauth.v2.user.access`,
//! `oauth.v2.exchange`, `tooling.tokens.rotate`, `apps.auth.external.get` and
//! `apps.auth.external.delete`, down to the error codes, plus the authorize pages.
//!
//! - [`Sim`] holds all behaviour as a sans-IO handler: `http::Request` in, `http::Response`
//!   out, with a simulated clock ([`Sim::advance`]) so 12-hour expiries take milliseconds.
//! - [`Server`] serves a `Sim` on a loopback port (hyper 1) and carries out the I/O
//!   [`Fault`]s (delays, truncated or oversized bodies, closed connections).
//! - The `slack-oauth-sim` binary does the same for programs in any language
//!   (`--port`, `--config FILE` with a [`SimConfig`]).
//!
//! ```
//! use slack_oauth_sim::{AppConfig, Fault, Server, Sim};
//!
//! let sim = Sim::new();
//! sim.register_app(AppConfig::new("111.222", "app-secret").token_rotation(true));
//! sim.inject("oauth.v2.access", Fault::RateLimited { retry_after: 7 }, 1);
//! let server = Server::start(sim.clone())?;
//! // Point your client at server.base_url() ("http://127.0.0.1:PORT/api").
//! assert_eq!(server.sim().calls("oauth.v2.access"), 0);
//! # Ok::<(), std::io::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod app;
mod authorize;
mod config;
mod fault;
mod methods;
mod request;
mod server;
mod sim;
mod state;

pub use app::AppConfig;
pub use authorize::SimError;
pub use config::{Seeded, SimConfig};
pub use fault::Fault;
pub use request::Args;
pub use server::{Server, ServerConfig};
pub use sim::{ExternalTokenSeed, Sim, TokenStatus};
pub use state::LegacyKind;
