//! A Slack that runs on 127.0.0.1, for tests: `oauth.v2.access`, `oauth.v2.user.access`,
//! `oauth.v2.exchange`, `tooling.tokens.rotate`, `apps.auth.external.get` and
//! `apps.auth.external.delete`, down to the error codes, plus the authorize pages; and
//! around them what an app's life needs: `auth.test`, `auth.revoke`, `apps.uninstall`,
//! signed Events API deliveries ([`Event`]), a wall [`Clock`], and [`Stats`]. Sign in with
//! Slack too: `/openid/connect/authorize`, `openid.connect.token` (id_tokens signed with the
//! simulator's own RSA key), `openid.connect.userInfo`, the key set and discovery document,
//! key rotation ([`Sim::rotate_openid_key`]) and odd tokens for tests ([`Sim::sign_id_token`]).
//!
//! - [`Sim`] holds all behaviour as a sans-IO handler: `http::Request` in, `http::Response`
//!   out, with a simulated clock ([`Sim::advance`]) so 12-hour expiries take milliseconds.
//! - [`Server`] serves a `Sim` on a loopback port (hyper 1), carries out the I/O
//!   [`Fault`]s (delays, truncated or oversized bodies, closed connections) and sends the
//!   queued events (without a server, [`Sim::take_events`] hands them to the test).
//! - The `slack-oauth-sim` binary does the same for programs in any language
//!   (`--port`, `--config FILE` with a [`SimConfig`]).
//!
//! ```
//! use slack_oauth_core::{parse, Api, ClientCredentials, oauth_v2::Access};
//! use slack_oauth_sim::{AppConfig, Fault, Server, Sim};
//!
//! let sim = Sim::new();                                   // clock at Sim::DEFAULT_START (1_700_000_000)
//! sim.register_app(AppConfig::new("111.222", "app-secret")
//!     .redirect_uri("http://127.0.0.1:8080/callback")     // equal or subdirectory match, like Slack
//!     .token_rotation(true)                               // 12 h tokens + single-use refresh tokens
//!     .bot_scopes("chat:write,commands").user_scopes("search:read"));
//! let server = Server::start(sim.clone())?;               // 127.0.0.1, a free port; stops on drop
//! let api = Api::new().with_base_url(&server.base_url())? // http://127.0.0.1:PORT/api: give it to your transport
//!     .with_credentials(ClientCredentials::new("111.222", "app-secret"));
//!
//! // The browser half: approve (or sim.deny) an authorize URL; get the redirect with code and state.
//! let redirect = sim.approve("https://slack.com/oauth/v2/authorize?client_id=111.222&scope=chat:write&state=s")?;
//! let code = redirect.split("code=").nth(1).unwrap().split('&').next().unwrap();
//!
//! // Sans-IO here; a transport sends the same request to the server and gets the same answer.
//! let install = parse::<Access, _>(&sim.handle(&api.request(&Access::code(code))?))?.value;
//! sim.advance(43_200);                                    // twelve hours pass: the bot token is expired
//! sim.inject("oauth.v2.access", Fault::RateLimited { retry_after: 7 }, 1);
//! let refresh = api.request(&Access::refresh(install.refresh_token.unwrap()))?;
//! assert_eq!(sim.handle(&refresh).status(), 429);         // the injected fault
//! assert!(parse::<Access, _>(&sim.handle(&refresh)).is_ok()); // then Slack's answer
//! assert_eq!(sim.calls("oauth.v2.access"), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod admin;
mod app;
mod authorize;
mod catalog;
mod config;
mod events;
mod fault;
mod methods;
mod openid;
mod pages;
mod request;
mod respond;
mod routing;
mod seed;
mod server;
mod sim;
mod state;
mod stats;

pub use app::{AppConfig, DEFAULT_TOKEN_EXPIRES_IN, MAX_SECONDS};
pub use authorize::SimError;
pub use catalog::ApiMethod;
pub use config::{Seeded, SimConfig};
pub use events::{Event, EventKind, EventStats, RetryReason};
pub use fault::Fault;
pub use request::Args;
pub use seed::ExternalTokenSeed;
pub use server::{Server, ServerConfig};
pub use sim::{Sim, TokenStatus, DEMO_APP_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
pub use state::{Clock, LegacyKind};
pub use stats::Stats;

// The README's Rust examples run as doctests of this crate (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
