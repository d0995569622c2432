//! [`Parts`]: what a transport's keeper is made of, defined once for every transport.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::installation::Installation;
use crate::installation::TokenType;
use crate::keeper::{
    Cache, Clock, FirstLook, Installers, KeeperError, KeptToken, Queue, Renewable, Settings, Token,
};
use crate::store::Record;

/// A keeper's parts: its client `C` (the transport's), its store `S`, the per-key [`Queue`]
/// of locks `L` (a `Mutex<Slot<R>>` of the transport's kind), the [`Cache`] of fresh tokens,
/// the [`Installers`] learnt from bot records, its [`Settings`] and its [`Clock`].
///
/// Clones share everything but the settings and the clock, which each clone's builder
/// methods change for itself. A transport's `Keeper` wraps one and adds the loop that
/// drives a [`Machine`](crate::keeper::Machine); `Debug` shows the client and the
/// settings, never a token.
pub struct Parts<C, S, R: Renewable, L> {
    shared: Arc<Shared<C, S, R, L>>,
    settings: Settings,
    clock: Clock,
    /// A cheap reading never behind `clock`, tried first on the fresh path.
    bound: Option<Bound>,
}

/// A cheap reading of the time (Unix seconds) that is never behind a keeper's clock, or
/// `None` when it cannot be had: e.g. a coarse system clock plus its worst lag. A token
/// fresh at that reading is fresh on the clock too, so most fresh calls skip the exact read.
pub type Bound = fn() -> Option<u64>;

/// A [`Bound`]'s reading from the seconds of Linux's `CLOCK_REALTIME_COARSE`
/// (clock_gettime(2)): the system clock as of the last timer tick, read from memory the kernel
/// maps into the process without the exact clock's hardware counter, at a fraction of its
/// cost. It lags the exact clock by at most a few ticks (milliseconds), so 2 seconds more are
/// never behind it. `None` for a time before 1970.
pub fn coarse_bound(coarse_seconds: i64) -> Option<u64> {
    /// Far above the coarse clock's lag of a few timer ticks.
    const SLACK: u64 = 2;
    u64::try_from(coarse_seconds).ok()?.checked_add(SLACK)
}

struct Shared<C, S, R: Renewable, L> {
    client: C,
    store: S,
    queue: Arc<Queue<L>>,
    cache: Cache<R>,
    installers: Installers,
}

impl<C, S, R: Renewable, L: Default> Parts<C, S, R, L> {
    /// Parts over `client` and `store`, with [`Settings::numbered`]`(holder)` and `clock`.
    pub fn new(client: C, store: S, holder: &str, clock: Clock) -> Parts<C, S, R, L> {
        let queue = Arc::new(Queue::new());
        let (cache, installers) = (Cache::new(), Installers::new());
        Parts {
            shared: Arc::new(Shared {
                client,
                store,
                queue,
                cache,
                installers,
            }),
            settings: Settings::numbered(holder),
            clock,
            bound: None,
        }
    }
}

impl<C, S, R: Renewable, L> Parts<C, S, R, L> {
    /// Reads the time from `clock` (Unix seconds). Drops the [`Bound`], which bounds only
    /// the clock it was made for.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self.bound = None;
        self
    }

    /// Tries `bound` before the clock on the fresh path ([`Parts::cached`]); it must never
    /// be behind the clock set now.
    pub fn with_bound(mut self, bound: Bound) -> Self {
        self.bound = Some(bound);
        self
    }

    /// Sets [`Settings::margin`].
    pub fn with_margin(mut self, seconds: u64) -> Self {
        self.settings.margin = seconds;
        self
    }

    /// Sets [`Settings::lease`].
    pub fn with_lease(mut self, seconds: u64) -> Self {
        self.settings.lease = seconds;
        self
    }

    /// Sets [`Settings::wait`].
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.settings.wait = wait;
        self
    }

    /// The client refreshes go through.
    pub fn client(&self) -> &C {
        &self.shared.client
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.shared.store
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The time now, from the clock.
    pub fn now(&self) -> u64 {
        (self.clock)()
    }

    /// The cached `token` of `key` while it is fresh (no store round trip), else the time
    /// now to go on with. A fresh token is checked against the [`Bound`] first, and against
    /// the clock only when the bound says no: near the margin, or on a miss.
    pub fn cached(&self, key: &str, token: KeptToken) -> Result<R::Token, u64> {
        let cache = &self.shared.cache;
        let bound = self.bound.and_then(|bound| bound());
        if let Some(fresh) = bound.and_then(|soon| cache.get(key, token, soon)) {
            return Ok(fresh);
        }
        let now = self.now();
        cache.get(key, token, now).ok_or(now)
    }

    /// The first look at what was `loaded` for `key` after [`Parts::cached`] missed at `now`
    /// ([`Cache::first_look`]): the token if it is fresh, else the record to refresh from.
    pub fn first_look<E>(
        &self,
        loaded: Result<Option<Record<R>>, E>,
        key: &str,
        token: KeptToken,
        now: u64,
    ) -> Result<FirstLook<R>, KeeperError>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        (self.shared.cache).first_look(loaded, &self.settings, key, token, now)
    }

    /// The per-key locks.
    pub fn queue(&self) -> &Arc<Queue<L>> {
        &self.shared.queue
    }

    /// The fresh tokens.
    pub fn cache(&self) -> &Cache<R> {
        &self.shared.cache
    }

    /// Forgets what this process knows of the record under `key` (its cached tokens, its
    /// installer): the next call reads the store.
    pub fn invalidate(&self, key: &str) {
        self.shared.cache.invalidate(key);
        self.shared.installers.invalidate(key);
    }
}

impl<C, S, L> Parts<C, S, Installation, L> {
    /// The errand of a keeper's `token(key, token_type)` now, with the installers learnt.
    pub fn token<'a>(&'a self, key: &'a str, token_type: TokenType) -> Token<'a> {
        let (installers, margin) = (&self.shared.installers, self.settings.margin);
        Token::new(key, token_type, installers, margin, self.now())
    }
}

impl<C, S, R: Renewable, L> Clone for Parts<C, S, R, L> {
    fn clone(&self) -> Self {
        Parts {
            shared: Arc::clone(&self.shared),
            settings: self.settings.clone(),
            clock: Arc::clone(&self.clock),
            bound: self.bound,
        }
    }
}

impl<C: fmt::Debug, S, R: Renewable, L> fmt::Debug for Parts<C, S, R, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parts")
            .field("client", &self.shared.client)
            .field("settings", &self.settings)
            .finish()
    }
}

/// Writes what a transport's keeper `$keeper<R, S>` has that only touches its [`Parts`], once
/// for every transport: `Clone` (clones share the parts, see [`Parts`]), `Debug`, and the
/// methods `with_clock`, `with_margin`, `with_lease`, `with_wait`, `store`, `client` and
/// `invalidate`. For a keeper that is a tuple struct over [`Parts`] (field `0`) with client
/// type `$client`.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use slack_oauth_core::keeper::{Parts, Renewable, Slot};
/// use slack_oauth_core::{Installation, MemoryStore};
///
/// /// A keeper of one's own, over a client of one's own.
/// pub struct Keeper<R: Renewable, S>(Parts<String, S, R, Mutex<Slot<R>>>);
///
/// slack_oauth_core::keeper_parts!(Keeper, String);
///
/// let store = MemoryStore::<Installation>::new();
/// let parts = Parts::new("client".to_owned(), store, "me", Arc::new(|| 7));
/// let keeper: Keeper<Installation, _> = Keeper(parts).with_margin(60).with_clock(|| 42);
/// assert_eq!((keeper.client().as_str(), keeper.0.now()), ("client", 42));
/// assert_eq!(keeper.clone().0.settings().margin, 60);
/// assert!(format!("{keeper:?}").starts_with("Keeper(Parts { client: \"client\""));
/// ```
#[macro_export]
macro_rules! keeper_parts {
    ($keeper:ident, $client:ty) => {
        impl<R: $crate::keeper::Renewable, S> ::std::clone::Clone for $keeper<R, S> {
            fn clone(&self) -> Self {
                $keeper(self.0.clone())
            }
        }

        impl<R: $crate::keeper::Renewable, S> ::std::fmt::Debug for $keeper<R, S> {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_tuple(stringify!($keeper)).field(&self.0).finish()
            }
        }

        impl<R: $crate::keeper::Renewable, S> $keeper<R, S> {
            /// Reads the time from `clock` (Unix seconds) instead of the system clock.
            pub fn with_clock(self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
                $keeper(self.0.with_clock(clock))
            }

            /// Refreshes `seconds` before expiry (capped at half the token's lifetime): the
            /// settings' `margin`.
            pub fn with_margin(self, seconds: u64) -> Self {
                $keeper(self.0.with_margin(seconds))
            }

            /// How long the leases this keeper takes last, in seconds: the settings' `lease`.
            /// Keep it well above the client's timeout, and the same for all keepers sharing
            /// a store.
            pub fn with_lease(self, seconds: u64) -> Self {
                $keeper(self.0.with_lease(seconds))
            }

            /// How long a call waits for other holders' leases in all before it fails with
            /// `KeeperError::Busy`: the settings' `wait`.
            pub fn with_wait(self, wait: ::std::time::Duration) -> Self {
                $keeper(self.0.with_wait(wait))
            }

            /// The store.
            pub fn store(&self) -> &S {
                self.0.store()
            }

            /// The client refreshes go through.
            pub fn client(&self) -> &$client {
                self.0.client()
            }

            /// Forgets what this process knows of `key` (its cached tokens, the installer
            /// learnt from its bot record), e.g. after a reinstall stored by another process:
            /// the next call reads the store.
            pub fn invalidate(&self, key: &str) {
                self.0.invalidate(key);
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::keeper::Slot;
    use crate::memory_store::MemoryStore;
    use crate::oauth_v2::AccessResponse;
    use crate::store::Store;

    const START: u64 = 1_700_000_000;
    /// What the test's bound reads (a `Bound` is a plain `fn`, so it reads a static).
    static BOUND: AtomicU64 = AtomicU64::new(0);

    fn bound() -> Option<u64> {
        Some(BOUND.load(Ordering::Relaxed))
    }

    type TestParts = Parts<(), MemoryStore<Installation>, Installation, Mutex<Slot<Installation>>>;

    /// Parts on the clock `now`, holding a bot token that is fresh until `START + 600` (it
    /// lives 1,200 s; the margin is capped at half of that), cached by a first look.
    fn parts(now: &Arc<AtomicU64>) -> TestParts {
        let answer: AccessResponse = serde_json::from_str(
            r#"{"access_token":"xoxe.xoxb-1-A","token_type":"bot","expires_in":1200,
                "refresh_token":"xoxe-1-R","team":{"id":"T1"}}"#,
        )
        .unwrap();
        let store = MemoryStore::new();
        store
            .put("T1", &Installation::from_access(answer, START).unwrap())
            .unwrap();
        let clock = Arc::clone(now);
        let parts = Parts::new(
            (),
            store,
            "test",
            Arc::new(move || clock.load(Ordering::Relaxed)),
        );
        let loaded = parts.store().load("T1");
        let cache = parts.cache();
        cache
            .check(loaded, parts.settings(), "T1", KeptToken::Bot, START)
            .unwrap();
        parts
    }

    #[test]
    fn the_bound_answers_first_and_the_clock_decides_when_it_says_no() {
        let now = Arc::new(AtomicU64::new(START + 10));
        let parts = parts(&now).with_bound(bound);
        BOUND.store(START + 12, Ordering::Relaxed);
        assert!(
            parts.cached("T1", KeptToken::Bot).is_ok(),
            "fresh at the bound"
        );
        // The bound is past the margin, the exact clock is not: still fresh.
        BOUND.store(START + 600, Ordering::Relaxed);
        now.store(START + 599, Ordering::Relaxed);
        assert!(
            parts.cached("T1", KeptToken::Bot).is_ok(),
            "fresh on the clock"
        );
        // Both past it: the caller goes on with the exact time.
        now.store(START + 600, Ordering::Relaxed);
        assert_eq!(parts.cached("T1", KeptToken::Bot).err(), Some(START + 600));
        assert_eq!(parts.cached("T1", KeptToken::User).err(), Some(START + 600));
    }

    #[test]
    fn a_clock_of_its_own_drops_the_bound() {
        let now = Arc::new(AtomicU64::new(START + 10));
        // A bound made for another clock, which calls this token fresh: it is not asked.
        let parts = parts(&now).with_bound(|| Some(START));
        assert!(parts.cached("T1", KeptToken::Bot).is_ok());
        let parts = parts.with_clock(|| START + 700);
        assert_eq!(parts.cached("T1", KeptToken::Bot).err(), Some(START + 700));
    }

    #[test]
    fn the_coarse_bound_adds_its_slack() {
        assert_eq!(coarse_bound(1_700_000_000), Some(1_700_000_002));
        assert_eq!(coarse_bound(-1), None);
        assert_eq!(coarse_bound(i64::MAX), Some(i64::MAX as u64 + 2));
    }
}
