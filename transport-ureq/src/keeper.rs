//! [`Keeper`]: always-fresh tokens. The refresh protocol is core's [`Machine`]; here are the
//! per-key queue (a std `Mutex` per key) and the loop driving the machine with blocking calls.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use slack_oauth_core::keeper::{
    Cache, Clock, FirstLook, Machine, Outcome, Queue, Settings, Slot, Step,
};
use slack_oauth_core::{
    AccessToken, ConfigToken, ConfigTokens, Installation, InstallationKey, KeeperError, KeptToken,
    Renewable, Store, StoredToken, TokenType,
};

use crate::client::Client;

/// Keeps tokens stored in `S` alive: loads, decides, refreshes once per installation when
/// due, stores the result, and hands out the current token (example in the crate docs).
///
/// `R` is what is kept: [`Installation`] or [`ConfigTokens`]. Clones share the store and
/// the per-key locks; give every thread a clone (or an `&`). Keepers in other processes (or
/// other keepers in this one) coordinate through the store's leases.
pub struct Keeper<R: Renewable, S> {
    shared: Arc<Shared<R, S>>,
    settings: Settings,
    clock: Clock,
}

/// What clones share: the client, the store, the per-key queue and the fresh tokens.
struct Shared<R: Renewable, S>(Client, S, Arc<Queue<Mutex<Slot<R>>>>, Cache<R>);

impl<R: Renewable, S> Clone for Keeper<R, S> {
    fn clone(&self) -> Self {
        Keeper {
            shared: Arc::clone(&self.shared),
            settings: self.settings.clone(),
            clock: Arc::clone(&self.clock),
        }
    }
}

impl<R: Renewable, S> fmt::Debug for Keeper<R, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = &mut f.debug_struct("Keeper");
        shown.field("client", &self.shared.0);
        shown.field("settings", &self.settings).finish()
    }
}

impl<R: Renewable, S: Store<R>> Keeper<R, S> {
    /// A keeper refreshing through `client`, storing in `store`, with [`Settings::new`].
    pub fn new(client: Client, store: S) -> Keeper<R, S> {
        let shared = Shared(client, store, Arc::new(Queue::new()), Cache::new());
        Keeper {
            shared: Arc::new(shared),
            settings: Settings::numbered(&format!("pid {} keeper", std::process::id())),
            clock: Arc::clone(&crate::clock::SYSTEM),
        }
    }

    /// Reads the time from `clock` (Unix seconds) instead of the system clock.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Refreshes `seconds` before expiry (capped at half the token's lifetime).
    pub fn with_margin(mut self, seconds: u64) -> Self {
        self.settings.margin = seconds;
        self
    }

    /// Sets [`Settings::lease`]: well above the client's timeout, the same for all keepers.
    pub fn with_lease(mut self, seconds: u64) -> Self {
        self.settings.lease = seconds;
        self
    }

    /// Sets [`Settings::wait`], the wait for others' leases before [`KeeperError::Busy`].
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.settings.wait = wait;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.shared.1
    }

    /// The client refreshes go through.
    pub fn client(&self) -> &Client {
        &self.shared.0
    }

    /// Stores `value` under `key`, replacing whatever is there (an install or reinstall).
    pub fn save(&self, key: &str, value: &R) -> Result<(), KeeperError> {
        self.invalidate(key);
        self.store().put(key, value).map_err(KeeperError::store)?;
        Ok(())
    }

    /// What is stored under `key`, as it is (no refresh).
    pub fn load(&self, key: &str) -> Result<R, KeeperError> {
        let missing = KeeperError::NotFound { key: key.into() };
        let loaded = self.store().load(key).map_err(KeeperError::store)?;
        Ok(loaded.ok_or(missing)?.value)
    }

    /// Removes what is stored under `key` (`app_uninstalled`); says whether there was any.
    pub fn delete(&self, key: &str) -> Result<bool, KeeperError> {
        self.invalidate(key);
        self.store().delete(key).map_err(KeeperError::store)
    }

    /// Forgets the tokens of `key` cached in this process (see [`Cache`]), e.g. after a
    /// reinstall stored by another process: the next call reads the store.
    pub fn invalidate(&self, key: &str) {
        self.shared.3.invalidate(key);
    }

    /// The `token` stored under `key`, refreshed first if it is due. Concurrent callers for
    /// one key share one refresh; callers for other keys never wait on it.
    pub fn get(&self, key: &str, token: KeptToken) -> Result<R::Token, KeeperError> {
        let cache = &self.shared.3;
        // On the system clock a coarse reading never behind it answers nearly every fresh
        // call for a fraction of the cost; near the margin the exact clock decides.
        let soon = Arc::ptr_eq(&self.clock, &crate::clock::SYSTEM).then(crate::clock::not_behind);
        if let Some(fresh) = soon.flatten().and_then(|soon| cache.get(key, token, soon)) {
            return Ok(fresh); // not due: no store round trip
        }
        let now = (self.clock)();
        if let Some(fresh) = cache.get(key, token, now) {
            return Ok(fresh);
        }
        let loaded = self.store().load(key);
        let record = match cache.first_look(loaded, &self.settings, key, token, now)? {
            FirstLook::Fresh(fresh) => return Ok(fresh),
            FirstLook::Due(record) => record,
        };
        // Dropping the place leaves the line, also when the run panics. The slot's lock is
        // held across the refresh call on purpose (only callers of this key wait on it); a
        // panic poisons it, but the slot is changed in single assignments: still usable.
        let place = self.shared.2.enter(key);
        let ticket = place.finished();
        let mut slot = place.lock().lock().unwrap_or_else(|e| e.into_inner());
        let behind = place.finished() != ticket;
        let mut machine = Machine::new(&mut *slot, &self.settings, key, token, behind);
        if !behind {
            machine.start_from(record, (self.clock)()); // no second load of the same record
        }
        let result = self.drive(machine);
        place.finish();
        result
    }

    /// Performs what the machine asks, blocking, until it is done.
    fn drive(&self, mut machine: Machine<R, &mut Slot<R>>) -> Result<R::Token, KeeperError> {
        let (store, key) = (self.store(), machine.key().to_owned());
        loop {
            let outcome = match machine.step() {
                Step::Load => Outcome::loaded(store.load(&key)),
                Step::Swap { from, value, lease } => {
                    Outcome::swapped(store.compare_and_swap(&key, Some(from), value, lease))
                }
                Step::Call(request) => Outcome::Called(self.client().call(request)),
                Step::Wait(pause) => {
                    std::thread::sleep(pause);
                    Outcome::Waited
                }
                Step::Done(result) => return result,
            };
            machine.handle(outcome, (self.clock)());
        }
    }
}

impl<S: Store<Installation>> Keeper<Installation, S> {
    /// Stores a new installation: its bot record and the installing user's record (see
    /// [`InstallationKey`] and [`Installation::records`]). A reinstall replaces the bot
    /// record and that user's record; other users' records stay. Returns the first record's
    /// key (the bot record's, or the user's for a user-only install).
    pub fn install(&self, installation: &Installation) -> Result<String, KeeperError> {
        let records = installation.records();
        for (key, record) in &records {
            self.save(key, record)?;
        }
        Ok(records
            .into_iter()
            .next()
            .map(|(key, _)| key)
            .unwrap_or_default())
    }

    /// The bot or user token of the record under `key`, refreshed first if due (for a user
    /// token under a bot record's key: the last installer's, see [`Keeper::user_token`]).
    pub fn token(&self, key: &str, token_type: TokenType) -> Result<AccessToken, KeeperError> {
        match token_type {
            TokenType::Bot => self.bot_token(key),
            TokenType::User => self.user_token(key),
        }
    }

    /// The bot token of the record under `key`, refreshed first if due.
    pub fn bot_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        self.get(key, KeptToken::Bot)
    }

    /// The user token of the record under `key`, refreshed first if due. Under a bot
    /// record's key (what [`Keeper::install`] returns) it is the token of the user who
    /// installed last; [`Keeper::find_user_token`] names the user.
    pub fn user_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        // Only a bot record's key needs a look at the record for its installer's own key;
        // any other key is asked directly, so a fresh token stays a cache hit.
        if InstallationKey::kept_token(key) != Some(KeptToken::Bot) {
            return self.get(key, KeptToken::User);
        }
        let key = match self.store().load(key).map_err(KeeperError::store)? {
            Some(record) => record.value.user_record_for(key),
            None => key.to_owned(),
        };
        self.get(&key, KeptToken::User)
    }

    /// The bot token of `key`'s workspace (`enterprise`, `team`), else of an org-wide
    /// install of its org, refreshed first if due.
    pub fn find_bot_token(&self, key: &InstallationKey) -> Result<AccessToken, KeeperError> {
        self.find(key, KeptToken::Bot)
    }

    /// The tokens of `key`'s user (`enterprise`, `team`, `user`) in that workspace, else in
    /// an org-wide install of its org, refreshed first if due.
    pub fn find_user_token(&self, key: &InstallationKey) -> Result<AccessToken, KeeperError> {
        self.find(key, KeptToken::User)
    }

    fn find(&self, key: &InstallationKey, token: KeptToken) -> Result<AccessToken, KeeperError> {
        let missing = || KeeperError::NotFound {
            key: key.to_string(),
        };
        let record = key.record(token).ok_or_else(missing)?;
        match self.get(&record, token) {
            Err(KeeperError::NotFound { .. }) if key.team.is_some() => {
                let org = key.org_wide().record(token).ok_or_else(missing)?;
                self.get(&org, token)
            }
            result => result,
        }
    }

    /// Removes the tokens of `key`'s user (`tokens_revoked`); says whether there were any.
    pub fn delete_user(&self, key: &InstallationKey) -> Result<bool, KeeperError> {
        match key.user_record() {
            Some(record) => self.delete(&record),
            None => Ok(false),
        }
    }

    /// Removes the whole installation `key` names, ignoring its user: the bot record and
    /// every user's (`app_uninstalled`). Returns how many records went.
    pub fn uninstall(&self, key: &InstallationKey) -> Result<usize, KeeperError> {
        let keys = self.store().keys(&key.prefix());
        let mut deleted = 0;
        for record in keys.map_err(KeeperError::store)? {
            deleted += usize::from(self.delete(&record)?);
        }
        Ok(deleted)
    }

    /// The keys and expiry times of the tokens stored under keys starting with `prefix`
    /// (`""` for all, [`InstallationKey::prefix`] for one installation); never the tokens.
    pub fn stored(&self, prefix: &str) -> Result<Vec<StoredToken>, KeeperError> {
        let mut listed = Vec::new();
        for key in self.store().keys(prefix).map_err(KeeperError::store)? {
            // A record deleted since the listing is simply not listed.
            if let Some(record) = self.store().load(&key).map_err(KeeperError::store)? {
                listed.extend(StoredToken::of(&key, &record.value));
            }
        }
        Ok(listed)
    }
}

impl<S: Store<ConfigTokens>> Keeper<ConfigTokens, S> {
    /// The app configuration token under `key`, rotated first (`tooling.tokens.rotate`) if due.
    pub fn config_token(&self, key: &str) -> Result<ConfigToken, KeeperError> {
        self.get(key, KeptToken::Configuration)
    }
}
