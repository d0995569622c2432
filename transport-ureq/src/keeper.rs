//! [`Keeper`]: hands out tokens that are always fresh, refreshing each installation once
//! however many threads, or processes sharing a store, ask at the same time.
//!
//! Refresh tokens are single-use: two refreshes of one installation at once leave one of
//! the two new token pairs dead (`invalid_refresh_token` later). So, per installation key:
//! - in this process, callers that find the token due queue on a per-key lock; the first one
//!   refreshes, the others then read the stored result (or share the failure);
//! - across processes, the refresher first takes a [`Lease`] on the stored record with a
//!   compare-and-swap write; whoever loses waits for the lease to clear and reads the result;
//! - the new tokens are written back with a compare-and-swap against the leased version.
//!
//! Callers whose token is fresh never wait: they load, decide and go.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use slack_oauth_core::AccessToken;
use slack_oauth_core::{
    unix_seconds, ConfigToken, ConfigTokens, Installation, InstallationError, Lease, Method,
    Record, Renewable, Renewal, Store, Swap, TokenType, DEFAULT_LEASE, DEFAULT_REFRESH_MARGIN,
};

use crate::client::Client;
use slack_oauth_core::KeeperError;

/// Where a keeper reads the time: Unix seconds. The default reads the system clock; tests
/// pass a simulator's clock.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// Keeps tokens stored in `S` alive: loads, decides, refreshes once per installation when
/// due, stores the result, and hands out the current token.
///
/// `R` is what is kept: [`Installation`] (bot and user tokens) or [`ConfigTokens`] (app
/// configuration tokens, rotated with `tooling.tokens.rotate`). Clones share the store and
/// the per-key locks; give every thread a clone (or an `&`). Keepers in other processes (or
/// other keepers in this one) coordinate through the store's leases.
///
/// ```
/// use std::sync::Arc;
/// use slack_oauth_core::{Api, ClientCredentials, Installation, MemoryStore, TokenType};
/// use slack_oauth_ureq::{Client, Keeper};
///
/// let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
/// let store = Arc::new(MemoryStore::<Installation>::new());
/// let keeper = Keeper::new(Client::new(api), store);
///
/// // After the OAuth callback: keeper.install(&installation)?;
/// // Before every Slack call, from any thread:
/// match keeper.bot_token("T0123") {
///     Ok(token) => { /* use token.expose() as the bearer token */ }
///     Err(e) if e.needs_reinstall() => { /* ask the workspace to install the app again */ }
///     Err(e) => { /* not installed, store failure, or retry later: e.is_retryable() */ }
/// }
/// ```
pub struct Keeper<R: Renewable, S> {
    shared: Arc<Shared<R, S>>,
    settings: Settings,
}

struct Shared<R: Renewable, S> {
    client: Client,
    store: S,
    /// Written into leases so a stuck lease can be traced to a process.
    holder: String,
    flights: Mutex<HashMap<String, Arc<Flight<R::Which>>>>,
    _kept: PhantomData<fn() -> R>,
}

#[derive(Clone)]
struct Settings {
    clock: Clock,
    margin: u64,
    lease: u64,
    wait: Duration,
}

/// The per-key lock refreshers queue on, and what the last refresh under it came to.
struct Flight<W> {
    /// How many refreshes finished under this lock; read before queueing to tell whether
    /// one finished while we waited.
    finished: AtomicU64,
    /// The lock itself, holding the last refresh's failure (with the token it was for).
    last: Mutex<Option<(W, KeeperError)>>,
}

impl<R: Renewable, S> Clone for Keeper<R, S> {
    fn clone(&self) -> Self {
        Keeper {
            shared: Arc::clone(&self.shared),
            settings: self.settings.clone(),
        }
    }
}

impl<R: Renewable, S> fmt::Debug for Keeper<R, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keeper")
            .field("client", &self.shared.client)
            .field("holder", &self.shared.holder)
            .field("margin", &self.settings.margin)
            .field("lease", &self.settings.lease)
            .field("wait", &self.settings.wait)
            .finish_non_exhaustive()
    }
}

/// Tells keepers of one process apart in lease holders.
static KEEPERS: AtomicU64 = AtomicU64::new(0);

impl<R: Renewable, S: Store<R>> Keeper<R, S> {
    /// A keeper refreshing through `client` and storing in `store`, with the system clock,
    /// [`DEFAULT_REFRESH_MARGIN`] and [`DEFAULT_LEASE`].
    pub fn new(client: Client, store: S) -> Keeper<R, S> {
        let holder = format!(
            "pid {} keeper {}",
            std::process::id(),
            KEEPERS.fetch_add(1, Ordering::Relaxed)
        );
        Keeper {
            shared: Arc::new(Shared {
                client,
                store,
                holder,
                flights: Mutex::new(HashMap::new()),
                _kept: PhantomData,
            }),
            settings: Settings {
                clock: Arc::new(|| unix_seconds(SystemTime::now())),
                margin: DEFAULT_REFRESH_MARGIN,
                lease: DEFAULT_LEASE,
                wait: Duration::from_secs(DEFAULT_LEASE),
            },
        }
    }

    /// Reads the time from `clock` (Unix seconds) instead of the system clock.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.settings.clock = Arc::new(clock);
        self
    }

    /// Refreshes `seconds` before expiry (capped at half the token's lifetime).
    pub fn with_margin(mut self, seconds: u64) -> Self {
        self.settings.margin = seconds;
        self
    }

    /// Holds the refresh lease for `seconds` of the keeper's clock; keep it well above the
    /// client's timeout, or another process may take over a refresh still in flight.
    pub fn with_lease(mut self, seconds: u64) -> Self {
        self.settings.lease = seconds;
        self
    }

    /// Waits at most this long (real time) for another process's lease before giving up
    /// with [`KeeperError::Busy`].
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.settings.wait = wait;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.shared.store
    }

    /// The client refreshes go through.
    pub fn client(&self) -> &Client {
        &self.shared.client
    }

    /// Stores `value` under `key`, replacing whatever is there (an install or reinstall).
    pub fn save(&self, key: &str, value: &R) -> Result<(), KeeperError> {
        self.shared.store.put(key, value).map_err(store_error)?;
        Ok(())
    }

    /// What is stored under `key`, as it is (no refresh).
    pub fn load(&self, key: &str) -> Result<R, KeeperError> {
        Ok(self.record(key)?.value)
    }

    /// Removes what is stored under `key` (e.g. on `app_uninstalled`); says whether there
    /// was anything.
    pub fn delete(&self, key: &str) -> Result<bool, KeeperError> {
        self.shared.store.delete(key).map_err(store_error)
    }

    /// The `which` token stored under `key`, refreshed first if it is due.
    ///
    /// Concurrent callers for one key share one refresh; callers for other keys never wait
    /// on it.
    pub fn get(&self, key: &str, which: R::Which) -> Result<R::Token, KeeperError> {
        let record = self.record(key)?;
        if let Renewal::Use(token) = self.renewal(key, &record.value, which)? {
            return Ok(token);
        }
        let flight = self.join(key);
        let result = self.fly(key, which, &flight);
        self.leave(key, flight);
        result
    }

    fn now(&self) -> u64 {
        (self.settings.clock)()
    }

    fn record(&self, key: &str) -> Result<Record<R>, KeeperError> {
        self.shared
            .store
            .load(key)
            .map_err(store_error)?
            .ok_or_else(|| KeeperError::NotFound {
                key: key.to_owned(),
            })
    }

    fn renewal(
        &self,
        key: &str,
        value: &R,
        which: R::Which,
    ) -> Result<Renewal<R::Token, R::Refresh>, KeeperError> {
        value
            .renewal(which, self.now(), self.settings.margin)
            .map_err(|error| installation_error(key, error))
    }

    fn flights(&self) -> MutexGuard<'_, HashMap<String, Arc<Flight<R::Which>>>> {
        // The map is changed by single inserts and removes: usable after a panic elsewhere.
        self.shared
            .flights
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn join(&self, key: &str) -> Arc<Flight<R::Which>> {
        let mut flights = self.flights();
        let flight = flights.entry(key.to_owned()).or_insert_with(|| {
            Arc::new(Flight {
                finished: AtomicU64::new(0),
                last: Mutex::new(None),
            })
        });
        Arc::clone(flight)
    }

    /// Drops the key's lock once nobody else holds or awaits it, so the map does not grow
    /// with every key ever refreshed.
    fn leave(&self, key: &str, flight: Arc<Flight<R::Which>>) {
        let mut flights = self.flights();
        // Clones are only made under the map lock, so the count cannot rise meanwhile.
        if Arc::strong_count(&flight) == 2 {
            flights.remove(key);
        }
    }

    /// Queues on the key's lock, then refreshes unless a refresh finished while we waited.
    fn fly(
        &self,
        key: &str,
        which: R::Which,
        flight: &Flight<R::Which>,
    ) -> Result<R::Token, KeeperError> {
        let seen = flight.finished.load(Ordering::Acquire);
        // Held across the refresh call on purpose: only callers of this key wait on it.
        let mut last = flight.last.lock().unwrap_or_else(|e| e.into_inner());
        if flight.finished.load(Ordering::Acquire) != seen {
            // Someone refreshed this key while we queued. If it failed for our token, the
            // same call would fail again (a spent refresh token, a rate limit): share it.
            if let Some((failed, error)) = last.as_ref() {
                if *failed == which {
                    return Err(error.clone());
                }
            }
        }
        let result = self.refresh(key, which);
        *last = result.as_ref().err().map(|e| (which, e.clone()));
        flight.finished.fetch_add(1, Ordering::Release);
        result
    }

    /// Loads, and refreshes under a lease if still due; waits out other processes' leases.
    fn refresh(&self, key: &str, which: R::Which) -> Result<R::Token, KeeperError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            let record = self.record(key)?;
            let request = match self.renewal(key, &record.value, which)? {
                Renewal::Use(token) => return Ok(token),
                Renewal::Refresh(request) => request,
            };
            let now = self.now();
            let leased = match record.lease.as_ref().filter(|l| l.is_live(now)) {
                Some(_) => None,
                None => {
                    let lease = Lease {
                        holder: self.shared.holder.clone(),
                        expires_at: now.saturating_add(self.settings.lease),
                    };
                    match self.swap(key, record.version, &record.value, Some(&lease))? {
                        Swap::Stored { version } => Some(version),
                        Swap::Conflict => None,
                    }
                }
            };
            let Some(leased) = leased else {
                // Another process is refreshing, or wrote just now: look again shortly.
                if started.elapsed() >= self.settings.wait {
                    return Err(KeeperError::Busy {
                        key: key.to_owned(),
                    });
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
                continue;
            };
            let answer = match self.shared.client.call(&request) {
                Ok(reply) => reply.value,
                Err(error) => {
                    self.release(key, leased, &record.value);
                    return Err(KeeperError::Refresh {
                        key: key.to_owned(),
                        token: R::token_name(which),
                        error: Arc::new(error),
                    });
                }
            };
            if let Some(token) = self.write_back(key, which, record.value, leased, &answer)? {
                return Ok(token);
            }
        }
    }

    /// Stores the refreshed tokens over the leased version. `None`: someone else's refresh
    /// won meanwhile; look again.
    fn write_back(
        &self,
        key: &str,
        which: R::Which,
        held: R,
        leased: u64,
        answer: &<R::Refresh as Method>::Response,
    ) -> Result<Option<R::Token>, KeeperError> {
        let spent = held.refresh_token(which).cloned();
        let (mut base, mut expected) = (held, leased);
        loop {
            let mut next = base.clone();
            let token = match next.apply_renewal(which, answer, self.now()) {
                Ok(token) => token,
                Err(error) => {
                    self.release(key, expected, &base);
                    return Err(installation_error(key, error));
                }
            };
            match self.swap(key, expected, &next, None)? {
                Swap::Stored { .. } => return Ok(Some(token)),
                Swap::Conflict => {
                    // Our lease was overtaken: it lapsed, or the record was replaced.
                    let current = self.record(key)?;
                    if current.value.refresh_token(which) != spent.as_ref() {
                        // Refreshed or reinstalled by someone else: the store's tokens win.
                        return Ok(None);
                    }
                    // Only other fields changed (the other token, say): ours still goes in.
                    (base, expected) = (current.value, current.version);
                }
            }
        }
    }

    /// Drops our lease after a failed refresh so others need not wait for it to lapse.
    fn release(&self, key: &str, leased: u64, value: &R) {
        // Best effort: if this write fails the lease lapses on its own, and the caller's
        // error is the one worth reporting.
        let _ = self
            .shared
            .store
            .compare_and_swap(key, Some(leased), value, None);
    }

    fn swap(
        &self,
        key: &str,
        expected: u64,
        value: &R,
        lease: Option<&Lease>,
    ) -> Result<Swap, KeeperError> {
        self.shared
            .store
            .compare_and_swap(key, Some(expected), value, lease)
            .map_err(store_error)
    }
}

impl<S: Store<Installation>> Keeper<Installation, S> {
    /// Stores a new installation under [`Installation::key`] (replacing a previous install)
    /// and returns the key.
    pub fn install(&self, installation: &Installation) -> Result<String, KeeperError> {
        let key = installation.key();
        self.save(&key, installation)?;
        Ok(key)
    }

    /// The bot or user token of the installation under `key`, refreshed first if due.
    pub fn token(&self, key: &str, token_type: TokenType) -> Result<AccessToken, KeeperError> {
        self.get(key, token_type)
    }

    /// The bot token of the installation under `key`, refreshed first if due.
    pub fn bot_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        self.get(key, TokenType::Bot)
    }

    /// The user token of the installation under `key`, refreshed first if due.
    pub fn user_token(&self, key: &str) -> Result<AccessToken, KeeperError> {
        self.get(key, TokenType::User)
    }
}

impl<S: Store<ConfigTokens>> Keeper<ConfigTokens, S> {
    /// The app configuration token stored under `key`, rotated first
    /// (`tooling.tokens.rotate`) if due.
    pub fn config_token(&self, key: &str) -> Result<ConfigToken, KeeperError> {
        self.get(key, ())
    }
}

fn store_error(e: impl std::error::Error + Send + Sync + 'static) -> KeeperError {
    KeeperError::Store(Arc::new(e))
}

fn installation_error(key: &str, error: InstallationError) -> KeeperError {
    KeeperError::Installation {
        key: key.to_owned(),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slack_oauth_core::{parse, tooling_tokens::Rotate};

    #[test]
    fn errors_say_what_to_do_without_secrets() {
        let spent =
            http::Response::new(br#"{"ok":false,"error":"invalid_refresh_token"}"#.to_vec());
        let error = KeeperError::Refresh {
            key: "T1".into(),
            token: "bot",
            error: Arc::new(slack_oauth_core::transport::Error::Slack(
                parse::<Rotate, _>(&spent).unwrap_err(),
            )),
        };
        assert!(error.needs_reinstall());
        assert!(!error.is_retryable());
        let shown = error.to_string();
        assert!(shown.contains("invalid_refresh_token"), "{shown}");
        assert!(shown.contains("installed again"), "{shown}");

        let busy = KeeperError::Busy { key: "T1".into() };
        assert!(busy.is_retryable() && !busy.needs_reinstall());
        let expired = KeeperError::Installation {
            key: "T1".into(),
            error: InstallationError::Expired {
                token_type: TokenType::Bot,
                expires_at: 5,
            },
        };
        assert!(expired.needs_reinstall());
        assert!(!KeeperError::NotFound { key: "T1".into() }.needs_reinstall());
    }
}
