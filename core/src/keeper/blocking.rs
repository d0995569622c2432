//! [`Keeper`]: the blocking keeper, over any [`HttpClient`] and [`Store`].

use std::fmt;
use std::time::Duration;

use crate::config_tokens::ConfigTokens;
use crate::installation_key::{InstallationKey, StoredToken};
use crate::installations::{Installation, TokenType};
use crate::keeper::cache::FirstLook;
use crate::keeper::errand::{
    Answer, Ask, DeleteUser, Errand, Install, Listing, Uninstall, UserTokenLookup,
};
use crate::keeper::lookup::Lookup;
use crate::keeper::parts::{self, Parts};
use crate::keeper::queue::Turn;
use crate::keeper::{found, KeeperError, KeptToken, Machine, Outcome, Renewable, Settings, Step};
use crate::secrets::{AccessToken, ConfigToken};
use crate::store_traits::Store;
use crate::transport::HttpClient;

/// Keeps tokens stored in `S` alive, refreshing through the blocking client `C`: loads,
/// decides, refreshes once per key when due, stores the result, and hands out the current
/// token. `slack_oauth_ureq::Keeper` is this keeper over ureq.
///
/// `R` is what is kept: [`Installation`] or [`ConfigTokens`]. Clones share the store, the
/// caches and the per-key locks; give every thread a clone (or an `&`). Keepers in other
/// processes (or other keepers in this one) coordinate through the store's leases. `Debug`
/// shows the client and the settings, never a token.
///
/// ```
/// use std::sync::Arc;
/// use http::{Request, Response};
/// use slack_oauth_core::keeper::Keeper;
/// use slack_oauth_core::transport::{Error, HttpClient};
/// use slack_oauth_core::{Api, Installation, MemoryStore};
///
/// struct Offline(Api);
///
/// impl HttpClient for Offline {
///     fn api(&self) -> &Api {
///         &self.0
///     }
///     fn send(&self, _: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Error> {
///         Err(Error::Timeout)
///     }
///     fn now(&self) -> u64 {
///         1_700_000_000
///     }
///     fn sleep(&self, pause: std::time::Duration) {
///         std::thread::sleep(pause);
///     }
/// }
///
/// let keeper = Keeper::new(Offline(Api::new()), Arc::new(MemoryStore::<Installation>::new()));
/// let missing = keeper.bot_token("A1//T1/bot").unwrap_err();
/// assert!(!missing.needs_reinstall(), "not installed: {missing}");
/// ```
pub struct Keeper<C, R: Renewable, S> {
    parts: Parts<C, S, R>,
}

impl<C, R: Renewable, S> Keeper<C, R, S> {
    /// A keeper refreshing through `client`, storing in `store`, on the client's clock, with
    /// [`Settings::numbered`] (a holder naming this process).
    pub fn new(client: C, store: S) -> Keeper<C, R, S> {
        let holder = parts::holder("keeper");
        Keeper {
            parts: Parts::new(client, store, &holder),
        }
    }

    /// Reads the time from `clock` (Unix seconds) instead of the client's clock.
    pub fn with_clock(self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        let parts = self.parts.with_clock(clock);
        Keeper { parts }
    }

    /// Refreshes `seconds` before expiry (capped at half the token's lifetime):
    /// [`Settings::margin`].
    pub fn with_margin(self, seconds: u64) -> Self {
        let parts = self.parts.with_margin(seconds);
        Keeper { parts }
    }

    /// How long the leases this keeper takes last, in seconds: [`Settings::lease`]. Keep it
    /// well above the client's timeout, and the same for all keepers sharing a store.
    pub fn with_lease(self, seconds: u64) -> Self {
        let parts = self.parts.with_lease(seconds);
        Keeper { parts }
    }

    /// How long a call waits for other holders' leases in all before it fails with
    /// [`KeeperError::Busy`]: [`Settings::wait`].
    pub fn with_wait(self, wait: Duration) -> Self {
        let parts = self.parts.with_wait(wait);
        Keeper { parts }
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.parts.settings
    }

    /// The store.
    pub fn store(&self) -> &S {
        self.parts.store()
    }

    /// The client refreshes go through.
    pub fn client(&self) -> &C {
        self.parts.client()
    }

    /// Forgets what this process knows of `key` (its cached tokens, the installer learnt
    /// from its bot record), e.g. after a reinstall stored by another process: the next call
    /// reads the store.
    pub fn invalidate(&self, key: &str) {
        self.parts.invalidate(key);
    }
}

impl<C: HttpClient, R: Renewable, S: Store<R>> Keeper<C, R, S> {
    /// Stores `value` under `key`, replacing whatever is there (an install or reinstall).
    pub fn save(&self, key: &str, value: &R) -> Result<(), KeeperError> {
        self.invalidate(key);
        let stored = self.store().put(key, value);
        stored.map(drop).map_err(KeeperError::store)
    }

    /// What is stored under `key`, as it is (no refresh).
    pub fn load(&self, key: &str) -> Result<R, KeeperError> {
        found(key, self.store().load(key))
    }

    /// Removes what is stored under `key` (`app_uninstalled`); says whether there was any.
    pub fn delete(&self, key: &str) -> Result<bool, KeeperError> {
        self.invalidate(key);
        self.store().delete(key).map_err(KeeperError::store)
    }

    /// The `token` stored under `key`, refreshed first if it is due. Concurrent callers for
    /// one key share one refresh; callers for other keys never wait on it.
    pub fn get(&self, key: &str, token: KeptToken) -> Result<R::Token, KeeperError> {
        let client = self.client();
        let cached = (self.parts).cached(key, token, || client.now(), || client.not_behind());
        let now = match cached {
            Ok(fresh) => return Ok(fresh), // not due: no store round trip
            Err(now) => now,
        };
        let loaded = self.store().load(key);
        let record = match self.parts.first_look(loaded, key, token, now)? {
            FirstLook::Fresh(fresh) => return Ok(fresh),
            FirstLook::Due(record) => record,
        };
        // Dropping the place leaves the line, also when the run panics. The key's lock is
        // held across the refresh call on purpose (only callers of this key wait on it).
        let place = self.parts.queue().enter(key);
        let ticket = place.finished();
        let mut turn = Turn::new(&place, ticket, place.lock().lock());
        let behind = turn.behind();
        let mut machine = Machine::new(turn.state(), &self.parts.settings, key, token, behind);
        if !behind {
            machine.start_from(record, self.now()); // no second load of the same record
        }
        loop {
            let outcome = match machine.step() {
                Step::Load => Outcome::loaded(self.store().load(key)),
                Step::Swap { from, value, lease } => {
                    Outcome::swapped(self.store().compare_and_swap(key, Some(from), value, lease))
                }
                Step::Call(request) => Outcome::Called(client.call(request)),
                Step::Wait(pause) => {
                    client.sleep(pause);
                    Outcome::Waited
                }
                Step::Done(result) => return result,
            };
            machine.handle(outcome, self.now());
        }
    }

    fn now(&self) -> u64 {
        self.parts.now(|| self.client().now())
    }
}

impl<C: HttpClient, S: Store<Installation>> Keeper<C, Installation, S> {
    /// Stores a new installation: its bot record and the installing user's; other users'
    /// records stay. Returns the first record's key.
    pub fn install(&self, installation: &Installation) -> Result<String, KeeperError> {
        self.run(Install::new(installation))
    }

    /// The bot or user token under `key` ([`Keeper::bot_token`], [`Keeper::user_token`]).
    pub fn token(&self, key: &str, token_type: TokenType) -> Result<AccessToken, KeeperError> {
        match token_type {
            TokenType::Bot => self.get(key, KeptToken::Bot), // nothing to look up
            TokenType::User => self.run(self.user_token_lookup(key)),
        }
    }

    /// The bot token of the record under `key`, refreshed first if due.
    pub fn bot_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        self.get(key, KeptToken::Bot)
    }

    /// The user token of the record under `key`, refreshed first if due; under a bot
    /// record's key (what [`Keeper::install`] returns), the last installer's.
    pub fn user_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        self.token(key, TokenType::User)
    }

    /// The bot token of `key`'s workspace, else of its org's org-wide install.
    pub fn find_bot_token(&self, key: &InstallationKey) -> Result<AccessToken, KeeperError> {
        self.run(Lookup::new(key, KeptToken::Bot))
    }

    /// The token of `key`'s user in that workspace, else in its org's org-wide install.
    pub fn find_user_token(&self, key: &InstallationKey) -> Result<AccessToken, KeeperError> {
        self.run(Lookup::new(key, KeptToken::User))
    }

    /// Removes the tokens of `key`'s user (`tokens_revoked`); says whether there were any.
    pub fn delete_user(&self, key: &InstallationKey) -> Result<bool, KeeperError> {
        self.run(DeleteUser::new(key))
    }

    /// Removes the whole installation `key` names, the bot's and every user's record
    /// (`app_uninstalled`). Returns how many records went.
    pub fn uninstall(&self, key: &InstallationKey) -> Result<usize, KeeperError> {
        self.run(Uninstall::new(key))
    }

    /// The keys and expiry times of the tokens stored under keys starting with `prefix`
    /// (`""` for all, [`InstallationKey::prefix`] for one installation); never the tokens.
    pub fn stored(&self, prefix: &str) -> Result<Vec<StoredToken>, KeeperError> {
        self.run(Listing::new(prefix))
    }

    fn user_token_lookup<'a>(&'a self, key: &'a str) -> UserTokenLookup<'a> {
        (self.parts).user_token(key, TokenType::User, self.now())
    }

    /// Performs what an installation errand asks, blocking, until it is done.
    fn run<E: Errand>(&self, mut errand: E) -> Result<E::Output, KeeperError> {
        loop {
            let answer = match errand.ask() {
                Ask::Get(key, token) => Answer::Got(self.get(key, token)),
                Ask::Load(key) => Answer::loaded(self.store().load(key)),
                Ask::List(prefix) => Answer::listed(self.store().keys(prefix)),
                Ask::Save(key, record) => Answer::Saved(self.save(key, record)),
                Ask::Delete(key) => Answer::Deleted(self.delete(key)),
                Ask::Done(result) => return result,
            };
            errand.answer(answer);
        }
    }
}

impl<C: HttpClient, S: Store<ConfigTokens>> Keeper<C, ConfigTokens, S> {
    /// The app configuration token under `key`, rotated first (`tooling.tokens.rotate`) if due.
    pub fn config_token(&self, key: &str) -> Result<ConfigToken, KeeperError> {
        self.get(key, KeptToken::Configuration)
    }
}

impl<C, R: Renewable, S> Clone for Keeper<C, R, S> {
    fn clone(&self) -> Self {
        let parts = self.parts.clone();
        Keeper { parts }
    }
}

impl<C: fmt::Debug, R: Renewable, S> fmt::Debug for Keeper<C, R, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.parts.debug("Keeper", f)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::memory_store::MemoryStore;
    use crate::oauth_v2::AccessResponse;
    use crate::transport::Error;
    use crate::Api;

    const START: u64 = 1_700_000_000;

    /// A client that never reaches Slack, whose clock and cheap bound the test sets.
    #[derive(Debug)]
    struct Clocks {
        api: Api,
        now: Arc<AtomicU64>,
        bound: Arc<AtomicU64>,
    }

    impl HttpClient for Clocks {
        fn api(&self) -> &Api {
            &self.api
        }

        fn send(&self, _: http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, Error> {
            Err(Error::Timeout)
        }

        fn now(&self) -> u64 {
            self.now.load(Ordering::Relaxed)
        }

        fn not_behind(&self) -> Option<u64> {
            Some(self.bound.load(Ordering::Relaxed))
        }

        fn sleep(&self, _: Duration) {
            unreachable!("a fresh token needs no wait");
        }
    }

    type TestKeeper = Keeper<Clocks, Installation, MemoryStore<Installation>>;

    /// A keeper holding a bot token that is fresh until `START + 600` (it lives 1,200 s; the
    /// margin is capped at half of that), cached by a first call; and its clocks.
    fn keeper() -> (TestKeeper, Arc<AtomicU64>, Arc<AtomicU64>) {
        let answer: AccessResponse = serde_json::from_str(
            r#"{"access_token":"xoxe.xoxb-1-A","token_type":"bot","expires_in":1200,
                "refresh_token":"xoxe-1-R","team":{"id":"T1"}}"#,
        )
        .unwrap();
        let (now, bound) = (Arc::new(AtomicU64::new(START)), Arc::new(AtomicU64::new(0)));
        let client = Clocks {
            api: Api::new(),
            now: Arc::clone(&now),
            bound: Arc::clone(&bound),
        };
        let keeper = Keeper::new(client, MemoryStore::new());
        let installed = Installation::from_access(answer, START).unwrap();
        keeper.save("T1", &installed).unwrap();
        keeper.bot_token("T1").unwrap();
        (keeper, now, bound)
    }

    fn cached(keeper: &TestKeeper, token: KeptToken) -> Result<AccessToken, u64> {
        let client = keeper.client();
        (keeper.parts).cached("T1", token, || client.now(), || client.not_behind())
    }

    #[test]
    fn the_bound_answers_first_and_the_clock_decides_when_it_says_no() {
        let (keeper, now, bound) = keeper();
        now.store(START + 10, Ordering::Relaxed);
        bound.store(START + 12, Ordering::Relaxed);
        assert!(
            cached(&keeper, KeptToken::Bot).is_ok(),
            "fresh at the bound"
        );
        // The bound is past the margin, the exact clock is not: still fresh.
        bound.store(START + 600, Ordering::Relaxed);
        now.store(START + 599, Ordering::Relaxed);
        assert!(
            cached(&keeper, KeptToken::Bot).is_ok(),
            "fresh on the clock"
        );
        // Both past it: the caller goes on with the exact time.
        now.store(START + 600, Ordering::Relaxed);
        assert_eq!(cached(&keeper, KeptToken::Bot).err(), Some(START + 600));
        assert_eq!(cached(&keeper, KeptToken::User).err(), Some(START + 600));
    }

    #[test]
    fn a_clock_of_its_own_drops_the_bound() {
        let (keeper, now, bound) = keeper();
        now.store(START + 10, Ordering::Relaxed);
        // The client's bound calls this token fresh: it is not asked for another clock.
        bound.store(START, Ordering::Relaxed);
        assert!(cached(&keeper, KeptToken::Bot).is_ok());
        let keeper = keeper.with_clock(|| START + 700);
        assert_eq!(cached(&keeper, KeptToken::Bot).err(), Some(START + 700));
        let shown = format!("{:?}", keeper.clone());
        assert!(shown.starts_with("Keeper { client: Clocks"), "{shown}");
    }
}
