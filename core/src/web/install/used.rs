//! Single-use states, for apps that want each state to complete one install only, across
//! all their servers (the `consume` of Slack's Bolt state stores): the nonce of every state
//! that reached the code exchange is recorded in the app's store until the state expires.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::failure::InstallFailure;
use super::flow::CodeExchange;
use crate::store::Swap;

/// The record that says a state was used: stored under [`UsedState::key`] when its redirect
/// first reaches the code exchange, created only if absent (a compare-and-swap from
/// nothing), so a second use, on any server sharing the store, finds it and is refused.
///
/// It holds no secret (the nonce is in the key, and a used nonce is worth nothing). Once
/// [`UsedState::expires_at`] has passed, the record may be deleted: the state itself is
/// refused as expired from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedState {
    /// When the state expires (Unix seconds), after which this record is no longer needed.
    pub expires_at: u64,
}

impl UsedState {
    /// Where the record of a state with this nonce is stored:
    /// `slack-oauth/used-state/<base64url nonce>`.
    pub fn key(nonce: &[u8]) -> String {
        format!("slack-oauth/used-state/{}", URL_SAFE_NO_PAD.encode(nonce))
    }
}

impl CodeExchange {
    /// The record to create (if absent) before the exchange, to make the state single-use:
    /// its key ([`UsedState::key`] of the state's nonce) and value. Hand the store's answer
    /// to [`CodeExchange::claimed`].
    pub fn claim(&self) -> (String, UsedState) {
        let used = UsedState {
            expires_at: self.state_expires_at,
        };
        (UsedState::key(self.state.nonce()), used)
    }

    /// Reads the store's answer to writing [`CodeExchange::claim`] if absent: the exchange
    /// goes on when the record was written, and fails with [`InstallFailure::StateUsed`]
    /// when one was there already (this state was used before, here or on another server),
    /// or [`InstallFailure::Store`] when the store failed (nothing is spent: try again).
    pub fn claimed<E>(self, answer: Result<Swap, E>) -> Result<CodeExchange, InstallFailure> {
        match answer {
            Ok(Swap::Stored { .. }) => Ok(self),
            Ok(Swap::Conflict) => Err(InstallFailure::StateUsed),
            Err(_) => Err(InstallFailure::Store),
        }
    }
}
