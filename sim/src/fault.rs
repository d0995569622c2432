//! [`Fault`]: failures the simulator can inject into the next N calls of a method.

use std::time::Duration;

/// A failure to inject with [`Sim::inject`](crate::Sim::inject).
///
/// The first four kinds below replace the answer; `Warning` decorates it; the I/O kinds
/// (`Delay`, `TruncatedBody`, `CloseMidBody`, `Oversized`, `OversizedChunked`) let the
/// request be processed normally (state changes happen, as at Slack) and then mangle how the
/// answer travels. Only [`Server`](crate::Server) can carry out I/O kinds; the sans-IO
/// [`Sim::handle_at`](crate::Sim::handle_at) marks them with an `x-sim-fault` header.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// HTTP 429, `Retry-After: <retry_after>`, body `{"ok":false,"error":"ratelimited"}`.
    RateLimited {
        /// Seconds to put in `Retry-After`.
        retry_after: u64,
    },
    /// An HTML error page with this status (500, 502, 503, ...; invalid values become 500).
    ServerError(u16),
    /// Waits this long before answering (the request is processed first).
    Delay(Duration),
    /// Sends the whole answer with a `Content-Length` larger than the bytes sent, then closes.
    TruncatedBody,
    /// Sends half of the answer with chunked encoding, then closes without the final chunk.
    CloseMidBody,
    /// Answers with a body of this many bytes (`Content-Length` set), generated on the fly.
    Oversized {
        /// Body size in bytes.
        bytes: u64,
    },
    /// Like [`Fault::Oversized`] but chunked, without `Content-Length`, so only counting
    /// the bytes catches it.
    OversizedChunked {
        /// Body size in bytes.
        bytes: u64,
    },
    /// Adds this warning to the answer (`warning` and `response_metadata.warnings`).
    Warning(String),
    /// HTTP 302 to `location`, as a misbehaving proxy might send.
    Redirect {
        /// The `Location` header value.
        location: String,
    },
    /// HTTP 200 `{"ok":false,"error":"<code>"}` for any code, e.g. `internal_error`,
    /// `unknown_error`, `unable_to_delete`, `method_not_supported`.
    Error(String),
}

impl Fault {
    /// Whether only a socket can carry this fault out.
    pub fn is_io(&self) -> bool {
        matches!(
            self,
            Fault::Delay(_)
                | Fault::TruncatedBody
                | Fault::CloseMidBody
                | Fault::Oversized { .. }
                | Fault::OversizedChunked { .. }
        )
    }

    /// A short name for the fault kind (`x-sim-fault` header, logs).
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::RateLimited { .. } => "rate_limited",
            Fault::ServerError(_) => "server_error",
            Fault::Delay(_) => "delay",
            Fault::TruncatedBody => "truncated_body",
            Fault::CloseMidBody => "close_mid_body",
            Fault::Oversized { .. } => "oversized",
            Fault::OversizedChunked { .. } => "oversized_chunked",
            Fault::Warning(_) => "warning",
            Fault::Redirect { .. } => "redirect",
            Fault::Error(_) => "error",
        }
    }
}
