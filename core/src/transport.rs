//! Shared vocabulary for transports: the [`Error`] a call ends in, and the checks every
//! transport makes before any I/O ([`check_url`], [`mark_sensitive`]).
//!
//! This module does no I/O either; `slack-oauth-ureq` and `slack-oauth-hyper` use it, and so
//! can a transport of your own, so that every client reports failures the same way.

use std::fmt;
use std::io;
use std::time::Duration;

use http::{HeaderMap, Uri};

use crate::api::check_uri;
use crate::error::{BuildError, TRANSIENT_RETRY_AFTER};

/// Why a call or a send failed.
///
/// [`Error::Slack`] means Slack (or something in front of it) answered and the answer is not a
/// success; every other variant means no usable answer arrived. No variant holds a request
/// body, a header value, a token or a secret.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// Slack answered and the answer is not a success: `ok:false`, HTTP 429, an HTML 5xx page,
    /// a redirect, a truncated JSON body, ... (core's typed error).
    Slack(crate::Error),
    /// The request could not be built (missing credentials, a token that cannot be a header, ...).
    Build(BuildError),
    /// Plain `http` to a host that is not loopback: refused before any I/O.
    InsecureUrl {
        /// The refused host.
        host: String,
    },
    /// The request's URL cannot be sent (no host, an unknown scheme, user info).
    InvalidUrl {
        /// What is wrong with it.
        reason: &'static str,
    },
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
    /// Slack's answer, when Slack answered.
    pub fn slack(&self) -> Option<&crate::Error> {
        match self {
            Error::Slack(e) => Some(e),
            _ => None,
        }
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
    /// [`TRANSIENT_RETRY_AFTER`] for transient failures.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Slack(e) => e.retry_after(),
            Error::Timeout | Error::Connect(_) | Error::Io(_) => Some(TRANSIENT_RETRY_AFTER),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Slack(e) => e.fmt(f),
            Error::Build(e) => write!(f, "the request could not be built: {e}"),
            Error::InsecureUrl { host } => write!(
                f,
                "refusing plain http to {host}: only https is allowed, except for loopback hosts"
            ),
            Error::InvalidUrl { reason } => write!(f, "the request URL cannot be sent: {reason}"),
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
            Error::Slack(e) => Some(e),
            Error::Build(e) => Some(e),
            Error::Connect(e) | Error::Tls(e) | Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Self {
        Error::Slack(e)
    }
}

impl From<BuildError> for Error {
    fn from(e: BuildError) -> Self {
        Error::Build(e)
    }
}

/// Checks a request URL before any I/O: https anywhere, plain http only to a loopback host,
/// never user info. The same rule as [`Api::with_base_url`](crate::Api::with_base_url), for
/// requests a caller built by hand.
pub fn check_url(uri: &Uri) -> Result<(), Error> {
    check_uri(uri).map_err(|e| match e {
        BuildError::InsecureBaseUrl { host } => Error::InsecureUrl { host },
        BuildError::InvalidBaseUrl { reason } => Error::InvalidUrl { reason },
        other => Error::Build(other),
    })
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
        let e = Error::Slack(rate_limited());
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        assert!(e.slack().is_some());
        for retryable in [
            Error::Timeout,
            Error::Connect(io::ErrorKind::ConnectionRefused.into()),
            Error::Io(io::ErrorKind::UnexpectedEof.into()),
        ] {
            assert!(retryable.is_retryable(), "{retryable}");
            assert_eq!(retryable.retry_after(), Some(TRANSIENT_RETRY_AFTER));
            assert!(retryable.slack().is_none());
        }
        for not in [
            Error::BodyTooLarge { limit: 1 },
            Error::Tls(io::Error::other("x")),
            Error::InsecureUrl { host: "x".into() },
            Error::Build(BuildError::InvalidToken),
        ] {
            assert!(!not.is_retryable(), "{not}");
        }
        let invalid =
            http::Response::new(br#"{"ok":false,"error":"invalid_refresh_token"}"#.to_vec());
        let e = Error::from(parse::<Rotate, _>(&invalid).unwrap_err());
        assert!(!e.is_retryable());
    }

    #[test]
    fn urls() {
        for ok in [
            "https://slack.com/api/x",
            "http://127.0.0.1:9/api/x",
            "http://localhost/x",
            "http://[::1]:8/x",
        ] {
            assert!(check_url(&ok.parse().unwrap()).is_ok(), "{ok}");
        }
        assert!(matches!(
            check_url(&"http://slack.com/api/x".parse().unwrap()),
            Err(Error::InsecureUrl { host }) if host == "slack.com"
        ));
        for bad in [
            "/api/x",
            "ftp://slack.com/x",
            "https://u:CANARY@slack.com/x",
        ] {
            let err = check_url(&bad.parse().unwrap()).unwrap_err();
            assert!(matches!(err, Error::InvalidUrl { .. }), "{bad}");
            assert!(!format!("{err} {err:?}").contains("CANARY"));
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
