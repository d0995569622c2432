//! Reading Slack's answers: [`parse`] turns an `http::Response` into a typed [`Reply`] or an
//! [`Error`]. This file is the public reading API; the single-pass serde engine is in
//! `response/single_pass.rs` and the description of non-Slack bodies in `response/body.rs`.

use std::time::Duration;

use http::header::{HeaderName, RETRY_AFTER};
use http::{Response, StatusCode};

mod body;
mod single_pass;

use body::unreadable;
use single_pass::{describe, read, read_envelope, Envelope, Value};

use crate::error_code::{ErrorCode, Warning};
use crate::errors::{BodyKind, Error, HttpError, RateLimited, ShapeError, SlackError};
use crate::method_trait::Method;

/// Parsed once: looking a header up by `&str` validates and hashes the name on every call.
const X_OAUTH_SCOPES: HeaderName = HeaderName::from_static("x-oauth-scopes");

/// A successful answer: the typed value plus what came around it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Reply<T> {
    /// The method's typed response.
    pub value: T,
    /// Warnings from `warning` and `response_metadata.warnings`, de-duplicated, in order.
    pub warnings: Vec<Warning>,
    /// `response_metadata.messages`.
    pub messages: Vec<String>,
    /// The `x-oauth-scopes` header: the scopes the calling token has, if Slack sent it.
    pub oauth_scopes: Option<String>,
}

impl<T> Reply<T> {
    /// The typed response, dropping warnings and metadata.
    pub fn into_inner(self) -> T {
        self.value
    }
}

/// Reads a response to `M` into its typed value or an [`Error`].
///
/// The Slack envelope is read before the HTTP status: `200` with `ok:false` is Slack's
/// normal failure, and a `5xx` carrying `{"ok":false,"error":"service_unavailable"}` is a
/// Slack error, not an opaque HTTP one. HTTP 429 is always [`Error::RateLimited`].
///
/// ```
/// use slack_oauth_core::{parse, Error, ErrorCode, tooling_tokens::Rotate};
///
/// let ok = http::Response::new(br#"{"ok":true,"token":"xoxe.xoxp-1-a","refresh_token":"xoxe-1-b",
///     "team_id":"T1","user_id":"U1","iat":1700000000,"exp":1700043200}"#.to_vec());
/// let reply = parse::<Rotate, _>(&ok).unwrap();
/// assert_eq!(reply.value.exp - reply.value.iat, 43200);
///
/// let failed = http::Response::new(br#"{"ok":false,"error":"invalid_refresh_token"}"#.to_vec());
/// let err = parse::<Rotate, _>(&failed).unwrap_err();
/// assert_eq!(err.code(), Some(&ErrorCode::InvalidRefreshToken));
/// assert!(err.needs_reinstall());
/// ```
pub fn parse<M: Method, B: AsRef<[u8]>>(
    response: &Response<B>,
) -> Result<Reply<M::Response>, Error> {
    let status = response.status();
    let body = response.body().as_ref();
    let headers = response.headers();

    // JSON is UTF-8 (RFC 8259): a body that is not is a broken body, even when the bad
    // bytes sit in a field nobody reads. Checking once up front also spares serde_json
    // from validating every string it reads on its own, which costs more on Slack's
    // small answers of many short strings.
    let text = std::str::from_utf8(body);

    if status == StatusCode::TOO_MANY_REQUESTS {
        let warnings = text
            .ok()
            .and_then(|text| read_envelope(text).ok())
            .map(|mut env| env.take_warnings())
            .unwrap_or_default();
        return Err(rate_limited(response, warnings));
    }
    let Ok(text) = text else {
        return Err(Error::Http(unreadable(response)));
    };

    let mut env = Envelope::default();
    let mut value = Value::Unread;
    if let Err(first) = read(text, &mut env, &mut value) {
        // The typed value failed mid-stream (or the body is not JSON): read the envelope
        // on its own to tell a Slack answer of an unexpected shape from a broken body.
        env = match read_envelope(text) {
            Ok(env) => env,
            Err(_) => return Err(Error::Http(unreadable(response))),
        };
        let detail = serde_json::from_str::<M::Response>(text).err().map_or_else(
            || describe(&first.to_string()),
            |e| describe(&e.to_string()),
        );
        value = Value::Failed(detail);
    }

    match env.ok {
        Some(true) if status.is_success() => {
            let value = match value {
                Value::Read(value) => value,
                Value::Failed(detail) => return Err(shape_error::<M>(status, detail)),
                // Only when `ok` came twice, false then true.
                Value::Unread => return Err(shape_error::<M>(status, "`ok` appears twice".into())),
            };
            let oauth_scopes = headers
                .get(X_OAUTH_SCOPES)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            Ok(Reply {
                value,
                warnings: env.take_warnings(),
                messages: env.take_messages(),
                oauth_scopes,
            })
        }
        Some(false) => {
            let warnings = env.take_warnings();
            let messages = env.take_messages();
            let code = env.error.map_or(ErrorCode::Other(String::new()), |c| {
                ErrorCode::from_cow(c.0)
            });
            if code == ErrorCode::Ratelimited {
                return Err(rate_limited(response, warnings));
            }
            Err(Error::Slack(Box::new(SlackError {
                code,
                status,
                warnings,
                messages,
                needed: env.needed,
                provided: env.provided,
            })))
        }
        Some(true) => Err(Error::Http(HttpError {
            body: BodyKind::Json,
            ..unreadable(response)
        })),
        None => Err(Error::Http(HttpError {
            body: BodyKind::Malformed,
            ..unreadable(response)
        })),
    }
}

fn shape_error<M: Method>(status: StatusCode, detail: String) -> Error {
    Error::UnexpectedShape(ShapeError {
        method: M::NAME,
        status,
        detail,
    })
}

/// Reads a `Retry-After` header value (delay in seconds).
///
/// Returns `None` when it is missing or not a whole number of seconds; Slack does not
/// send the HTTP-date form.
pub fn retry_after<B>(response: &Response<B>) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn rate_limited<B>(response: &Response<B>, warnings: Vec<Warning>) -> Error {
    let header = retry_after(response);
    Error::RateLimited(RateLimited {
        retry_after: header.unwrap_or(RateLimited::DEFAULT_RETRY_AFTER),
        from_header: header.is_some(),
        status: response.status(),
        warnings,
    })
}
