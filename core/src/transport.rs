//! Shared vocabulary for transports: the client traits a transport implements
//! ([`HttpClient`], [`AsyncHttpClient`]), the [`Error`] a call ends in, the [`Config`] a
//! client is built with, and the checks every transport makes before any I/O
//! ([`BaseUrl::check_request`](crate::method::BaseUrl::check_request), [`localhost_addrs`],
//! [`mark_sensitive`]).
//!
//! This module does no I/O either; `slack-oauth-ureq` and `slack-oauth-hyper` use it, and so
//! can a transport of your own, so that every client reports failures the same way.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use http::HeaderMap;

use crate::error_code::ErrorCode;
use crate::errors::BuildError;

mod client;

pub use client::{AsyncHttpClient, HttpClient};

/// How a transport's client moves bytes. Every field has a documented default.
///
/// One definition for `slack-oauth-ureq` and `slack-oauth-hyper` (and a transport of your
/// own): plain data, read by the transport when its client is built. The base URL
/// (slack.com, GovSlack or a custom one) belongs to the [`Api`](crate::Api) the client is
/// built with.
///
/// ```
/// use std::time::Duration;
/// use slack_oauth_core::transport::Config;
///
/// let config = Config::default()
///     .timeout(Duration::from_secs(10))
///     .max_body(64 * 1024)
///     .user_agent_suffix("my-app/1.0");
/// assert_eq!(config.connect_timeout, Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Total time for one request, from connecting to the last body byte. Default 30 s.
    pub timeout: Duration,
    /// Time to open the connection. Default 10 s. ureq counts the TLS handshake in it;
    /// hyper counts the handshake against [`Config::timeout`].
    pub connect_timeout: Duration,
    /// The largest response body accepted, in bytes; a larger one is refused with
    /// [`Error::BodyTooLarge`] without being read whole. A body of exactly this size is
    /// accepted. Default 1 MiB (Slack's answers are a few KiB).
    pub max_body: u64,
    /// Appended to the `User-Agent` (`slack-oauth/<version> <suffix>`). Default none.
    pub user_agent_suffix: Option<String>,
    /// Which certificate authorities are trusted. Default [`TlsRoots::WebPki`].
    pub tls_roots: TlsRoots,
    /// Whether to honour `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` from the
    /// environment. Default `false`. Only `slack-oauth-ureq` supports proxies;
    /// `slack-oauth-hyper` refuses a config that turns this on rather than ignore it.
    ///
    /// Off by default on purpose: an inherited variable would silently route requests carrying
    /// client secrets and refresh tokens through a proxy (plain-http loopback test traffic
    /// included). Turn it on where a proxy is the only way out; https requests then go through
    /// a `CONNECT` tunnel, so the proxy sees only the host name.
    pub proxy_from_env: bool,
}

/// Which certificate authorities a client trusts for `https`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsRoots {
    /// Mozilla's roots as shipped by the `webpki-roots` crate: the same on every machine,
    /// independent of the operating system's store.
    #[default]
    WebPki,
    /// Only these DER-encoded certificates (a private CA, a test server's self-signed
    /// certificate, an intercepting corporate proxy's CA).
    Custom(Vec<Vec<u8>>),
}

impl Default for Config {
    fn default() -> Self {
        Config {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body: 1024 * 1024,
            user_agent_suffix: None,
            tls_roots: TlsRoots::WebPki,
            proxy_from_env: false,
        }
    }
}

impl Config {
    /// Sets [`Config::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets [`Config::connect_timeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`Config::max_body`].
    pub fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// Sets [`Config::user_agent_suffix`].
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Sets [`Config::tls_roots`].
    pub fn tls_roots(mut self, roots: TlsRoots) -> Self {
        self.tls_roots = roots;
        self
    }

    /// Sets [`Config::proxy_from_env`].
    pub fn proxy_from_env(mut self, on: bool) -> Self {
        self.proxy_from_env = on;
        self
    }

    /// Applies [`Config::user_agent_suffix`] to `api`: the step every transport's
    /// `with_config` starts with.
    pub fn api(&self, api: crate::Api) -> Result<crate::Api, BuildError> {
        match &self.user_agent_suffix {
            Some(suffix) => api.with_user_agent_suffix(suffix),
            None => Ok(api),
        }
    }
}

/// What a transport's client is built from: the [`Api`](crate::Api) its requests come from and
/// the [`Config`] it moves bytes by, with the config's user agent suffix already applied.
///
/// One definition for every transport, so that each client only adds its connection pool.
/// Its `Debug` shows the base URL and the config, never a credential.
#[derive(Debug, Clone)]
pub struct Setup {
    api: crate::Api,
    config: std::sync::Arc<Config>,
}

impl Setup {
    /// `api` with `config` applied ([`Config::api`]); fails when the user agent suffix is not
    /// a valid header value.
    pub fn new(api: crate::Api, config: Config) -> Result<Setup, BuildError> {
        let api = config.api(api)?;
        Ok(Setup {
            api,
            config: std::sync::Arc::new(config),
        })
    }

    /// `api` with the default [`Config`], which has nothing that can fail.
    pub fn with_defaults(api: crate::Api) -> Setup {
        Setup {
            api,
            config: std::sync::Arc::new(Config::default()),
        }
    }

    /// Builds a transport's client from `api` and `config`: the setup, and the connection
    /// pool `connect` makes from the config and the certificate authorities to trust (`None`
    /// for [`TlsRoots::WebPki`], the DER certificates of [`TlsRoots::Custom`]; a transport that
    /// accepts none of them says [`Error::unusable_roots`]).
    ///
    /// Fails with what `connect` fails with, or when the user agent suffix is not a valid
    /// header value ([`Error::Build`]).
    pub fn connect<P>(
        api: crate::Api,
        config: Config,
        connect: impl FnOnce(&Config, Option<&[Vec<u8>]>) -> Result<P, Error>,
    ) -> Result<(Setup, P), Error> {
        let roots = match &config.tls_roots {
            TlsRoots::WebPki => None,
            TlsRoots::Custom(ders) => Some(ders.as_slice()),
        };
        let pool = connect(&config, roots)?;
        Ok((Setup::new(api, config)?, pool))
    }

    /// The [`Api`](crate::Api) requests are built with.
    pub fn api(&self) -> &crate::Api {
        &self.api
    }

    /// The [`Config`] in force.
    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// Why a call or a send failed.
///
/// [`Error::Response`] means Slack (or something in front of it) answered and the answer is
/// not a success; every other variant means no usable answer arrived. No variant holds a request
/// body, a header value, a token or a secret.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Slack answered and the answer is not a success: `ok:false`, HTTP 429, an HTML 5xx page,
    /// a redirect, a truncated JSON body, ... (core's typed error).
    Response(crate::Error),
    /// The request could not be built or cannot be sent (missing credentials, a token that
    /// cannot be a header, plain `http` to a host that is not loopback, a port out of range,
    /// ...): refused before any I/O.
    Build(BuildError),
    /// The connection could not be opened: refused, unreachable, or the name did not resolve.
    Connect(io::Error),
    /// The TLS handshake failed (unknown issuer, wrong host name, not TLS at all, ...), or the
    /// configured root certificates are unusable.
    Tls(io::Error),
    /// The total timeout or the connect timeout passed.
    Timeout,
    /// The response body is larger than the configured cap; reading stopped at the cap.
    BodyTooLarge {
        /// The cap in bytes (the transport's configured body limit).
        limit: u64,
    },
    /// The connection failed once open: reset, closed mid-body, or not valid HTTP.
    Io(io::Error),
}

impl Error {
    /// The error for [`TlsRoots::Custom`] certificates of which the transport's TLS library
    /// accepts none.
    pub fn unusable_roots() -> Error {
        Error::Tls(io::Error::new(
            io::ErrorKind::InvalidInput,
            "none of the custom root certificates is usable",
        ))
    }

    /// Slack's answer, when Slack answered.
    pub fn slack(&self) -> Option<&crate::Error> {
        match self {
            Error::Response(e) => Some(e),
            _ => None,
        }
    }

    /// Slack's error code, when Slack answered with one.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.slack()?.code()
    }

    /// Whether the token used is dead (expired, revoked, invalid): core's answer for Slack
    /// errors, false for every failure where Slack did not answer.
    pub fn is_token_dead(&self) -> bool {
        self.slack().is_some_and(crate::Error::is_token_dead)
    }

    /// Whether the installation is gone and only a new install can recover it: core's
    /// answer for Slack errors, false for every failure where Slack did not answer.
    pub fn needs_reinstall(&self) -> bool {
        self.slack().is_some_and(crate::Error::needs_reinstall)
    }

    /// Whether sending the same request again may succeed: core's answer for Slack errors
    /// (rate limits, 5xx, `internal_error`, ...); true for timeouts, connect failures and broken
    /// connections.
    ///
    /// A timeout or a broken connection may come after Slack acted on the request: a refresh
    /// token sent then may already be spent.
    pub fn is_retryable(&self) -> bool {
        self.retry_after().is_some()
    }

    /// When a retry may help, how long to wait first: the rate limit's `Retry-After`, or
    /// [`Error::TRANSIENT_RETRY_AFTER`](crate::Error::TRANSIENT_RETRY_AFTER) for
    /// transient failures.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Response(e) => e.retry_after(),
            Error::Timeout | Error::Connect(_) | Error::Io(_) => {
                Some(crate::Error::TRANSIENT_RETRY_AFTER)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Response(e) => e.fmt(f),
            Error::Build(e) => write!(f, "the request was not sent: {e}"),
            Error::Connect(e) => write!(f, "could not connect: {e}"),
            Error::Tls(e) => write!(f, "TLS failed: {e}"),
            Error::Timeout => f.write_str("the request timed out"),
            Error::BodyTooLarge { limit } => {
                write!(f, "the response body is larger than the {limit}-byte cap")
            }
            Error::Io(e) => write!(f, "the connection failed: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Response(e) => Some(e),
            Error::Build(e) => Some(e),
            Error::Connect(e) | Error::Tls(e) | Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Self {
        Error::Response(e)
    }
}

impl From<BuildError> for Error {
    fn from(e: BuildError) -> Self {
        Error::Build(e)
    }
}

/// The addresses to connect to for `host` when it is `localhost` (any case, with or without
/// a trailing dot): 127.0.0.1 then ::1, without asking the system resolver.
///
/// Plain `http` is allowed to `localhost` because it is loopback; RFC 6761 §6.3 lets
/// applications resolve the name to loopback themselves, and doing so means an `/etc/hosts`
/// entry or a hostile resolver cannot send a secret over plain http to another machine.
/// `None` for every other host (IP literals need no lookup; other names are the resolver's).
pub fn localhost_addrs(host: &str) -> Option<[IpAddr; 2]> {
    let name = host.strip_suffix('.').unwrap_or(host);
    name.eq_ignore_ascii_case("localhost").then_some([
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ])
}

/// Marks credential-bearing headers sensitive so `Debug` output of the request never shows them.
pub fn mark_sensitive(headers: &mut HeaderMap) {
    for (name, value) in headers.iter_mut() {
        if name == http::header::AUTHORIZATION
            || name == http::header::PROXY_AUTHORIZATION
            || name == http::header::COOKIE
        {
            value.set_sensitive(true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse, tooling_tokens::Rotate};

    fn rate_limited() -> crate::Error {
        let response = http::Response::builder()
            .status(429)
            .header("retry-after", "7")
            .body(Vec::new())
            .unwrap();
        parse::<Rotate, _>(&response).unwrap_err()
    }

    #[test]
    fn retry_combines_core_and_transport() {
        let e = Error::Response(rate_limited());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert!(e.slack().is_some());
        for retryable in [
            Error::Timeout,
            Error::Connect(io::ErrorKind::ConnectionRefused.into()),
            Error::Io(io::ErrorKind::UnexpectedEof.into()),
        ] {
            assert!(retryable.is_retryable(), "{retryable}");
            assert_eq!(
                retryable.retry_after(),
                Some(crate::Error::TRANSIENT_RETRY_AFTER)
            );
            assert!(!retryable.needs_reinstall() && !retryable.is_token_dead());
            assert_eq!(retryable.code(), None);
            assert!(retryable.slack().is_none());
        }
        for not in [
            Error::BodyTooLarge { limit: 1 },
            Error::Tls(io::Error::other("x")),
            Error::Build(BuildError::InsecureUrl { host: "x".into() }),
            Error::Build(BuildError::InvalidToken),
        ] {
            assert!(!not.is_retryable(), "{not}");
        }
        let invalid =
            http::Response::new(br#"{"ok":false,"error":"invalid_refresh_token"}"#.to_vec());
        let e = Error::from(parse::<Rotate, _>(&invalid).unwrap_err());
        assert!(!e.is_retryable());
        assert!(e.needs_reinstall() && e.is_token_dead());
        assert_eq!(e.code(), Some(&ErrorCode::InvalidRefreshToken));
    }

    #[test]
    fn localhost_is_loopback_without_a_resolver() {
        for name in ["localhost", "LocalHost", "localhost."] {
            let addrs = localhost_addrs(name).unwrap();
            assert!(addrs.iter().all(IpAddr::is_loopback), "{name}");
        }
        for other in [
            "127.0.0.1",
            "[::1]",
            "localhost.example.com",
            "slack.com",
            "",
        ] {
            assert_eq!(localhost_addrs(other), None, "{other}");
        }
    }

    #[test]
    fn authorization_is_sensitive() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", "Bearer xoxb-CANARY".parse().unwrap());
        headers.insert("cookie", "d=CANARY".parse().unwrap());
        headers.insert("accept", "application/json".parse().unwrap());
        mark_sensitive(&mut headers);
        assert!(headers["authorization"].is_sensitive());
        assert!(headers["cookie"].is_sensitive());
        assert!(!headers["accept"].is_sensitive());
        assert!(!format!("{headers:?}").contains("CANARY"));
    }
}
