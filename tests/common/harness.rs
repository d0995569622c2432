//! One interface over both transports, so the suite is written once and run for each.

use std::time::Duration;

use slack_oauth::{Api, Method, Reply};

/// What a test may configure; mapped onto each transport's own `Config`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_body: u64,
    pub user_agent_suffix: Option<String>,
    /// `None`: the default webpki roots; `Some`: only these DER certificates.
    pub roots: Option<Vec<Vec<u8>>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_body: 1024 * 1024,
            user_agent_suffix: None,
            roots: None,
        }
    }
}

/// A transport error reduced to what the suite asserts, identical for both transports.
#[derive(Debug)]
pub enum Kind {
    Slack(slack_oauth::Error),
    Build,
    InsecureUrl,
    InvalidUrl,
    Connect,
    Tls,
    Timeout,
    BodyTooLarge(u64),
    Io,
}

#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub retry_after: Option<Duration>,
    pub retryable: bool,
    /// `Display` and `Debug` of the original error, to check that no secret leaks.
    pub text: String,
}

impl Failure {
    pub fn slack(&self) -> &slack_oauth::Error {
        match &self.kind {
            Kind::Slack(e) => e,
            other => panic!("expected Slack's answer, got {other:?} ({})", self.text),
        }
    }
}

/// A transport under test: a client plus whatever it needs to run (a runtime).
pub trait Harness: Sized {
    const NAME: &'static str;
    /// The client for `api` with `settings`, or why the transport refuses them.
    fn try_new(api: Api, settings: &Settings) -> Result<Self, Failure>;
    fn new(api: Api, settings: &Settings) -> Self {
        Self::try_new(api, settings).unwrap_or_else(|e| panic!("refused: {e:?}"))
    }
    fn call<M: Method + Sync>(&self, method: &M) -> Result<Reply<M::Response>, Failure>;
    fn send(&self, request: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, Failure>;
}

/// Both transports report failures with core's shared transport error.
impl From<slack_oauth::transport::Error> for Failure {
    fn from(e: slack_oauth::transport::Error) -> Failure {
        use slack_oauth::transport::Error as E;
        let text = format!("{e} / {e:?}");
        let (retry_after, retryable) = (e.retry_after(), e.is_retryable());
        assert_eq!(e.slack().is_some(), matches!(e, E::Response(_)));
        // The transport error answers every question core's error does, the same way.
        let slack = e.slack();
        assert_eq!(e.code(), slack.and_then(|s| s.code()));
        assert_eq!(
            e.needs_reinstall(),
            slack.is_some_and(|s| s.needs_reinstall())
        );
        assert_eq!(e.is_token_dead(), slack.is_some_and(|s| s.is_token_dead()));
        let kind = match e {
            E::Response(e) => Kind::Slack(e),
            E::Build(slack_oauth::error::BuildError::InsecureUrl { .. }) => Kind::InsecureUrl,
            E::Build(slack_oauth::error::BuildError::InvalidUrl { .. }) => Kind::InvalidUrl,
            E::Build(_) => Kind::Build,
            E::Connect(_) => Kind::Connect,
            E::Tls(_) => Kind::Tls,
            E::Timeout => Kind::Timeout,
            E::BodyTooLarge { limit } => Kind::BodyTooLarge(limit),
            E::Io(_) => Kind::Io,
            other => panic!("unexpected error kind {other:?}"),
        };
        Failure {
            kind,
            retry_after,
            retryable,
            text,
        }
    }
}

#[cfg(feature = "ureq")]
pub use self::ureq_harness::Ureq;

#[cfg(feature = "ureq")]
mod ureq_harness {
    use super::*;
    use slack_oauth::ureq::{Client, Config, TlsRoots};

    pub struct Ureq(pub Client);

    impl Harness for Ureq {
        const NAME: &'static str = "ureq";

        fn try_new(api: Api, s: &Settings) -> Result<Self, Failure> {
            let mut config = Config::default()
                .timeout(s.timeout)
                .connect_timeout(s.connect_timeout)
                .max_body(s.max_body);
            if let Some(suffix) = &s.user_agent_suffix {
                config = config.user_agent_suffix(suffix.clone());
            }
            if let Some(roots) = &s.roots {
                config = config.tls_roots(TlsRoots::Custom(roots.clone()));
            }
            Ok(Ureq(Client::with_config(api, config)?))
        }

        fn call<M: Method + Sync>(&self, method: &M) -> Result<Reply<M::Response>, Failure> {
            Ok(self.0.call(method)?)
        }

        fn send(
            &self,
            request: http::Request<Vec<u8>>,
        ) -> Result<http::Response<Vec<u8>>, Failure> {
            Ok(self.0.send(request)?)
        }
    }
}

#[cfg(feature = "hyper")]
pub use self::hyper_harness::Hyper;

#[cfg(feature = "hyper")]
mod hyper_harness {
    use super::*;
    use slack_oauth::hyper::{Client, Config, TlsRoots};

    /// The async client driven from a plain test: a multi-threaded runtime, as in a server.
    pub struct Hyper {
        pub client: Client,
        pub runtime: tokio::runtime::Runtime,
    }

    impl Harness for Hyper {
        const NAME: &'static str = "hyper";

        fn try_new(api: Api, s: &Settings) -> Result<Self, Failure> {
            let mut config = Config::default()
                .timeout(s.timeout)
                .connect_timeout(s.connect_timeout)
                .max_body(s.max_body);
            if let Some(suffix) = &s.user_agent_suffix {
                config = config.user_agent_suffix(suffix.clone());
            }
            if let Some(roots) = &s.roots {
                config = config.tls_roots(TlsRoots::Custom(roots.clone()));
            }
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            Ok(Hyper {
                client: Client::with_config(api, config)?,
                runtime,
            })
        }

        fn call<M: Method + Sync>(&self, method: &M) -> Result<Reply<M::Response>, Failure> {
            Ok(self.runtime.block_on(self.client.call(method))?)
        }

        fn send(
            &self,
            request: http::Request<Vec<u8>>,
        ) -> Result<http::Response<Vec<u8>>, Failure> {
            Ok(self.runtime.block_on(self.client.send(request))?)
        }
    }
}
