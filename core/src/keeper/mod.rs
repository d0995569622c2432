//! The keeper: hands out a kept token, refreshing it once however many workers and
//! processes ask, written once per mode over the client traits of [`transport`](crate::transport).
//!
//! - [`Keeper`] blocks, over any [`HttpClient`](crate::transport::HttpClient) and
//!   [`Store`](crate::Store) (`slack_oauth_ureq::Keeper` is it over ureq);
//! - [`AsyncKeeper`] awaits, over any [`AsyncHttpClient`](crate::transport::AsyncHttpClient)
//!   and [`AsyncStore`](crate::AsyncStore) (`slack_oauth_hyper::Keeper` is it over hyper).
//!
//! Both own the whole protocol: the lock-free first look (a fresh token is a cache hit, no
//! store round trip), the per-key single flight in the process, the leases and
//! compare-and-swap that coordinate processes sharing a store, and the look-ups across an
//! installation's records (install, org-wide fallback, uninstall, listing). A transport of
//! your own is one impl of a client trait.
//!
//! The refresh itself is a [`Machine`], which does no I/O: a driver of its own loops on
//! [`Machine::step`], performs each [`Step`] (load, swap, call, wait) and hands the
//! [`Outcome`] back with [`Machine::handle`] and the time, until [`Step::Done`]. What a key
//! carries from one run to the next (an answer not yet stored, a refused record) is its
//! [`KeyState`], and [`check`] is the first look that decides whether a run is needed.
//!
//! ```
//! use slack_oauth_core::keeper::{KeyState, KeptToken, Machine, Outcome, Settings, Step};
//! use slack_oauth_core::{Installation, MemoryStore, Store};
//!
//! // A run for a key with nothing stored: it loads, and ends with `NotFound`.
//! let (store, settings) = (MemoryStore::<Installation>::new(), Settings::new("docs"));
//! let mut state = KeyState::new();
//! let mut machine = Machine::new(&mut state, &settings, "T1", KeptToken::Bot, false);
//! let result = loop {
//!     let outcome = match machine.step() {
//!         Step::Load => Outcome::loaded(store.load("T1")),
//!         Step::Swap { from, value, lease } => {
//!             Outcome::swapped(store.compare_and_swap("T1", Some(from), value, lease))
//!         }
//!         Step::Call(_refresh) => unreachable!("nothing stored: nothing to refresh"),
//!         Step::Wait(_pause) => Outcome::Waited,
//!         Step::Done(result) => break result,
//!     };
//!     machine.handle(outcome, 1_700_000_000);
//! };
//! assert!(matches!(result, Err(slack_oauth_core::keeper::KeeperError::NotFound { .. })));
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::decision::Decision;
use crate::store_traits::Record;

mod awaiting;
mod blocking;
mod cache;
mod errand;
mod error;
mod installers;
mod lookup;
mod machine;
mod parts;
mod queue;
mod renewable;

#[cfg(test)]
mod tests;

pub use awaiting::AsyncKeeper;
pub use blocking::Keeper;
pub(crate) use error::store_error;
pub use error::{KeeperError, StoreError};
pub use machine::{KeyState, Machine, Outcome, Step};
pub use renewable::{KeptToken, Renewable};

/// A clock set with a keeper's `with_clock` (Unix seconds): a simulator's in tests. Without
/// one, a keeper reads its client's clock.
pub(crate) type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// How a keeper refreshes: who it is in leases, how early it refreshes, how long its leases
/// last and how long it waits for others'.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settings {
    /// Written into leases, to tell holders apart and trace a stuck lease to a process.
    /// Every keeper sharing a store needs its own.
    pub holder: String,
    /// Refresh this many seconds before expiry (capped at half the token's lifetime).
    pub margin: u64,
    /// Seconds a lease lasts: another keeper takes it over only after seeing it unchanged
    /// for this long of its own waiting. Keep it well above the client's timeout, and the
    /// same for every keeper sharing a store.
    pub lease: u64,
    /// How long a run waits for another holder's lease in all before
    /// [`KeeperError::Busy`].
    pub wait: Duration,
    /// How many times a refresh answer's write is retried after store errors (with doubling
    /// pauses from 50 ms) before the run ends with [`KeeperError::Unsaved`].
    pub write_retries: u32,
}

impl Settings {
    /// The default lease: 120 seconds, well beyond the transports' default 30-second request
    /// timeout, so a lease is taken over only when its holder died or hung.
    pub const DEFAULT_LEASE: u64 = 120;
    /// The default wait: a lease and a request timeout, so that a waiter outlasts a dead
    /// holder's lease and the refresh after it.
    pub const DEFAULT_WAIT: Duration = Duration::from_secs(Settings::DEFAULT_LEASE + 30);
    /// The default number of write retries: 5, about 1.5 s of pauses in all.
    pub const DEFAULT_WRITE_RETRIES: u32 = 5;

    /// The defaults, with `holder` written into leases.
    pub fn new(holder: impl Into<String>) -> Settings {
        Settings {
            holder: holder.into(),
            margin: crate::Installation::DEFAULT_REFRESH_MARGIN,
            lease: Settings::DEFAULT_LEASE,
            wait: Settings::DEFAULT_WAIT,
            write_retries: Settings::DEFAULT_WRITE_RETRIES,
        }
    }

    /// [`Settings::new`] with a holder of `prefix` and a number no other keeper of this
    /// process gets (e.g. `"pid 42 keeper"` becomes `"pid 42 keeper 7"`).
    pub fn numbered(prefix: &str) -> Settings {
        static KEEPERS: AtomicU64 = AtomicU64::new(0);
        Settings::new(format!(
            "{prefix} {}",
            KEEPERS.fetch_add(1, Ordering::Relaxed)
        ))
    }

    pub(crate) fn lease_duration(&self) -> Duration {
        Duration::from_secs(self.lease)
    }
}

/// The lock-free first look of a keeper call: the stored token when it is not due (`Some`),
/// or `None` when a [`Machine`] must run under the key's lock.
pub fn check<R, E>(
    loaded: Result<Option<Record<R>>, E>,
    settings: &Settings,
    key: &str,
    token: KeptToken,
    now: u64,
) -> Result<Option<R::Token>, KeeperError>
where
    R: Renewable,
    E: std::error::Error + Send + Sync + 'static,
{
    look(loaded, settings, key, token, now).map(|(_, fresh)| fresh)
}

/// The value stored under `key`, as loading it gave it (a keeper's `load`): no record is
/// [`KeeperError::NotFound`].
pub(crate) fn found<R, E>(key: &str, loaded: Result<Option<Record<R>>, E>) -> Result<R, KeeperError>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let missing = KeeperError::NotFound { key: key.into() };
    Ok(loaded.map_err(KeeperError::store)?.ok_or(missing)?.value)
}

/// The record as loaded, and its token when not due: what [`check`] and the keepers' first
/// look both decide from.
pub(crate) fn look<R, E>(
    loaded: Result<Option<Record<R>>, E>,
    settings: &Settings,
    key: &str,
    token: KeptToken,
    now: u64,
) -> Result<(Record<R>, Option<R::Token>), KeeperError>
where
    R: Renewable,
    E: std::error::Error + Send + Sync + 'static,
{
    let Some(record) = loaded.map_err(KeeperError::store)? else {
        return Err(KeeperError::NotFound {
            key: key.to_owned(),
        });
    };
    if !R::TOKENS.contains(&token) {
        return Err(KeeperError::WrongToken {
            key: key.to_owned(),
            token,
        });
    }
    let fresh = match record.value.decide(key, token, now, settings.margin)? {
        Decision::Use(token) => Some(token),
        Decision::Refresh(_) => None,
    };
    Ok((record, fresh))
}
