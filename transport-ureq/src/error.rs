//! [`Error`]: Slack's answer (core's typed error) kept apart from transport failures.

use std::fmt;
use std::io;
use std::time::Duration;

use slack_oauth_core::{BuildError, TRANSIENT_RETRY_AFTER};

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
    Slack(slack_oauth_core::Error),
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
        /// The cap in bytes ([`Config::max_body`](crate::Config::max_body)).
        limit: u64,
    },
    /// The connection failed once open: reset, closed mid-body, or not valid HTTP.
    Io(io::Error),
}

impl Error {
    /// Slack's answer, when Slack answered.
    pub fn slack(&self) -> Option<&slack_oauth_core::Error> {
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

impl From<slack_oauth_core::Error> for Error {
    fn from(e: slack_oauth_core::Error) -> Self {
        Error::Slack(e)
    }
}

impl From<BuildError> for Error {
    fn from(e: BuildError) -> Self {
        Error::Build(e)
    }
}

/// Turns a ureq error into ours. `reading_body` tells a failure after the headers arrived.
pub(crate) fn from_ureq(e: ureq::Error, limit: u64) -> Error {
    use ureq::Error as U;
    match e {
        U::Timeout(_) => Error::Timeout,
        U::BodyExceedsLimit(_) => Error::BodyTooLarge { limit },
        U::HostNotFound | U::ConnectionFailed => {
            Error::Connect(io::Error::new(io::ErrorKind::NotFound, e.to_string()))
        }
        // rustls reports handshake failures through the socket's io::Error.
        U::Io(io) if is_tls(&io) => Error::Tls(io),
        U::Io(io) if is_connect_kind(io.kind()) => Error::Connect(io),
        U::Io(io) => Error::Io(io),
        U::Tls(_) | U::Rustls(_) | U::Pem(_) | U::TlsRequired => Error::Tls(io::Error::other(e)),
        // The URI itself is never echoed: it is caller data.
        U::BadUri(_) | U::Http(_) => Error::InvalidUrl {
            reason: "the request is not a valid HTTP request",
        },
        other => Error::Io(io::Error::other(other)),
    }
}

fn is_tls(io: &io::Error) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = match io.get_ref() {
        Some(inner) => Some(inner),
        None => return false,
    };
    // Bounded: error chains are short, and a cycle must not hang the caller.
    for _ in 0..16 {
        let Some(e) = current else { return false };
        if e.is::<rustls::Error>() {
            return true;
        }
        current = e.source();
    }
    false
}

fn is_connect_kind(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
            | io::ErrorKind::AddrNotAvailable
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use slack_oauth_core::{parse, tooling_tokens::Rotate};

    fn rate_limited() -> slack_oauth_core::Error {
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
    fn connect_kinds() {
        let e = from_ureq(ureq::Error::Io(io::ErrorKind::ConnectionRefused.into()), 10);
        assert!(matches!(e, Error::Connect(_)));
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let e = from_ureq(
            ureq::Error::Io(io::Error::new(io::ErrorKind::InvalidData, tls)),
            10,
        );
        assert!(matches!(e, Error::Tls(_)));
        assert!(!e.is_retryable());
        let e = from_ureq(ureq::Error::BodyExceedsLimit(10), 10);
        assert!(matches!(e, Error::BodyTooLarge { limit: 10 }));
        let e = from_ureq(ureq::Error::BadUri("https://x/?token=CANARY".into()), 10);
        assert!(!format!("{e} {e:?}").contains("CANARY"));
    }
}
