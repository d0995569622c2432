//! [`Parts`]: what a transport's keeper is made of, defined once for every transport.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::installation::Installation;
use crate::installation::TokenType;
use crate::keeper::{Cache, Clock, Installers, Queue, Renewable, Settings, Token};

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
        }
    }
}

impl<C, S, R: Renewable, L> Parts<C, S, R, L> {
    /// Reads the time from `clock` (Unix seconds).
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
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
