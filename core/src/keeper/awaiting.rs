//! [`AsyncKeeper`]: the async keeper, over any [`AsyncHttpClient`] and [`AsyncStore`].

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
use crate::keeper::queue::{KeyLock, Place, Turn};
use crate::keeper::{
    found, KeeperError, KeptToken, KeyState, Machine, Outcome, Renewable, Settings, Step,
};
use crate::method_trait::Method;
use crate::secrets::{AccessToken, ConfigToken};
use crate::store_traits::{AsyncStore, Record};
use crate::transport::AsyncHttpClient;

/// Keeps tokens stored in `S`, any [`AsyncStore`] (so any blocking store in
/// [`Blocking`](crate::store::Blocking)), alive, refreshing through the async client `C`: the
/// [`Keeper`](crate::keeper::Keeper)'s protocol, awaiting instead of blocking.
/// `slack_oauth_hyper::Keeper` is this keeper over hyper and Tokio.
///
/// Each refresh runs as a task of its own, started with [`AsyncHttpClient::spawn`]: a caller
/// dropped mid-refresh (a timeout, a closed connection) does not lose Slack's answer, whose
/// refresh token is already spent; the task stores it, and callers queued behind it get it.
/// Clones share the store, the caches and the per-key locks. `Debug` shows the client and the
/// settings, never a token.
pub struct AsyncKeeper<C, R: Renewable, S> {
    parts: Parts<C, S, R>,
}

impl<C, R: Renewable, S> AsyncKeeper<C, R, S> {
    /// A keeper refreshing through `client`, storing in `store`, on the client's clock, with
    /// [`Settings::numbered`] (a holder naming this process).
    pub fn new(client: C, store: S) -> AsyncKeeper<C, R, S> {
        let holder = parts::holder("async keeper");
        AsyncKeeper {
            parts: Parts::new(client, store, &holder),
        }
    }

    /// Reads the time from `clock` (Unix seconds) instead of the client's clock.
    pub fn with_clock(self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        let parts = self.parts.with_clock(clock);
        AsyncKeeper { parts }
    }

    /// Refreshes `seconds` before expiry (capped at half the token's lifetime):
    /// [`Settings::margin`].
    pub fn with_margin(self, seconds: u64) -> Self {
        let parts = self.parts.with_margin(seconds);
        AsyncKeeper { parts }
    }

    /// How long the leases this keeper takes last, in seconds: [`Settings::lease`]. Keep it
    /// well above the client's timeout, and the same for all keepers sharing a store.
    pub fn with_lease(self, seconds: u64) -> Self {
        let parts = self.parts.with_lease(seconds);
        AsyncKeeper { parts }
    }

    /// How long a call waits for other holders' leases in all before it fails with
    /// [`KeeperError::Busy`]: [`Settings::wait`].
    pub fn with_wait(self, wait: Duration) -> Self {
        let parts = self.parts.with_wait(wait);
        AsyncKeeper { parts }
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

impl<C, R, S> AsyncKeeper<C, R, S>
where
    C: AsyncHttpClient + 'static,
    R: Renewable<Token: Send + Sync, Refresh: Send + Sync + Method<Response: Send + Sync>>,
    R: Send + Sync + 'static,
    S: AsyncStore<R> + Send + Sync + 'static,
{
    /// Stores `value` under `key`, replacing whatever is there (an install or reinstall).
    pub async fn save(&self, key: &str, value: &R) -> Result<(), KeeperError> {
        self.invalidate(key);
        let stored = AsyncStore::put(self.store(), key, value).await;
        stored.map(drop).map_err(KeeperError::store)
    }

    /// What is stored under `key`, as it is (no refresh).
    pub async fn load(&self, key: &str) -> Result<R, KeeperError> {
        found(key, AsyncStore::load(self.store(), key).await)
    }

    /// Removes what is stored under `key` (`app_uninstalled`); says whether there was any.
    pub async fn delete(&self, key: &str) -> Result<bool, KeeperError> {
        self.invalidate(key);
        let deleted = AsyncStore::delete(self.store(), key).await;
        deleted.map_err(KeeperError::store)
    }

    /// The `token` under `key`, refreshed first if due; dropping the future does not stop
    /// the refresh.
    pub async fn get(&self, key: &str, token: KeptToken) -> Result<R::Token, KeeperError> {
        let client = self.client();
        let cached = (self.parts).cached(key, token, || client.now(), || client.not_behind());
        let (loaded, now) = match cached {
            Ok(fresh) => return Ok(fresh), // not due: no store round trip
            Err(now) => (AsyncStore::load(self.store(), key).await, now),
        };
        let record = match self.parts.first_look(loaded, key, token, now)? {
            FirstLook::Fresh(fresh) => return Ok(fresh),
            FirstLook::Due(record) => record,
        };
        let place = self.parts.queue().enter(key);
        let run = self
            .client()
            .spawn(self.clone().refresh(place, token, record));
        match run.await {
            Some(result) => result,
            None => Err(KeeperError::Cancelled { key: key.into() }),
        }
    }

    /// The run under the key's lock, as a task of its own: it owns the place and its turn,
    /// so callers queue behind it even if the caller that started it goes away. A function
    /// of its own so that the task's type borrows nothing from the caller (`key`).
    fn refresh(
        self,
        place: Place<KeyLock<KeyState<R>>>,
        token: KeptToken,
        record: Record<R>,
    ) -> impl std::future::Future<Output = Result<R::Token, KeeperError>> + Send + 'static {
        let ticket = place.finished();
        async move {
            let mut turn = Turn::new(&place, ticket, place.lock().acquire().await);
            let behind = turn.behind();
            let settings = &self.parts.settings;
            let mut machine = Machine::new(turn.state(), settings, place.key(), token, behind);
            if !behind {
                machine.start_from(record, self.now()); // no second load of the same record
            }
            self.drive(machine).await
        }
    }

    /// Performs what the machine asks, awaiting each, until it is done.
    async fn drive(
        &self,
        mut machine: Machine<R, &mut KeyState<R>>,
    ) -> Result<R::Token, KeeperError> {
        let (store, key) = (self.store(), machine.key().to_owned());
        loop {
            let outcome = match machine.step() {
                Step::Done(result) => return result,
                Step::Wait(pause) => {
                    self.client().sleep(pause).await;
                    Outcome::Waited
                }
                Step::Call(request) => Outcome::Called(self.client().call(request).await),
                Step::Load => Outcome::loaded(AsyncStore::load(store, &key).await),
                Step::Swap { from, value, lease } => {
                    let swapped =
                        AsyncStore::compare_and_swap(store, &key, Some(from), value, lease);
                    Outcome::swapped(swapped.await)
                }
            };
            machine.handle(outcome, self.now());
        }
    }

    fn now(&self) -> u64 {
        self.parts.now(|| self.client().now())
    }
}

impl<C, S> AsyncKeeper<C, Installation, S>
where
    C: AsyncHttpClient + 'static,
    S: AsyncStore<Installation> + Send + Sync + 'static,
{
    /// Stores a new installation: its bot record and the installing user's; other users'
    /// records stay. Returns the first record's key.
    pub async fn install(&self, installation: &Installation) -> Result<String, KeeperError> {
        self.run(Install::new(installation)).await
    }

    /// The bot or user token under `key` ([`AsyncKeeper::bot_token`],
    /// [`AsyncKeeper::user_token`]).
    pub async fn token(&self, key: &str, kind: TokenType) -> Result<AccessToken, KeeperError> {
        match kind {
            TokenType::Bot => self.get(key, KeptToken::Bot).await, // nothing to look up
            TokenType::User => self.run(self.user_token_lookup(key)).await,
        }
    }

    /// The bot token of the record under `key`, refreshed first if due.
    pub async fn bot_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        self.get(key, KeptToken::Bot).await
    }

    /// The user token of the record under `key`, refreshed first if due; under a bot
    /// record's key (what [`AsyncKeeper::install`] returns), the last installer's.
    pub async fn user_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        self.token(key, TokenType::User).await
    }

    /// The bot token of `key`'s workspace, else of its org's org-wide install.
    pub async fn find_bot_token(&self, key: &InstallationKey) -> Result<AccessToken, KeeperError> {
        self.run(Lookup::new(key, KeptToken::Bot)).await
    }

    /// The token of `key`'s user in that workspace, else in its org's org-wide install.
    pub async fn find_user_token(&self, key: &InstallationKey) -> Result<AccessToken, KeeperError> {
        self.run(Lookup::new(key, KeptToken::User)).await
    }

    /// Removes the tokens of `key`'s user (`tokens_revoked`); says whether there were any.
    pub async fn delete_user(&self, key: &InstallationKey) -> Result<bool, KeeperError> {
        self.run(DeleteUser::new(key)).await
    }

    /// Removes the whole installation `key` names, the bot's and every user's record
    /// (`app_uninstalled`). Returns how many records went.
    pub async fn uninstall(&self, key: &InstallationKey) -> Result<usize, KeeperError> {
        self.run(Uninstall::new(key)).await
    }

    /// The keys and expiry times of the tokens stored under keys starting with `prefix`
    /// (`""` for all, [`InstallationKey::prefix`] for one installation); never the tokens.
    pub async fn stored(&self, prefix: &str) -> Result<Vec<StoredToken>, KeeperError> {
        self.run(Listing::new(prefix)).await
    }

    fn user_token_lookup<'a>(&'a self, key: &'a str) -> UserTokenLookup<'a> {
        (self.parts).user_token(key, TokenType::User, self.now())
    }

    /// Performs what an installation errand asks, awaiting each, until it is done.
    async fn run<E: Errand + Sync>(&self, mut errand: E) -> Result<E::Output, KeeperError> {
        let store = self.store();
        loop {
            let answer = match errand.ask() {
                Ask::Get(key, token) => Answer::Got(self.get(key, token).await),
                Ask::Load(key) => Answer::loaded(AsyncStore::load(store, key).await),
                Ask::List(prefix) => Answer::listed(AsyncStore::keys(store, prefix).await),
                Ask::Save(key, record) => Answer::Saved(self.save(key, record).await),
                Ask::Delete(key) => Answer::Deleted(self.delete(key).await),
                Ask::Done(result) => return result,
            };
            errand.answer(answer);
        }
    }
}

impl<C, S> AsyncKeeper<C, ConfigTokens, S>
where
    C: AsyncHttpClient + 'static,
    S: AsyncStore<ConfigTokens> + Send + Sync + 'static,
{
    /// The app configuration token under `key`, rotated first (`tooling.tokens.rotate`) if due.
    pub async fn config_token(&self, key: &str) -> Result<ConfigToken, KeeperError> {
        self.get(key, KeptToken::Configuration).await
    }
}

impl<C, R: Renewable, S> Clone for AsyncKeeper<C, R, S> {
    fn clone(&self) -> Self {
        let parts = self.parts.clone();
        AsyncKeeper { parts }
    }
}

impl<C: fmt::Debug, R: Renewable, S> fmt::Debug for AsyncKeeper<C, R, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.parts.debug("AsyncKeeper", f)
    }
}
