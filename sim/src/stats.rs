//! [`Stats`]: what the simulator answered, for `GET /_sim/stats` and [`Sim::stats`](crate::Sim::stats).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::events::EventStats;

/// Answers per method and outcome, refresh tokens presented twice, and event deliveries.
///
/// Outcome keys: `ok`, an error code (`invalid_auth`, …), or `fault:<kind>` for an
/// injected fault (`fault:rate_limited`, `fault:server_error`, `fault:error`, and the I/O
/// kinds, which also count the answer they mangled). Requests to methods the simulator does
/// not know count under `unknown_method`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Method name → outcome → count.
    pub methods: BTreeMap<String, BTreeMap<String, u64>>,
    /// How many times a refresh token (`oauth.v2.access`, `oauth.v2.user.access`,
    /// `tooling.tokens.rotate`) was presented after it had been used: the signature of two
    /// clients racing, or of a client that lost an answer.
    pub refresh_token_reuse: u64,
    /// Event deliveries.
    pub events: EventStats,
}

impl Stats {
    /// How many answers of `method` had this outcome.
    pub fn count(&self, method: &str, outcome: &str) -> u64 {
        self.methods
            .get(method)
            .and_then(|m| m.get(outcome))
            .copied()
            .unwrap_or(0)
    }

    /// The JSON answer of `GET /_sim/stats`.
    pub fn to_json(&self) -> Value {
        let e = &self.events;
        json!({
            "ok": true,
            "methods": self.methods,
            "refresh_token_reuse": self.refresh_token_reuse,
            "events": {
                "queued": e.queued,
                "delivered": e.delivered,
                "failed_attempts": e.failed_attempts,
                "retries": e.retries,
                "gave_up": e.gave_up,
                "dropped": e.dropped,
                "verification_failed": e.verification_failed,
            },
        })
    }
}
