//! Errors: [`BuildError`] when a request cannot be built, [`Error`] when a response is not a success.
//!
//! No error ever holds a request body, a token or a secret; response bytes are reduced to
//! their kind (and, for HTML pages, a short title).

use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::error_code::ErrorCode;
use crate::error_code::Warning;

/// Why a request could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The method authenticates with client credentials and none were configured.
    MissingCredentials {
        /// The method's API name.
        method: &'static str,
    },
    /// The method needs a client secret and the credentials hold none (public client).
    MissingClientSecret {
        /// The method's API name.
        method: &'static str,
    },
    /// The client id or secret cannot be carried in an HTTP header.
    InvalidCredentials,
    /// A token holds characters that cannot be carried in an HTTP header.
    InvalidToken,
    /// A base URL or request URL is plain `http` to a host that is not loopback.
    InsecureUrl {
        /// The host that was refused.
        host: String,
    },
    /// A base URL or request URL cannot be used (no host, an unknown scheme, user info, a
    /// port out of range, ...); see [`BaseUrl`](crate::method::BaseUrl).
    InvalidUrl {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A method name made an invalid URL.
    InvalidMethodName,
    /// The user agent suffix is not a valid header value.
    InvalidUserAgent,
    /// An argument is out of its documented range (e.g. a PKCE verifier length).
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::MissingCredentials { method } => {
                write!(
                    f,
                    "{method} needs client credentials; set them with Api::with_credentials"
                )
            }
            BuildError::MissingClientSecret { method } => {
                write!(
                    f,
                    "{method} needs a client secret; the configured client is public"
                )
            }
            BuildError::InvalidCredentials => {
                f.write_str("the client id or secret cannot be sent in an HTTP header")
            }
            BuildError::InvalidToken => {
                f.write_str("the token holds characters not allowed in an HTTP header")
            }
            BuildError::InsecureUrl { host } => write!(
                f,
                "refusing plain http to {host}: only https is allowed, except for loopback hosts"
            ),
            BuildError::InvalidUrl { reason } => write!(f, "invalid URL: {reason}"),
            BuildError::InvalidMethodName => {
                f.write_str("the method name does not make a valid URL")
            }
            BuildError::InvalidUserAgent => {
                f.write_str("the user agent suffix is not a valid header value")
            }
            BuildError::InvalidArgument { name, reason } => write!(f, "invalid {name}: {reason}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// A response that is not a success: Slack's `ok:false`, a rate limit, or a body that is not
/// a Slack answer at all.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// Slack answered `{"ok": false, "error": …}`.
    Slack(Box<SlackError>),
    /// HTTP 429, or the `ratelimited` code: wait before calling this method again.
    RateLimited(RateLimited),
    /// The body is not a Slack JSON answer (HTML error page, empty, truncated, not UTF-8, …),
    /// or the status is one Slack does not use for answers.
    Http(HttpError),
    /// Slack said `ok: true` but the body lacks a field this method always returns,
    /// or holds one of the wrong type.
    UnexpectedShape(ShapeError),
}

/// Slack's `ok:false` answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SlackError {
    /// The error code.
    pub code: ErrorCode,
    /// The HTTP status (normally 200).
    pub status: StatusCode,
    /// Warnings that came with the error.
    pub warnings: Vec<Warning>,
    /// `response_metadata.messages`, human text such as `[ERROR] missing required field`.
    pub messages: Vec<String>,
    /// On `missing_scope`: the scopes the call needs (comma-separated).
    pub needed: Option<String>,
    /// On `missing_scope`: the scopes the token has (comma-separated).
    pub provided: Option<String>,
}

/// A rate-limit answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RateLimited {
    /// How long to wait: the `Retry-After` header, or [`RateLimited::DEFAULT_RETRY_AFTER`] when it is
    /// missing or malformed.
    pub retry_after: Duration,
    /// Whether `retry_after` came from a valid `Retry-After` header.
    pub from_header: bool,
    /// The HTTP status (429, or 200 with the `ratelimited` code).
    pub status: StatusCode,
    /// Warnings that came with the answer.
    pub warnings: Vec<Warning>,
}

impl RateLimited {
    /// The wait used when a rate limit comes without a readable `Retry-After` header:
    /// Slack's limits are per minute, so one full window is the safe choice.
    pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);
}

/// What kind of non-Slack body came back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyKind {
    /// No bytes at all.
    Empty,
    /// An HTML page (a proxy or load balancer error page, usually).
    Html {
        /// The page's `<title>`, shortened, if it has one.
        title: Option<String>,
    },
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// JSON that ends too early.
    Truncated,
    /// JSON that is malformed, or not an object with an `ok` field.
    Malformed,
    /// A Slack JSON answer, but with a status Slack does not use for answers.
    Json,
}

/// A response that is not a Slack answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The `Content-Type` header, if any (shortened).
    pub content_type: Option<String>,
    /// What the body was.
    pub body: BodyKind,
    /// The body's length in bytes.
    pub body_len: usize,
}

/// A success body that does not fit the method's documented shape.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShapeError {
    /// The method's API name.
    pub method: &'static str,
    /// The HTTP status of the response (a 2xx: 200, or another success status).
    pub status: StatusCode,
    /// What did not fit; never holds a value from the body.
    pub detail: String,
}

impl Error {
    /// The wait suggested before retrying a transient failure (5xx, `internal_error`, …).
    pub const TRANSIENT_RETRY_AFTER: Duration = Duration::from_secs(1);

    /// The Slack error code, when Slack sent one.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Slack(e) => Some(&e.code),
            Error::RateLimited(_) => Some(&ErrorCode::Ratelimited),
            _ => None,
        }
    }

    /// The HTTP status of the response.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Slack(e) => e.status,
            Error::RateLimited(e) => e.status,
            Error::Http(e) => e.status,
            Error::UnexpectedShape(e) => e.status,
        }
    }

    /// Warnings that came with the failure.
    pub fn warnings(&self) -> &[Warning] {
        match self {
            Error::Slack(e) => &e.warnings,
            Error::RateLimited(e) => &e.warnings,
            _ => &[],
        }
    }

    /// Whether sending the same request again may succeed.
    pub fn is_retryable(&self) -> bool {
        self.retry_after().is_some()
    }

    /// When a retry may help, how long to wait first.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited(e) => Some(e.retry_after),
            Error::Slack(e) if e.code.is_retryable() => Some(Error::TRANSIENT_RETRY_AFTER),
            Error::Http(e) if e.status.is_server_error() => Some(Error::TRANSIENT_RETRY_AFTER),
            _ => None,
        }
    }

    /// Whether the token used is dead (expired, revoked, invalid); see [`ErrorCode::is_token_dead`].
    pub fn is_token_dead(&self) -> bool {
        matches!(self, Error::Slack(e) if e.code.is_token_dead())
    }

    /// Whether the installation is gone and only a new install can recover it.
    pub fn needs_reinstall(&self) -> bool {
        matches!(self, Error::Slack(e) if e.code.needs_reinstall())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Slack(e) => {
                write!(f, "Slack error `{}`", e.code)?;
                let description = e.code.description();
                if !description.is_empty() {
                    write!(f, ": {description}")?;
                }
                if let Some(needed) = &e.needed {
                    write!(f, " (needed: {needed}")?;
                    if let Some(provided) = &e.provided {
                        write!(f, "; provided: {provided}")?;
                    }
                    f.write_str(")")?;
                }
                Ok(())
            }
            Error::RateLimited(e) => write!(
                f,
                "rate limited by Slack (HTTP {}): retry after {} s",
                e.status.as_u16(),
                e.retry_after.as_secs()
            ),
            Error::Http(e) => {
                write!(f, "HTTP {} ", e.status.as_u16())?;
                match &e.body {
                    BodyKind::Empty => f.write_str("with an empty body")?,
                    BodyKind::Html { title: Some(t) } => write!(f, "with an HTML page \"{t}\"")?,
                    BodyKind::Html { title: None } => f.write_str("with an HTML page")?,
                    BodyKind::InvalidUtf8 => f.write_str("with a body that is not UTF-8")?,
                    BodyKind::Truncated => f.write_str("with truncated JSON")?,
                    BodyKind::Malformed => f.write_str("with a body that is not a Slack answer")?,
                    BodyKind::Json => f.write_str("with a Slack answer at an unexpected status")?,
                }
                write!(f, " ({} bytes", e.body_len)?;
                if let Some(ct) = &e.content_type {
                    write!(f, ", {ct}")?;
                }
                f.write_str(")")
            }
            Error::UnexpectedShape(e) => {
                write!(f, "{} answered ok but {}", e.method, e.detail)
            }
        }
    }
}

impl std::error::Error for Error {}
