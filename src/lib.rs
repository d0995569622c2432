//! `slack-oauth`: install a Slack app and keep its tokens alive.
//!
//! This facade re-exports the sans-IO protocol core ([`core`]) and, depending on
//! the enabled features, the transports that move its requests over the network.
//! Its root is the core's root (the same names, `http` and the core's modules such as
//! [`error`], [`method`] and [`keeper`]) plus one module per enabled transport, store and web
//! adapter.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use slack_oauth_core as core;
pub use slack_oauth_core::*;

/// The blocking transport (`slack-oauth-ureq`, feature `ureq`, on by default):
/// [`ureq::Client`] sends core's requests with ureq 3 and reads the answers.
///
/// ```no_run
/// use slack_oauth::{Api, ClientCredentials, oauth_v2::Access};
///
/// let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
/// let client = slack_oauth::ureq::Client::new(api);
/// let reply = client.call(&Access::code("the-code"))?;
/// # Ok::<(), slack_oauth::ureq::Error>(())
/// ```
#[cfg(feature = "ureq")]
pub mod ureq {
    pub use slack_oauth_ureq::*;
}

/// The async transport (`slack-oauth-hyper`, feature `hyper`): [`hyper::Client`] sends
/// core's requests with hyper 1 on Tokio; its futures are `Send`.
///
/// ```no_run
/// use slack_oauth::{Api, tooling_tokens::Rotate};
///
/// # async fn run() -> Result<(), slack_oauth::hyper::Error> {
/// let client = slack_oauth::hyper::Client::new(Api::new());
/// let reply = client.call(&Rotate::new("xoxe-1-…")).await?;
/// # Ok(()) }
/// ```
#[cfg(feature = "hyper")]
pub mod hyper {
    pub use slack_oauth_hyper::*;
}

/// Durable, shared stores of installations (`slack-oauth-store`, features `sqlite`,
/// `postgres`, `mysql`, `redis`): [`stores::SqliteStore`], [`stores::PostgresStore`],
/// `MySqlStore`, [`stores::RedisStore`], their async twins, and [`stores::AnyStore`] to open
/// one from a URL (`sqlite:PATH`, `postgres://…`, `mysql://…`, `redis://…`, `rediss://…`;
/// TLS to PostgreSQL, MySQL and Redis
/// verified by default, see the `slack-oauth-store` README).
#[cfg(any(
    feature = "sqlite",
    feature = "postgres",
    feature = "mysql",
    feature = "redis"
))]
pub mod stores {
    pub use slack_oauth_store::*;
}

/// The web install flow for axum apps (`slack-oauth-axum`, feature `axum`):
/// [`axum::SlackRoutes`] serves the install page, the OAuth redirect and the events
/// endpoint on the async keeper; see `examples/install_server.rs`.
#[cfg(feature = "axum")]
pub mod axum {
    pub use slack_oauth_axum::*;
}

// The README's and the guides' Rust examples run as doctests of this crate (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
#[cfg(doctest)]
#[doc = include_str!("../docs/quickstart.md")]
pub struct QuickstartGuide;
#[cfg(doctest)]
#[doc = include_str!("../docs/transports.md")]
pub struct TransportsGuide;
#[cfg(doctest)]
#[doc = include_str!("../docs/keeper.md")]
pub struct KeeperGuide;
#[cfg(doctest)]
#[doc = include_str!("../docs/stores.md")]
pub struct StoresGuide;
#[cfg(doctest)]
#[doc = include_str!("../docs/tokens-at-rest.md")]
pub struct TokensAtRestGuide;
#[cfg(doctest)]
#[doc = include_str!("../docs/install-flow.md")]
pub struct InstallFlowGuide;
#[cfg(doctest)]
#[doc = include_str!("../docs/fleet.md")]
pub struct FleetGuide;
#[cfg(doctest)]
#[doc = include_str!("../docs/simulator.md")]
pub struct SimulatorGuide;
#[cfg(doctest)]
#[doc = include_str!("../docs/cli.md")]
pub struct CliGuide;
#[cfg(doctest)]
#[doc = include_str!("../docs/performance.md")]
pub struct PerformanceGuide;
#[cfg(doctest)]
#[doc = include_str!("../docs/contributing.md")]
pub struct ContributingGuide;
