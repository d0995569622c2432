//! [`Keeper`]: async fresh tokens over core's [`Machine`]: key queue, refresh task, driving loop.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use slack_oauth_core::keeper::{
    Cache, Clock, FirstLook, Machine, Outcome, Queue, Settings, Slot, Step,
};
use slack_oauth_core::{
    AccessToken, AsyncStore, ConfigToken, ConfigTokens, Installation, InstallationKey, KeeperError,
    KeptToken, Method, Renewable, StoredToken, TokenType,
};
use tokio::sync::Mutex;

use crate::client::Client;

/// Keeps tokens stored in `S`, any [`AsyncStore`] (so any blocking store), alive inside a
/// Tokio runtime. Clones share the store and the per-key locks. Example in the crate docs.
pub struct Keeper<R: Renewable, S> {
    clock: Clock,
    opts: Settings,
    inner: Arc<Inner<R, S>>,
}

impl<R: Renewable, S> Clone for Keeper<R, S> {
    fn clone(&self) -> Self {
        let (inner, clock) = (Arc::clone(&self.inner), Arc::clone(&self.clock));
        let opts = self.opts.clone();
        Keeper { inner, clock, opts }
    }
}

impl<R: Renewable, S> fmt::Debug for Keeper<R, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Keeper").field(&self.opts).finish()
    }
}

/// The client, the store, the per-key lines and the fresh tokens, shared by clones.
struct Inner<R: Renewable, S>(Client, S, Arc<Queue<Mutex<Slot<R>>>>, Cache<R>);

impl<R, S> Keeper<R, S>
where
    R: Renewable<Token: Send + Sync, Refresh: Send + Sync + Method<Response: Send + Sync>>,
    R: Send + Sync + 'static,
    S: AsyncStore<R> + Send + Sync + 'static,
{
    /// A keeper over `client` and `store`, with the system clock and [`Settings::new`].
    pub fn new(client: Client, store: S) -> Keeper<R, S> {
        let holder = format!("pid {} async keeper", std::process::id());
        let inner = Arc::new(Inner(client, store, Arc::new(Queue::new()), Cache::new()));
        Keeper {
            inner,
            opts: Settings::numbered(&holder),
            clock: Arc::clone(&crate::clock::SYSTEM),
        }
    }

    /// Reads the time from `clock` (Unix seconds) instead of the system clock.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets [`Settings::margin`], seconds before expiry (at most half the token's lifetime).
    pub fn with_margin(self, seconds: u64) -> Self {
        self.tuned(|settings| settings.margin = seconds)
    }

    /// Sets [`Settings::lease`]: well above the client's timeout, the same for all keepers.
    pub fn with_lease(self, seconds: u64) -> Self {
        self.tuned(|settings| settings.lease = seconds)
    }

    /// Sets [`Settings::wait`], the wait for others' leases before [`KeeperError::Busy`].
    pub fn with_wait(self, wait: Duration) -> Self {
        self.tuned(|settings| settings.wait = wait)
    }

    fn tuned(mut self, change: impl FnOnce(&mut Settings)) -> Self {
        change(&mut self.opts);
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.inner.1
    }

    /// The client refreshes go through.
    pub fn client(&self) -> &Client {
        &self.inner.0
    }

    /// Stores `value` under `key`, replacing whatever is there (an install or reinstall).
    pub async fn save(&self, key: &str, value: &R) -> Result<(), KeeperError> {
        self.invalidate(key);
        let stored = AsyncStore::put(self.store(), key, value).await;
        stored.map(drop).map_err(KeeperError::store)
    }

    /// What is stored under `key`, as it is (no refresh).
    pub async fn load(&self, key: &str) -> Result<R, KeeperError> {
        let missing = KeeperError::NotFound { key: key.into() };
        let loaded = AsyncStore::load(self.store(), key).await;
        Ok(loaded.map_err(KeeperError::store)?.ok_or(missing)?.value)
    }

    /// Removes what is stored under `key` (`app_uninstalled`); says whether there was any.
    pub async fn delete(&self, key: &str) -> Result<bool, KeeperError> {
        self.invalidate(key);
        let deleted = AsyncStore::delete(self.store(), key).await;
        deleted.map_err(KeeperError::store)
    }

    /// Forgets the tokens of `key` cached in this process (see [`Cache`]).
    pub fn invalidate(&self, key: &str) {
        self.inner.3.invalidate(key);
    }

    /// The `token` under `key`, refreshed first if due; dropping the future does not stop it.
    pub async fn get(&self, key: &str, token: KeptToken) -> Result<R::Token, KeeperError> {
        let cached = &self.inner.3;
        // On the system clock a coarse reading never behind it answers nearly every fresh
        // call for a fraction of the cost; near the margin the exact clock decides.
        let soon = Arc::ptr_eq(&self.clock, &crate::clock::SYSTEM).then(crate::clock::not_behind);
        if let Some(fresh) = soon.flatten().and_then(|soon| cached.get(key, token, soon)) {
            return Ok(fresh);
        }
        let now = (self.clock)();
        let loaded = match cached.get(key, token, now) {
            Some(fresh) => return Ok(fresh),
            None => AsyncStore::load(self.store(), key).await,
        };
        let record = match cached.first_look(loaded, &self.opts, key, token, now)? {
            FirstLook::Fresh(fresh) => return Ok(fresh),
            FirstLook::Due(record) => record,
        };
        let place = self.inner.2.enter(key);
        let (ticket, keeper) = (place.finished(), self.clone());
        // The task owns the place and the lock: callers queue behind it even if we go away.
        let run = tokio::spawn(async move {
            let mut slot = place.lock().lock().await;
            let behind = place.finished() != ticket;
            let mut machine = Machine::new(&mut *slot, &keeper.opts, place.key(), token, behind);
            if !behind {
                machine.start_from(record, (keeper.clock)()); // no second load of the same record
            }
            let result = keeper.drive(machine).await;
            place.finish();
            result
        });
        match run.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(KeeperError::Cancelled { key: key.into() }),
        }
    }

    /// Performs what the machine asks, awaiting each, until it is done.
    async fn drive(&self, mut machine: Machine<R, &mut Slot<R>>) -> Result<R::Token, KeeperError> {
        let (store, key) = (self.store(), machine.key().to_owned());
        loop {
            let outcome = match machine.step() {
                Step::Done(result) => return result,
                Step::Wait(pause) => {
                    tokio::time::sleep(pause).await;
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
            machine.handle(outcome, (self.clock)());
        }
    }
}

impl<S: AsyncStore<Installation> + Send + Sync + 'static> Keeper<Installation, S> {
    /// Stores a new installation: its bot record and the installing user's record (see
    /// [`InstallationKey`] and [`Installation::records`]). A reinstall replaces the bot
    /// record and that user's record; other users' records stay. Returns the first record's
    /// key (the bot record's, or the user's for a user-only install).
    pub async fn install(&self, installation: &Installation) -> Result<String, KeeperError> {
        let records = installation.records();
        for (key, record) in &records {
            self.save(key, record).await?;
        }
        Ok(records
            .into_iter()
            .next()
            .map(|(key, _)| key)
            .unwrap_or_default())
    }

    /// The bot or user token of the record under `key`, refreshed first if due (for a user
    /// token under a bot record's key: the last installer's, see [`Keeper::user_token`]).
    pub async fn token(&self, key: &str, kind: TokenType) -> Result<AccessToken, KeeperError> {
        match kind {
            TokenType::Bot => self.bot_token(key).await,
            TokenType::User => self.user_token(key).await,
        }
    }

    /// The bot token of the record under `key`, refreshed first if due.
    pub async fn bot_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        self.get(key, KeptToken::Bot).await
    }

    /// The user token of the record under `key`, refreshed first if due. Under a bot
    /// record's key (what [`Keeper::install`] returns) it is the token of the user who
    /// installed last; [`Keeper::find_user_token`] names the user.
    pub async fn user_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        // Only a bot record's key needs a look at the record for its installer's own key;
        // any other key is asked directly, so a fresh token stays a cache hit.
        if InstallationKey::kept_token(key) != Some(KeptToken::Bot) {
            return self.get(key, KeptToken::User).await;
        }
        let loaded = AsyncStore::load(self.store(), key).await;
        let key = match loaded.map_err(KeeperError::store)? {
            Some(record) => record.value.user_record_for(key),
            None => key.to_owned(),
        };
        self.get(&key, KeptToken::User).await
    }

    /// The bot token of `key`'s workspace (`enterprise`, `team`), else of an org-wide
    /// install of its org, refreshed first if due.
    pub async fn find_bot_token(&self, key: &InstallationKey) -> Result<AccessToken, KeeperError> {
        self.find(key, KeptToken::Bot).await
    }

    /// The tokens of `key`'s user (`enterprise`, `team`, `user`) in that workspace, else in
    /// an org-wide install of its org, refreshed first if due.
    pub async fn find_user_token(&self, key: &InstallationKey) -> Result<AccessToken, KeeperError> {
        self.find(key, KeptToken::User).await
    }

    async fn find(
        &self,
        key: &InstallationKey,
        token: KeptToken,
    ) -> Result<AccessToken, KeeperError> {
        let missing = || KeeperError::NotFound {
            key: key.to_string(),
        };
        let record = key.record(token).ok_or_else(missing)?;
        match self.get(&record, token).await {
            Err(KeeperError::NotFound { .. }) if key.team.is_some() => {
                let org = key.org_wide().record(token).ok_or_else(missing)?;
                self.get(&org, token).await
            }
            result => result,
        }
    }

    /// Removes the tokens of `key`'s user (`tokens_revoked`); says whether there were any.
    pub async fn delete_user(&self, key: &InstallationKey) -> Result<bool, KeeperError> {
        match key.user_record() {
            Some(record) => self.delete(&record).await,
            None => Ok(false),
        }
    }

    /// Removes the whole installation `key` names, ignoring its user: the bot record and
    /// every user's (`app_uninstalled`). Returns how many records went.
    pub async fn uninstall(&self, key: &InstallationKey) -> Result<usize, KeeperError> {
        let keys = AsyncStore::keys(self.store(), &key.prefix()).await;
        let mut deleted = 0;
        for record in keys.map_err(KeeperError::store)? {
            deleted += usize::from(self.delete(&record).await?);
        }
        Ok(deleted)
    }

    /// The keys and expiry times of the tokens stored under keys starting with `prefix`
    /// (`""` for all, [`InstallationKey::prefix`] for one installation); never the tokens.
    pub async fn stored(&self, prefix: &str) -> Result<Vec<StoredToken>, KeeperError> {
        let keys = AsyncStore::keys(self.store(), prefix).await;
        let mut listed = Vec::new();
        for key in keys.map_err(KeeperError::store)? {
            // A record deleted since the listing is simply not listed.
            let loaded = AsyncStore::load(self.store(), &key).await;
            if let Some(record) = loaded.map_err(KeeperError::store)? {
                listed.extend(StoredToken::of(&key, &record.value));
            }
        }
        Ok(listed)
    }
}

impl<S: AsyncStore<ConfigTokens> + Send + Sync + 'static> Keeper<ConfigTokens, S> {
    /// The app configuration token under `key`, rotated first (`tooling.tokens.rotate`) if due.
    pub async fn config_token(&self, key: &str) -> Result<ConfigToken, KeeperError> {
        self.get(key, KeptToken::Configuration).await
    }
}
