//! [`Keeper`]: always-fresh tokens. The refresh protocol is core's [`Machine`], the look-ups
//! across an installation's records core's [`Errand`]s, the keeper's state core's [`Parts`];
//! here are the per-key lock (a std `Mutex`) and the blocking loops that drive them.

use std::sync::{Arc, Mutex};

use slack_oauth_core::keeper::{
    self, Answer, Ask, DeleteUser, Errand, FirstLook, Install, Listing, Lookup, Machine, Outcome,
    Parts, Slot, Step, Uninstall,
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
pub struct Keeper<R: Renewable, S>(Parts<Client, S, R, Mutex<Slot<R>>>);

slack_oauth_core::keeper_parts!(Keeper, Client);

impl<R: Renewable, S: Store<R>> Keeper<R, S> {
    /// A keeper refreshing through `client`, storing in `store`, with
    /// [`Settings::new`](keeper::Settings::new).
    pub fn new(client: Client, store: S) -> Keeper<R, S> {
        let holder = format!("pid {} keeper", std::process::id());
        let parts = Parts::new(client, store, &holder, Arc::new(slack_oauth_clock::system));
        Keeper(parts.with_bound(slack_oauth_clock::not_behind))
    }

    /// Stores `value` under `key`, replacing whatever is there (an install or reinstall).
    pub fn save(&self, key: &str, value: &R) -> Result<(), KeeperError> {
        self.invalidate(key);
        let stored = self.store().put(key, value);
        stored.map(drop).map_err(KeeperError::store)
    }

    /// What is stored under `key`, as it is (no refresh).
    pub fn load(&self, key: &str) -> Result<R, KeeperError> {
        keeper::found(key, self.store().load(key))
    }

    /// Removes what is stored under `key` (`app_uninstalled`); says whether there was any.
    pub fn delete(&self, key: &str) -> Result<bool, KeeperError> {
        self.invalidate(key);
        self.store().delete(key).map_err(KeeperError::store)
    }

    /// The `token` stored under `key`, refreshed first if it is due. Concurrent callers for
    /// one key share one refresh; callers for other keys never wait on it.
    pub fn get(&self, key: &str, token: KeptToken) -> Result<R::Token, KeeperError> {
        let now = match self.0.cached(key, token) {
            Ok(fresh) => return Ok(fresh), // not due: no store round trip
            Err(now) => now,
        };
        let loaded = self.store().load(key);
        let record = match self.0.first_look(loaded, key, token, now)? {
            FirstLook::Fresh(fresh) => return Ok(fresh),
            FirstLook::Due(record) => record,
        };
        // Dropping the place leaves the line, also when the run panics. The slot's lock is
        // held across the refresh call on purpose (only callers of this key wait on it); a
        // panic poisons it, but the slot is changed in single assignments: still usable.
        let place = self.0.queue().enter(key);
        let ticket = place.finished();
        let mut slot = place.lock().lock().unwrap_or_else(|e| e.into_inner());
        let behind = place.finished() != ticket;
        let mut machine = Machine::new(&mut *slot, self.0.settings(), key, token, behind);
        if !behind {
            machine.start_from(record, self.0.now()); // no second load of the same record
        }
        let result = self.drive(machine);
        place.keep(slot.is_worth_keeping());
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
            machine.handle(outcome, self.0.now());
        }
    }
}

impl<S: Store<Installation>> Keeper<Installation, S> {
    /// Stores a new installation: its bot record and the installing user's ([`Install`]);
    /// other users' records stay. Returns the first record's key.
    pub fn install(&self, installation: &Installation) -> Result<String, KeeperError> {
        self.run(Install::new(installation))
    }

    /// The bot or user token under `key` ([`Keeper::bot_token`], [`Keeper::user_token`]).
    pub fn token(&self, key: &str, token_type: TokenType) -> Result<AccessToken, KeeperError> {
        match token_type {
            TokenType::Bot => self.get(key, KeptToken::Bot), // no errand: nothing to look up
            TokenType::User => self.run(self.0.token(key, token_type)),
        }
    }

    /// The bot token of the record under `key`, refreshed first if due.
    pub fn bot_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        self.get(key, KeptToken::Bot)
    }

    /// The user token of the record under `key`, refreshed first if due; under a bot
    /// record's key (what [`Keeper::install`] returns), the last installer's ([`Token`](slack_oauth_core::keeper::Token)).
    pub fn user_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        self.token(key, TokenType::User)
    }

    /// The bot token of `key`'s workspace, else of its org's org-wide install ([`Lookup`]).
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
    /// (`app_uninstalled`, [`Uninstall`]). Returns how many records went.
    pub fn uninstall(&self, key: &InstallationKey) -> Result<usize, KeeperError> {
        self.run(Uninstall::new(key))
    }

    /// The keys and expiry times of the tokens stored under keys starting with `prefix`
    /// (`""` for all, [`InstallationKey::prefix`] for one installation); never the tokens.
    pub fn stored(&self, prefix: &str) -> Result<Vec<StoredToken>, KeeperError> {
        self.run(Listing::new(prefix))
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

impl<S: Store<ConfigTokens>> Keeper<ConfigTokens, S> {
    /// The app configuration token under `key`, rotated first (`tooling.tokens.rotate`) if due.
    pub fn config_token(&self, key: &str) -> Result<ConfigToken, KeeperError> {
        self.get(key, KeptToken::Configuration)
    }
}
