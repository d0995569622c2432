//! The keeper protocol: hand out a kept token, refreshing it once however many workers and
//! processes ask, without I/O of its own.
//!
//! A keeper call is a conversation with two outside parties, the [`Store`](crate::Store) and
//! Slack, plus the passage of time. [`Machine`] holds the whole conversation; a transport
//! (or your own code) drives it:
//!
//! 1. Load the record and [`check`] it: a token not due is used at once, no lock taken.
//! 2. Otherwise take the key's in-process lock from a [`Queue`], and run a [`Machine`] over
//!    the key's [`Slot`]: perform each [`Step`] it asks for and hand the [`Outcome`] back
//!    with the time, until [`Step::Done`].
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use slack_oauth_core::keeper::{self, KeptToken, Machine, Outcome, Queue, Settings, Slot, Step};
//! use slack_oauth_core::{oauth_v2::AccessRefresh, transport, AccessToken, Installation, KeeperError};
//! use slack_oauth_core::{MemoryStore, Reply, Store};
//!
//! /// The bot token under `key`; `send` is any HTTP client's call, `now` any clock.
//! fn bot_token(
//!     store: &MemoryStore<Installation>,
//!     queue: &Arc<Queue<Mutex<Slot<Installation>>>>,
//!     settings: &Settings,
//!     send: impl Fn(&AccessRefresh) -> Result<Reply<<AccessRefresh as slack_oauth_core::Method>::Response>, transport::Error>,
//!     now: impl Fn() -> u64,
//!     key: &str,
//! ) -> Result<AccessToken, KeeperError> {
//!     if let Some(token) = keeper::check(store.load(key), settings, key, KeptToken::Bot, now())? {
//!         return Ok(token); // not due: no lock, no refresh
//!     }
//!     let place = queue.enter(key);
//!     let ticket = place.finished();
//!     let mut slot = place.lock().lock().unwrap_or_else(|e| e.into_inner());
//!     let behind = place.finished() != ticket;
//!     let mut machine = Machine::new(&mut *slot, settings, key, KeptToken::Bot, behind);
//!     let result = loop {
//!         let outcome = match machine.step() {
//!             Step::Load => Outcome::loaded(store.load(key)),
//!             Step::Swap { from, value, lease } => {
//!                 Outcome::swapped(store.compare_and_swap(key, Some(from), value, lease))
//!             }
//!             Step::Call(request) => Outcome::Called(send(request)),
//!             Step::Wait(pause) => {
//!                 std::thread::sleep(pause);
//!                 Outcome::Waited
//!             }
//!             Step::Done(result) => break result,
//!         };
//!         machine.handle(outcome, now());
//!     };
//!     place.keep(slot.is_worth_keeping()); // an unsaved answer, a refused record
//!     place.finish();
//!     result
//! }
//! ```
//!
//! `slack_oauth_ureq::Keeper` and `slack_oauth_hyper::Keeper` are such loops; a transport of
//! your own gets the whole protocol the same way. Their look-ups across an installation's
//! records (install, the org-wide fallback, uninstall, listing) are [`Errand`]s, driven by a
//! second loop of the same kind, and what they hold is [`Parts`] ([`keeper_parts!`](crate::keeper_parts)).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::decision::Decision;
use crate::store::Record;

mod cache;
mod errand;
mod error;
mod installers;
mod lookup;
mod machine;
mod parts;
mod renewable;

#[cfg(test)]
mod tests;

pub use cache::Cache;
pub use errand::{Answer, Ask, DeleteUser, Errand, Install, Listing, Token, Uninstall};
pub use error::{store_error, KeeperError, StoreError};
pub use installers::Installers;
pub use lookup::Lookup;
pub use machine::{Machine, Outcome, Slot, Step};
pub use parts::{coarse_bound, Bound, Parts};
pub use renewable::{KeptToken, Renewable};

/// Where a keeper reads the time (Unix seconds): the system clock in the transports' keepers,
/// a simulator's in tests. Core never calls it; its drivers do.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

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

/// What the lock-free first look of a keeper call found ([`Cache::first_look`]).
pub enum FirstLook<R: Renewable> {
    /// The stored token is not due: use it.
    Fresh(R::Token),
    /// The token is due: the record as loaded, for the run under the key's lock to start
    /// from ([`Machine::start_from`]).
    Due(Record<R>),
}

impl<R: Renewable> FirstLook<R> {
    /// The fresh token, if the first look found one.
    pub fn into_fresh(self) -> Option<R::Token> {
        match self {
            FirstLook::Fresh(token) => Some(token),
            FirstLook::Due(_) => None,
        }
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
pub fn found<R, E>(key: &str, loaded: Result<Option<Record<R>>, E>) -> Result<R, KeeperError>
where
    E: std::error::Error + Send + Sync + 'static,
{
    let missing = KeeperError::NotFound { key: key.into() };
    Ok(loaded.map_err(KeeperError::store)?.ok_or(missing)?.value)
}

/// The record as loaded, and its token when not due: what [`check`] and
/// [`Cache::first_look`] both decide from.
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

/// Per-key places in line: each key's lock `L` (a `Mutex<Slot<R>>` of the transport's kind)
/// and a count of the runs finished under it. Entries go away when nobody holds or awaits
/// them, so the map does not grow with every key ever refreshed, unless the last run asked
/// to keep its slot ([`Entry::keep`]).
pub struct Queue<L> {
    entries: Mutex<HashMap<String, Arc<Entry<L>>>>,
}

/// One key's lock and run count, shared by the callers of that key.
pub struct Entry<L> {
    finished: AtomicU64,
    keep: AtomicBool,
    lock: L,
}

impl<L> Entry<L> {
    /// The key's lock.
    pub fn lock(&self) -> &L {
        &self.lock
    }

    /// How many runs finished under the lock: read it before queueing and again once the
    /// lock is held to tell [`Machine::new`] whether a run finished meanwhile.
    pub fn finished(&self) -> u64 {
        self.finished.load(Ordering::Acquire)
    }

    /// Counts a finished run; call it with the lock still held.
    pub fn finish(&self) {
        self.finished.fetch_add(1, Ordering::Release);
    }

    /// Whether the entry, and the lock's slot with it, stays when nobody holds or awaits it:
    /// set it with the lock held from [`Slot::is_worth_keeping`], so that the next call for
    /// the key finds what the slot holds (an answer not yet stored, a refused record).
    pub fn keep(&self, keep: bool) {
        self.keep.store(keep, Ordering::Release);
    }
}

/// A caller's place in a key's line. Dropping it (when the caller returns, unwinds or is
/// cancelled) removes the key's entry once nobody else holds or awaits it.
pub struct Place<L> {
    queue: Arc<Queue<L>>,
    key: String,
    entry: Arc<Entry<L>>,
}

impl<L> Place<L> {
    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl<L> std::ops::Deref for Place<L> {
    type Target = Entry<L>;

    fn deref(&self) -> &Entry<L> {
        &self.entry
    }
}

impl<L> Drop for Place<L> {
    fn drop(&mut self) {
        let mut entries = self.queue.entries();
        // Clones are only made under the map lock, so the count cannot rise meanwhile; a
        // task still running holds its own clone and keeps the entry.
        if Arc::strong_count(&self.entry) == 2 && !self.entry.keep.load(Ordering::Acquire) {
            entries.remove(&self.key);
        }
    }
}

impl<L: Default> Queue<L> {
    /// An empty queue.
    pub fn new() -> Queue<L> {
        Queue {
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a place in the line for `key`. The place owns a handle on the queue, so it can
    /// move into a task.
    pub fn enter(self: &Arc<Self>, key: &str) -> Place<L> {
        let entry = Arc::clone(self.entries().entry(key.to_owned()).or_default());
        Place {
            queue: Arc::clone(self),
            key: key.to_owned(),
            entry,
        }
    }

    /// How many keys have callers in line (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether no key has callers in line.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<L> Queue<L> {
    fn entries(&self) -> MutexGuard<'_, HashMap<String, Arc<Entry<L>>>> {
        // Changed only by single inserts and removes: usable after a panic elsewhere.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<L: Default> Default for Queue<L> {
    fn default() -> Self {
        Queue::new()
    }
}

impl<L: Default> Default for Entry<L> {
    fn default() -> Self {
        Entry {
            finished: AtomicU64::new(0),
            keep: AtomicBool::new(false),
            lock: L::default(),
        }
    }
}

impl<L> std::fmt::Debug for Queue<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("keys", &self.entries().len())
            .finish()
    }
}
