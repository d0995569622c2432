//! [`Keeper`]: async fresh tokens over core's [`Machine`] (the refresh), [`Errand`]s (the
//! look-ups across an installation's records) and [`Parts`]: here are the per-key lock (a
//! tokio `Mutex`), the refresh task and the loops that drive them.

use std::sync::Arc;

use slack_oauth_core::keeper::{
    self, Answer, Ask, DeleteUser, Errand, FirstLook, Install, Listing, Lookup, Machine, Outcome,
    Parts, Slot, Step, Uninstall,
};
use slack_oauth_core::{
    AccessToken, AsyncStore, ConfigToken, ConfigTokens, Installation, InstallationKey, KeeperError,
    KeptToken, Method, Renewable, StoredToken, TokenType,
};
use tokio::sync::Mutex;

use crate::client::Client;

/// Keeps tokens stored in `S`, any [`AsyncStore`] (so any blocking store), alive inside a
/// Tokio runtime. Clones share the store and the per-key locks. Example in the crate docs.
pub struct Keeper<R: Renewable, S>(Parts<Client, S, R, Mutex<Slot<R>>>);

slack_oauth_core::keeper_parts!(Keeper, Client);

impl<R, S> Keeper<R, S>
where
    R: Renewable<Token: Send + Sync, Refresh: Send + Sync + Method<Response: Send + Sync>>,
    R: Send + Sync + 'static,
    S: AsyncStore<R> + Send + Sync + 'static,
{
    /// A keeper over `client` and `store`, with the system clock and
    /// [`Settings::new`](keeper::Settings::new).
    pub fn new(client: Client, store: S) -> Keeper<R, S> {
        let holder = format!("pid {} async keeper", std::process::id());
        let parts = Parts::new(client, store, &holder, Arc::new(slack_oauth_clock::system));
        Keeper(parts.with_bound(slack_oauth_clock::not_behind))
    }

    /// Stores `value` under `key`, replacing whatever is there (an install or reinstall).
    pub async fn save(&self, key: &str, value: &R) -> Result<(), KeeperError> {
        self.invalidate(key);
        let stored = AsyncStore::put(self.store(), key, value).await;
        stored.map(drop).map_err(KeeperError::store)
    }

    /// What is stored under `key`, as it is (no refresh).
    pub async fn load(&self, key: &str) -> Result<R, KeeperError> {
        keeper::found(key, AsyncStore::load(self.store(), key).await)
    }

    /// Removes what is stored under `key` (`app_uninstalled`); says whether there was any.
    pub async fn delete(&self, key: &str) -> Result<bool, KeeperError> {
        self.invalidate(key);
        let deleted = AsyncStore::delete(self.store(), key).await;
        deleted.map_err(KeeperError::store)
    }

    /// The `token` under `key`, refreshed first if due; dropping the future does not stop it.
    pub async fn get(&self, key: &str, token: KeptToken) -> Result<R::Token, KeeperError> {
        let (loaded, now) = match self.0.cached(key, token) {
            Ok(fresh) => return Ok(fresh), // not due: no store round trip
            Err(now) => (AsyncStore::load(self.store(), key).await, now),
        };
        let record = match self.0.first_look(loaded, key, token, now)? {
            FirstLook::Fresh(fresh) => return Ok(fresh),
            FirstLook::Due(record) => record,
        };
        let place = self.0.queue().enter(key);
        let (ticket, keeper) = (place.finished(), self.clone());
        // The task owns the place and the lock: callers queue behind it even if we go away.
        let run = tokio::spawn(async move {
            let mut slot = place.lock().lock().await;
            let behind = place.finished() != ticket;
            let mut machine =
                Machine::new(&mut *slot, keeper.0.settings(), place.key(), token, behind);
            if !behind {
                machine.start_from(record, keeper.0.now()); // no second load of the same record
            }
            let result = keeper.drive(machine).await;
            place.keep(slot.is_worth_keeping());
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
            machine.handle(outcome, self.0.now());
        }
    }
}

impl<S: AsyncStore<Installation> + Send + Sync + 'static> Keeper<Installation, S> {
    /// Stores a new installation: its bot record and the installing user's ([`Install`]);
    /// other users' records stay. Returns the first record's key.
    pub async fn install(&self, installation: &Installation) -> Result<String, KeeperError> {
        self.run(Install::new(installation)).await
    }

    /// The bot or user token under `key` ([`Keeper::bot_token`], [`Keeper::user_token`]).
    pub async fn token(&self, key: &str, kind: TokenType) -> Result<AccessToken, KeeperError> {
        match kind {
            TokenType::Bot => self.get(key, KeptToken::Bot).await, // no errand: nothing to look up
            TokenType::User => self.run(self.0.token(key, kind)).await,
        }
    }

    /// The bot token of the record under `key`, refreshed first if due.
    pub async fn bot_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        self.get(key, KeptToken::Bot).await
    }

    /// The user token of the record under `key`, refreshed first if due; under a bot
    /// record's key (what [`Keeper::install`] returns), the last installer's.
    pub async fn user_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        self.token(key, TokenType::User).await
    }

    /// The bot token of `key`'s workspace, else of its org's org-wide install ([`Lookup`]).
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
    /// (`app_uninstalled`, [`Uninstall`]). Returns how many records went.
    pub async fn uninstall(&self, key: &InstallationKey) -> Result<usize, KeeperError> {
        self.run(Uninstall::new(key)).await
    }

    /// The keys and expiry times of the tokens stored under keys starting with `prefix`
    /// (`""` for all, [`InstallationKey::prefix`] for one installation); never the tokens.
    pub async fn stored(&self, prefix: &str) -> Result<Vec<StoredToken>, KeeperError> {
        self.run(Listing::new(prefix)).await
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

impl<S: AsyncStore<ConfigTokens> + Send + Sync + 'static> Keeper<ConfigTokens, S> {
    /// The app configuration token under `key`, rotated first (`tooling.tokens.rotate`) if due.
    pub async fn config_token(&self, key: &str) -> Result<ConfigToken, KeeperError> {
        self.get(key, KeptToken::Configuration).await
    }
}
