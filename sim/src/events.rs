//! Events API deliveries the simulator owes an app: built and signed here (sans-IO), sent
//! by [`Server`](crate::Server) or taken by a test with [`Sim::take_events`](crate::Sim::take_events).
//!
//! Signing follows <https://docs.slack.dev/authentication/verifying-requests-from-slack>:
//! `X-Slack-Signature: v0=` + hex HMAC-SHA256, keyed with the signing secret, of
//! `v0:{X-Slack-Request-Timestamp}:{body}`. Retries follow
//! <https://docs.slack.dev/apis/events-api/#retries>: `X-Slack-Retry-Num` and
//! `X-Slack-Retry-Reason` on each new attempt.

use std::fmt;

use http::header::CONTENT_TYPE;
use http::Request;

/// What an outgoing event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// `{"type":"url_verification","challenge":…}`: the app must echo the challenge.
    UrlVerification,
    /// An `event_callback` with `event.type == "app_uninstalled"`.
    AppUninstalled,
    /// An `event_callback` with `event.type == "tokens_revoked"`.
    TokensRevoked,
}

impl EventKind {
    /// The type name: `url_verification`, `app_uninstalled` or `tokens_revoked`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::UrlVerification => "url_verification",
            EventKind::AppUninstalled => "app_uninstalled",
            EventKind::TokensRevoked => "tokens_revoked",
        }
    }
}

/// Why an attempt is a retry (`X-Slack-Retry-Reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RetryReason {
    /// The app did not answer within the timeout (Slack: 3 seconds).
    HttpTimeout,
    /// The app answered with a status other than 2xx.
    HttpError,
    /// The connection could not be made.
    ConnectionFailed,
    /// Anything else (a broken answer).
    UnknownError,
}

impl RetryReason {
    /// The header value, e.g. `http_timeout`.
    pub fn as_str(self) -> &'static str {
        match self {
            RetryReason::HttpTimeout => "http_timeout",
            RetryReason::HttpError => "http_error",
            RetryReason::ConnectionFailed => "connection_failed",
            RetryReason::UnknownError => "unknown_error",
        }
    }
}

/// One event the simulator owes an app's request URL.
#[derive(Clone, PartialEq, Eq)]
pub struct Event {
    pub(crate) kind: EventKind,
    pub(crate) client_id: String,
    pub(crate) url: String,
    pub(crate) secret: String,
    pub(crate) body: Vec<u8>,
    pub(crate) challenge: Option<String>,
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("kind", &self.kind)
            .field("client_id", &self.client_id)
            .field("url", &self.url)
            .field("bytes", &self.body.len())
            .finish_non_exhaustive()
    }
}

impl Event {
    /// What the event is.
    pub fn kind(&self) -> EventKind {
        self.kind
    }

    /// The client id of the app it is for.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The app's request URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The JSON body, exactly as it is sent and signed.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The challenge a `url_verification` expects back.
    pub fn challenge(&self) -> Option<&str> {
        self.challenge.as_deref()
    }

    /// `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` with the app's signing secret.
    pub fn signature(&self, timestamp: u64) -> String {
        let mut mac = hmac_sha256::HMAC::new(self.secret.as_bytes());
        mac.update(format!("v0:{timestamp}:").as_bytes());
        mac.update(&self.body);
        let mut out = String::with_capacity(67);
        out.push_str("v0=");
        for byte in mac.finalize() {
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }

    /// The signed POST for one attempt: `retry` is `None` for the first, else the attempt
    /// number (1, 2, …) and why the previous one failed.
    pub fn request(&self, timestamp: u64, retry: Option<(u32, RetryReason)>) -> Request<Vec<u8>> {
        let mut builder = Request::post(self.url.as_str())
            .header(CONTENT_TYPE, "application/json")
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", self.signature(timestamp));
        if let Some((num, reason)) = retry {
            builder = builder
                .header("x-slack-retry-num", num.to_string())
                .header("x-slack-retry-reason", reason.as_str());
        }
        builder
            .body(self.body.clone())
            // The URL was checked when the app was registered; a request that cannot be
            // built still goes nowhere instead of panicking.
            .unwrap_or_else(|_| Request::new(Vec::new()))
    }

    /// Whether `answer` (the app's response body) passes a `url_verification`: the
    /// challenge as plain text, or `{"challenge": …}`. Other events need no body.
    pub fn accepts(&self, answer: &[u8]) -> bool {
        let Some(challenge) = &self.challenge else {
            return true;
        };
        if answer.trim_ascii() == challenge.as_bytes() {
            return true;
        }
        serde_json::from_slice::<serde_json::Value>(answer)
            .ok()
            .and_then(|v| {
                v.get("challenge")
                    .and_then(|c| c.as_str())
                    .map(str::to_owned)
            })
            .is_some_and(|c| c == *challenge)
    }
}

/// Counts of event deliveries, for `/_sim/stats`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventStats {
    /// Events queued for delivery.
    pub queued: u64,
    /// Events the app acknowledged with a 2xx (and, for `url_verification`, the challenge).
    pub delivered: u64,
    /// Attempts that failed (timeout, non-2xx, connection refused, broken answer).
    pub failed_attempts: u64,
    /// Retries sent.
    pub retries: u64,
    /// Events given up on after the last retry.
    pub gave_up: u64,
    /// Events dropped because nobody took them and the queue was full.
    pub dropped: u64,
    /// `url_verification` answers with the wrong challenge.
    pub verification_failed: u64,
}
