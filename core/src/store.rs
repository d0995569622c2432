//! Where kept tokens live between calls: a [`Store`] of versioned records with
//! compare-and-swap writes, an in-memory one ([`MemoryStore`]), and [`Renewable`], what the
//! transports' token keepers need to know about an [`Installation`] or [`ConfigTokens`].
//!
//! Refresh tokens are single-use, so two workers refreshing one installation at once leave
//! one of them holding a dead token (`invalid_refresh_token`). A keeper therefore never
//! writes blindly: every write names the version it read, and a write against a newer
//! version fails ([`Swap::Conflict`]). Before refreshing, a keeper takes a [`Lease`] on the
//! record with such a write, so that several processes sharing one store (a database row,
//! say) refresh an installation once between them; the others wait for the lease to clear
//! and use the stored result.
//!
//! Nothing here does I/O or reads a clock: times are passed in, and [`MemoryStore`] is a
//! map behind a mutex.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::installation::{Installation, InstallationError, TokenType};
use crate::method::Method;
use crate::oauth_v2::{AccessRefresh, AccessResponse};
use crate::rotation::{ConfigDecision, ConfigTokens, Decision};
use crate::secret::{AccessToken, ConfigToken, RefreshToken};
use crate::tooling_tokens::{Rotate, RotateResponse};

/// How long a keeper's [`Lease`] lasts unless configured otherwise: 120 seconds, well beyond
/// the transports' default 30-second request timeout, so a lease lapses only when its
/// holder died or hung.
pub const DEFAULT_LEASE: u64 = 120;

/// A refresh in progress: written into a record before the refresh request is sent, so other
/// workers and processes wait instead of spending the same refresh token.
///
/// A lease whose `expires_at` has passed is abandoned (its holder died or hung) and may be
/// taken over. Holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// Who holds it, for diagnostics (e.g. a process and keeper id).
    pub holder: String,
    /// When it lapses (Unix seconds).
    pub expires_at: u64,
}

impl Lease {
    /// Whether the lease still holds at `now` (Unix seconds).
    pub fn is_live(&self, now: u64) -> bool {
        now < self.expires_at
    }
}

/// One stored record: the value, the version it was written as, and the refresh lease if one
/// is held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record<T> {
    /// The stored value (an [`Installation`], [`ConfigTokens`], ...).
    pub value: T,
    /// Changes with every write; never reused by a store for the same key, even after a
    /// delete, so a stale writer cannot mistake a new record for the one it read.
    pub version: u64,
    /// A refresh in progress, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
}

/// The outcome of [`Store::compare_and_swap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Swap {
    /// Written; the record now has this version.
    Stored {
        /// The new version.
        version: u64,
    },
    /// Nothing written: the record is not at the expected version (someone else wrote or
    /// deleted it, or created it first). Load it again.
    Conflict,
}

/// Versioned records under string keys, written only by compare-and-swap.
///
/// Implement it over a database (a row with `key`, `version`, `value`, `lease_holder`,
/// `lease_expires_at`; the swap is `UPDATE … WHERE key = ? AND version = ?` or an insert
/// that fails on an existing key) to let several processes keep the same installations.
/// The methods are blocking; [`AsyncStore`] is the async form, which every `Store` also is.
///
/// Values hold tokens and refresh tokens in clear: keep the storage as secret as they are.
pub trait Store<T> {
    /// Why the storage failed (never a conflict: that is [`Swap::Conflict`]).
    type Error: std::error::Error + Send + Sync + 'static;

    /// The record under `key`, if any.
    fn load(&self, key: &str) -> Result<Option<Record<T>>, Self::Error>;

    /// Writes `value` and `lease` under `key` if the stored version is `expected`
    /// (`None`: only if there is no record), giving it a new version.
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> Result<Swap, Self::Error>;

    /// Removes the record under `key` (e.g. on `app_uninstalled`); says whether there was one.
    fn delete(&self, key: &str) -> Result<bool, Self::Error>;

    /// Writes `value` under `key` whatever is stored there (an install or reinstall), dropping
    /// any lease; returns the new version. A keeper still refreshing the old record notices
    /// at its own write and uses this value instead.
    fn put(&self, key: &str, value: &T) -> Result<u64, Self::Error> {
        loop {
            let expected = self.load(key)?.map(|r| r.version);
            // Each conflict means another write landed in between, so this terminates as
            // soon as writers pause.
            if let Swap::Stored { version } = self.compare_and_swap(key, expected, value, None)? {
                return Ok(version);
            }
        }
    }
}

impl<T, S: Store<T> + ?Sized> Store<T> for Arc<S> {
    type Error = S::Error;

    fn load(&self, key: &str) -> Result<Option<Record<T>>, Self::Error> {
        (**self).load(key)
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> Result<Swap, Self::Error> {
        (**self).compare_and_swap(key, expected, value, lease)
    }

    fn delete(&self, key: &str) -> Result<bool, Self::Error> {
        (**self).delete(key)
    }

    fn put(&self, key: &str, value: &T) -> Result<u64, Self::Error> {
        (**self).put(key, value)
    }
}

/// [`Store`] for async code: the same operations, as `Send` futures, for storage reached
/// over the network from an async runtime.
///
/// Every [`Store`] is an `AsyncStore` whose futures are ready at once (right for
/// [`MemoryStore`] and other stores that never wait); implement this trait directly for a
/// store with an async client. Call it with `AsyncStore::load(&store, key)` when both traits
/// are in scope.
pub trait AsyncStore<T> {
    /// Why the storage failed.
    type Error: std::error::Error + Send + Sync + 'static;

    /// See [`Store::load`].
    fn load(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<Record<T>>, Self::Error>> + Send;

    /// See [`Store::compare_and_swap`].
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<Swap, Self::Error>> + Send;

    /// See [`Store::delete`].
    fn delete(&self, key: &str) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// See [`Store::put`].
    fn put(&self, key: &str, value: &T) -> impl Future<Output = Result<u64, Self::Error>> + Send;
}

impl<T: Send, S: Store<T> + ?Sized> AsyncStore<T> for S {
    type Error = S::Error;

    fn load(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<Record<T>>, Self::Error>> + Send {
        std::future::ready(Store::load(self, key))
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<Swap, Self::Error>> + Send {
        std::future::ready(Store::compare_and_swap(self, key, expected, value, lease))
    }

    fn delete(&self, key: &str) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        std::future::ready(Store::delete(self, key))
    }

    fn put(&self, key: &str, value: &T) -> impl Future<Output = Result<u64, Self::Error>> + Send {
        std::future::ready(Store::put(self, key, value))
    }
}

/// A [`Store`] in this process's memory: for tests, single-process apps, and as the model
/// of what a shared store must do. Share one between keepers with an `Arc`.
///
/// ```
/// use slack_oauth_core::{MemoryStore, Store, Swap};
///
/// let store = MemoryStore::new();
/// assert_eq!(store.compare_and_swap("T1", None, &"first", None)?, Swap::Stored { version: 1 });
/// // A writer that read nothing (or an old version) loses:
/// assert_eq!(store.compare_and_swap("T1", None, &"second", None)?, Swap::Conflict);
/// let record = store.load("T1")?.unwrap();
/// assert_eq!((record.value, record.version), ("first", 1));
/// assert_eq!(store.compare_and_swap("T1", Some(1), &"second", None)?, Swap::Stored { version: 2 });
/// # Ok::<(), std::convert::Infallible>(())
/// ```
pub struct MemoryStore<T> {
    inner: Mutex<Memory<T>>,
}

struct Memory<T> {
    records: HashMap<String, Record<T>>,
    /// The last version handed out, for any key: versions are never reused.
    last_version: u64,
}

impl<T> MemoryStore<T> {
    /// An empty store.
    pub fn new() -> MemoryStore<T> {
        MemoryStore {
            inner: Mutex::new(Memory {
                records: HashMap::new(),
                last_version: 0,
            }),
        }
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.lock().records.len()
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // Every change is a single map operation, so a panic elsewhere cannot leave the map
    // half-written: a poisoned lock is safe to use.
    fn lock(&self) -> MutexGuard<'_, Memory<T>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T> Default for MemoryStore<T> {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl<T> fmt::Debug for MemoryStore<T> {
    /// Shows how many records there are, never their values (they hold tokens).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("records", &self.len())
            .finish_non_exhaustive()
    }
}

impl<T: Clone> Store<T> for MemoryStore<T> {
    type Error = Infallible;

    fn load(&self, key: &str) -> Result<Option<Record<T>>, Infallible> {
        Ok(self.lock().records.get(key).cloned())
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> Result<Swap, Infallible> {
        let mut memory = self.lock();
        let current = memory.records.get(key).map(|r| r.version);
        if current != expected {
            return Ok(Swap::Conflict);
        }
        memory.last_version += 1;
        let version = memory.last_version;
        memory.records.insert(
            key.to_owned(),
            Record {
                value: value.clone(),
                version,
                lease: lease.cloned(),
            },
        );
        Ok(Swap::Stored { version })
    }

    fn delete(&self, key: &str) -> Result<bool, Infallible> {
        Ok(self.lock().records.remove(key).is_some())
    }
}

/// What to do with a kept token at some moment: use it, or refresh it first with this
/// request. The owned form of [`Decision`] and [`ConfigDecision`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal<T, R> {
    /// The token is good: use it.
    Use(T),
    /// Send this request first and apply the answer.
    Refresh(R),
}

/// Something whose tokens a keeper keeps alive: an [`Installation`] (bot and user tokens,
/// chosen by [`TokenType`]) or [`ConfigTokens`] (one token, chosen by `()`).
///
/// It ties [`Installation::decide`] / [`ConfigTokens::decide`], the refresh method, and
/// [`Installation::apply_refresh`] / [`ConfigTokens::apply`] together, so one keeper serves
/// both.
pub trait Renewable: Clone {
    /// Which token: [`TokenType`] for installations, `()` for configuration tokens.
    type Which: Copy + PartialEq + fmt::Debug + Send + Sync + 'static;
    /// The token handed to callers.
    type Token: Clone;
    /// The request that refreshes it.
    type Refresh: Method;

    /// A short name of the token for messages: `"bot"`, `"user"`, `"configuration"`.
    fn token_name(which: Self::Which) -> &'static str;

    /// Use the token or refresh it first, at `now`, refreshing `margin` seconds before expiry.
    fn renewal(
        &self,
        which: Self::Which,
        now: u64,
        margin: u64,
    ) -> Result<Renewal<Self::Token, Self::Refresh>, InstallationError>;

    /// Applies the refresh answer received at `now` and returns the new token; on error
    /// nothing changes.
    fn apply_renewal(
        &mut self,
        which: Self::Which,
        answer: &<Self::Refresh as Method>::Response,
        now: u64,
    ) -> Result<Self::Token, InstallationError>;

    /// The refresh token the next refresh will spend, if any: a keeper compares it to tell
    /// whether someone else refreshed in the meantime.
    fn refresh_token(&self, which: Self::Which) -> Option<&RefreshToken>;
}

impl Renewable for Installation {
    type Which = TokenType;
    type Token = AccessToken;
    type Refresh = AccessRefresh;

    fn token_name(which: TokenType) -> &'static str {
        which.as_str()
    }

    fn renewal(
        &self,
        which: TokenType,
        now: u64,
        margin: u64,
    ) -> Result<Renewal<AccessToken, AccessRefresh>, InstallationError> {
        Ok(match self.decide_with_margin(which, now, margin)? {
            Decision::Use(token) => Renewal::Use(token.clone()),
            Decision::Refresh(request) => Renewal::Refresh(request),
        })
    }

    fn apply_renewal(
        &mut self,
        which: TokenType,
        answer: &AccessResponse,
        now: u64,
    ) -> Result<AccessToken, InstallationError> {
        self.apply_refresh(which, answer, now)?;
        self.token(which)
            .map(|set| set.token.clone())
            .ok_or(InstallationError::MissingToken(which))
    }

    fn refresh_token(&self, which: TokenType) -> Option<&RefreshToken> {
        self.token(which)?.refresh_token.as_ref()
    }
}

impl Renewable for ConfigTokens {
    type Which = ();
    type Token = ConfigToken;
    type Refresh = Rotate;

    fn token_name((): ()) -> &'static str {
        "configuration"
    }

    fn renewal(
        &self,
        (): (),
        now: u64,
        margin: u64,
    ) -> Result<Renewal<ConfigToken, Rotate>, InstallationError> {
        Ok(match self.decide_with_margin(now, margin) {
            ConfigDecision::Use(token) => Renewal::Use(token.clone()),
            ConfigDecision::Refresh(request) => Renewal::Refresh(request),
        })
    }

    fn apply_renewal(
        &mut self,
        (): (),
        answer: &RotateResponse,
        _now: u64,
    ) -> Result<ConfigToken, InstallationError> {
        // The answer carries its own issue and expiry times.
        self.apply(answer.clone())?;
        Ok(self.token.clone())
    }

    fn refresh_token(&self, (): ()) -> Option<&RefreshToken> {
        Some(&self.refresh_token)
    }
}

/// Why a token keeper (`slack_oauth_ureq::Keeper`, `slack_oauth_hyper::Keeper`) could not
/// hand out a token. Never holds a token or secret.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum KeeperError {
    /// Nothing is stored under this key: the app is not installed (or was deleted).
    NotFound {
        /// The key asked for.
        key: String,
    },
    /// The stored record cannot give this token: it has none of that type, it expired with
    /// no refresh token, or Slack's refresh answer does not fit it.
    Installation {
        /// The key asked for.
        key: String,
        /// What is wrong.
        error: InstallationError,
    },
    /// The refresh call failed: Slack said no (`invalid_refresh_token`: reinstall, see
    /// [`KeeperError::needs_reinstall`]) or the transport failed.
    Refresh {
        /// The key asked for.
        key: String,
        /// Which token: `"bot"`, `"user"`, `"configuration"`.
        token: &'static str,
        /// The call's error (shared by every caller that waited for this refresh).
        error: Arc<crate::transport::Error>,
    },
    /// The store failed.
    Store(Arc<dyn std::error::Error + Send + Sync>),
    /// Another process holds the refresh lease and did not finish within the wait limit.
    Busy {
        /// The key asked for.
        key: String,
    },
    /// The refresh task was cancelled before it finished: the runtime is shutting down
    /// (async keepers only).
    Cancelled {
        /// The key asked for.
        key: String,
    },
}

impl KeeperError {
    /// Whether only a new install can help: Slack refused the refresh token
    /// (`invalid_refresh_token`, `token_revoked`, ...), or the token expired with no refresh
    /// token.
    pub fn needs_reinstall(&self) -> bool {
        match self {
            KeeperError::Refresh { error, .. } => {
                error.slack().is_some_and(|e| e.needs_reinstall())
            }
            KeeperError::Installation { error, .. } => {
                matches!(error, InstallationError::Expired { .. })
            }
            _ => false,
        }
    }

    /// Slack's answer to the refresh, when Slack answered.
    pub fn slack(&self) -> Option<&crate::Error> {
        match self {
            KeeperError::Refresh { error, .. } => error.slack(),
            _ => None,
        }
    }

    /// Whether asking again later may succeed: a retryable refresh failure (rate limit,
    /// timeout, ...) or a busy lease.
    pub fn is_retryable(&self) -> bool {
        self.retry_after().is_some()
    }

    /// When asking again may help, how long to wait first.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            KeeperError::Refresh { error, .. } => error.retry_after(),
            KeeperError::Busy { .. } => Some(crate::error::TRANSIENT_RETRY_AFTER),
            _ => None,
        }
    }
}

impl fmt::Display for KeeperError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeeperError::NotFound { key } => {
                write!(f, "nothing is stored under `{key}`: install the app first")
            }
            KeeperError::Installation { key, error } => write!(f, "`{key}`: {error}"),
            KeeperError::Refresh { key, token, error } => {
                write!(f, "refreshing the {token} token of `{key}` failed: {error}")?;
                if self.needs_reinstall() {
                    f.write_str("; the app must be installed again")?;
                }
                Ok(())
            }
            KeeperError::Store(e) => write!(f, "the token store failed: {e}"),
            KeeperError::Busy { key } => write!(
                f,
                "another process is refreshing `{key}` and did not finish in time"
            ),
            KeeperError::Cancelled { key } => {
                write!(f, "the refresh of `{key}` was cancelled before it finished")
            }
        }
    }
}

impl std::error::Error for KeeperError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            KeeperError::Installation { error, .. } => Some(error),
            KeeperError::Refresh { error, .. } => Some(&**error),
            KeeperError::Store(e) => Some(&**e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    // Not `super::*`: with both store traits in scope, `store.load(…)` would be ambiguous.
    use super::{
        AccessResponse, Arc, ConfigTokens, Installation, Lease, MemoryStore, Record, RefreshToken,
        Renewable, Renewal, RotateResponse, Store, Swap, TokenType,
    };

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn versions_are_never_reused() {
        let store = MemoryStore::new();
        let Swap::Stored { version: v1 } = store.compare_and_swap("k", None, &1, None).unwrap()
        else {
            panic!()
        };
        assert!(store.delete("k").unwrap());
        assert!(!store.delete("k").unwrap());
        assert!(store.load("k").unwrap().is_none());
        // Re-created: a writer still holding v1 must lose.
        let Swap::Stored { version: v2 } = store.compare_and_swap("k", None, &2, None).unwrap()
        else {
            panic!()
        };
        assert_ne!(v1, v2);
        assert_eq!(
            store.compare_and_swap("k", Some(v1), &3, None).unwrap(),
            Swap::Conflict
        );
        assert_eq!(store.load("k").unwrap().unwrap().value, 2);
    }

    #[test]
    fn conflicts_on_absent_or_present() {
        let store = MemoryStore::new();
        assert_eq!(
            store.compare_and_swap("k", Some(7), &1, None).unwrap(),
            Swap::Conflict,
            "nothing to swap"
        );
        assert!(store.is_empty());
        assert_eq!(
            store.compare_and_swap("k", None, &1, None).unwrap(),
            Swap::Stored { version: 1 }
        );
        assert_eq!(
            store.compare_and_swap("k", None, &2, None).unwrap(),
            Swap::Conflict,
            "already created"
        );
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn leases_are_stored_and_dropped_by_put() {
        let store = Arc::new(MemoryStore::new());
        let lease = Lease {
            holder: "p1".into(),
            expires_at: NOW + 60,
        };
        let Swap::Stored { version } = store
            .compare_and_swap("k", None, &"v", Some(&lease))
            .unwrap()
        else {
            panic!()
        };
        let record = store.load("k").unwrap().unwrap();
        assert_eq!(record.lease.as_ref(), Some(&lease));
        assert!(lease.is_live(NOW + 59));
        assert!(!lease.is_live(NOW + 60));
        let put = store.put("k", &"w").unwrap();
        assert!(put > version);
        let record = store.load("k").unwrap().unwrap();
        assert_eq!((record.value, record.lease), ("w", None));
        // A record serializes with its lease, for stores that keep JSON.
        let json = serde_json::to_string(&Record {
            value: 1,
            version: 2,
            lease: Some(lease),
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"value":1,"version":2,"lease":{"holder":"p1","expires_at":1700000060}}"#
        );
    }

    #[test]
    fn concurrent_swaps_from_one_version_have_one_winner() {
        let store = Arc::new(MemoryStore::new());
        assert_eq!(store.put("k", &0u32).unwrap(), 1);
        let winners: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (1..=16u32)
                .map(|i| {
                    let store = &store;
                    s.spawn(move || {
                        store.compare_and_swap("k", Some(1), &i, None).unwrap() != Swap::Conflict
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        });
        assert_eq!(winners, 1);
    }

    #[test]
    fn debug_hides_values() {
        let store = MemoryStore::new();
        store.put("T1", &"xoxe.xoxb-1-SECRET").unwrap();
        let shown = format!("{store:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("records: 1"), "{shown}");
    }

    fn rotating() -> Installation {
        let answer: AccessResponse = serde_json::from_str(
            r#"{"app_id":"A1","access_token":"xoxe.xoxb-1-B1","token_type":"bot","expires_in":43200,
            "refresh_token":"xoxe-1-BR1","team":{"id":"T1"},"authed_user":{"id":"U1",
            "access_token":"xoxe.xoxp-1-U1","token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-UR1"}}"#,
        )
        .unwrap();
        Installation::from_access(answer, NOW).unwrap()
    }

    #[test]
    fn installation_renewal() {
        let mut i = rotating();
        assert!(matches!(
            i.renewal(TokenType::Bot, NOW, 7200).unwrap(),
            Renewal::Use(t) if t.expose() == "xoxe.xoxb-1-B1"
        ));
        let due = NOW + 43200 - 7200;
        let Renewal::Refresh(request) = i.renewal(TokenType::Bot, due, 7200).unwrap() else {
            panic!()
        };
        let _refresh_grant: &crate::oauth_v2::AccessRefresh = &request;
        assert_eq!(
            Installation::refresh_token(&i, TokenType::User).map(RefreshToken::expose),
            Some("xoxe-1-UR1")
        );
        let answer: AccessResponse = serde_json::from_str(
            r#"{"access_token":"xoxe.xoxb-1-B2","token_type":"bot","expires_in":43200,
            "refresh_token":"xoxe-1-BR2","team":{"id":"T1"}}"#,
        )
        .unwrap();
        let token = i.apply_renewal(TokenType::Bot, &answer, due).unwrap();
        assert_eq!(token.expose(), "xoxe.xoxb-1-B2");
        assert_eq!(
            Installation::refresh_token(&i, TokenType::Bot).map(RefreshToken::expose),
            Some("xoxe-1-BR2")
        );
        // The user token is untouched, and a user answer cannot replace the bot token.
        assert_eq!(i.user.as_ref().unwrap().token.expose(), "xoxe.xoxp-1-U1");
        let before = i.clone();
        let user_answer: AccessResponse = serde_json::from_str(
            r#"{"access_token":"xoxe.xoxp-1-U2","token_type":"user","expires_in":43200,"refresh_token":"r"}"#,
        )
        .unwrap();
        assert!(i.apply_renewal(TokenType::Bot, &user_answer, due).is_err());
        assert_eq!(i, before);
        assert_eq!(Installation::token_name(TokenType::User), "user");
    }

    #[test]
    fn config_renewal() {
        let mut tokens = ConfigTokens::new("xoxe.xoxp-1-C1", "xoxe-1-CR1");
        let Renewal::Refresh(_) = tokens.renewal((), NOW, 300).unwrap() else {
            panic!("an unknown expiry means rotate")
        };
        assert_eq!(
            ConfigTokens::refresh_token(&tokens, ()).map(RefreshToken::expose),
            Some("xoxe-1-CR1")
        );
        let answer: RotateResponse = serde_json::from_str(
            r#"{"token":"xoxe.xoxp-1-C2","refresh_token":"xoxe-1-CR2","team_id":"T1","user_id":"U1",
            "iat":1700000000,"exp":1700043200}"#,
        )
        .unwrap();
        let token = tokens.apply_renewal((), &answer, NOW).unwrap();
        assert_eq!(token.expose(), "xoxe.xoxp-1-C2");
        assert!(matches!(
            tokens.renewal((), NOW, 300).unwrap(),
            Renewal::Use(_)
        ));
        assert_eq!(ConfigTokens::token_name(()), "configuration");
    }
}
