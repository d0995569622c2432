//! [`Parts`]: what both keepers are made of, and what they do alike that touches no client:
//! the settings, the clock, the fresh path through the [`TokenCache`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::installations::{Installation, TokenType};
use crate::keeper::cache::{FirstLook, TokenCache};
use crate::keeper::errand::UserTokenLookup;
use crate::keeper::installers::InstallerCache;
use crate::keeper::queue::{KeyLock, Queue};
use crate::keeper::{Clock, KeeperError, KeptToken, KeyState, Renewable, Settings};
use crate::store_traits::Record;

/// A keeper's client `C`, store `S`, per-key locks, caches, settings and clock. Clones
/// share everything but the settings and the clock, which each clone's builder methods
/// change for itself.
pub(crate) struct Parts<C, S, R: Renewable> {
    shared: Arc<Shared<C, S, R>>,
    pub(crate) settings: Settings,
    /// The clock set with `with_clock`; `None`: the client's, and its cheap bound.
    clock: Option<Clock>,
}

/// The holder prefix of a keeper of `kind` (`"keeper"`, `"async keeper"`): with this process's
/// id, which tells processes sharing a store apart in leases. WebAssembly has no process ids
/// (asking panics there), so a keeper in a WASM host is told apart by its number alone.
pub(crate) fn holder(kind: &str) -> String {
    #[cfg(not(target_family = "wasm"))]
    return format!("pid {} {kind}", std::process::id());
    #[cfg(target_family = "wasm")]
    return format!("wasm {kind}");
}

struct Shared<C, S, R: Renewable> {
    client: C,
    store: S,
    queue: Arc<Queue<KeyLock<KeyState<R>>>>,
    cache: TokenCache<R>,
    installers: InstallerCache,
}

impl<C, S, R: Renewable> Parts<C, S, R> {
    /// Parts over `client` and `store`, with [`Settings::numbered`]`(holder)` and the client's
    /// clock.
    pub(crate) fn new(client: C, store: S, holder: &str) -> Parts<C, S, R> {
        Parts {
            shared: Arc::new(Shared {
                client,
                store,
                queue: Arc::new(Queue::new()),
                cache: TokenCache::new(),
                installers: InstallerCache::new(),
            }),
            settings: Settings::numbered(holder),
            clock: None,
        }
    }

    pub(crate) fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    pub(crate) fn with_margin(mut self, seconds: u64) -> Self {
        self.settings.margin = seconds;
        self
    }

    pub(crate) fn with_lease(mut self, seconds: u64) -> Self {
        self.settings.lease = seconds;
        self
    }

    pub(crate) fn with_wait(mut self, wait: Duration) -> Self {
        self.settings.wait = wait;
        self
    }

    pub(crate) fn client(&self) -> &C {
        &self.shared.client
    }

    pub(crate) fn store(&self) -> &S {
        &self.shared.store
    }

    pub(crate) fn queue(&self) -> &Arc<Queue<KeyLock<KeyState<R>>>> {
        &self.shared.queue
    }

    /// The time now: the clock set with `with_clock`, else `client_now`.
    pub(crate) fn now(&self, client_now: impl FnOnce() -> u64) -> u64 {
        match &self.clock {
            Some(clock) => clock(),
            None => client_now(),
        }
    }

    /// The cached `token` of `key` while it is fresh (no store round trip), else the time
    /// now to go on with. Without a clock of its own, a fresh token is checked against the
    /// client's cheap `bound` first, and against its clock only when the bound says no: near
    /// the margin, or on a miss.
    pub(crate) fn cached(
        &self,
        key: &str,
        token: KeptToken,
        client_now: impl FnOnce() -> u64,
        bound: impl FnOnce() -> Option<u64>,
    ) -> Result<R::Token, u64> {
        let cache = &self.shared.cache;
        let soon = match self.clock {
            None => bound(),
            Some(_) => None, // a bound holds for the client's clock, not for another
        };
        if let Some(fresh) = soon.and_then(|soon| cache.get(key, token, soon)) {
            return Ok(fresh);
        }
        let now = self.now(client_now);
        cache.get(key, token, now).ok_or(now)
    }

    /// The first look at what was `loaded` for `key` after [`Parts::cached`] missed at `now`:
    /// the token if it is fresh (and cached), else the record to refresh from.
    pub(crate) fn first_look<E>(
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

    /// Forgets what this process knows of the record under `key` (its cached tokens, its
    /// installer): the next call reads the store.
    pub(crate) fn invalidate(&self, key: &str) {
        self.shared.cache.invalidate(key);
        self.shared.installers.invalidate(key);
    }
}

impl<C, S> Parts<C, S, Installation> {
    /// The look-up of a keeper's `token(key, token_type)` at `now`, with the installers
    /// learnt.
    pub(crate) fn user_token<'a>(
        &'a self,
        key: &'a str,
        token_type: TokenType,
        now: u64,
    ) -> UserTokenLookup<'a> {
        let (installers, margin) = (&self.shared.installers, self.settings.margin);
        UserTokenLookup::new(key, token_type, installers, margin, now)
    }
}

impl<C, S, R: Renewable> Clone for Parts<C, S, R> {
    fn clone(&self) -> Self {
        Parts {
            shared: Arc::clone(&self.shared),
            settings: self.settings.clone(),
            clock: self.clock.clone(),
        }
    }
}

impl<C: fmt::Debug, S, R: Renewable> Parts<C, S, R> {
    /// The `Debug` of a keeper named `name`: its client and settings, never a token.
    pub(crate) fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name)
            .field("client", &self.shared.client)
            .field("settings", &self.settings)
            .finish()
    }
}
