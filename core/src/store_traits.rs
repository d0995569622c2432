//! The store contract: where kept tokens live between calls, as versioned records written
//! only by compare-and-swap ([`Store`], [`AsyncStore`], [`Blocking`], [`Record`], [`Lease`],
//! [`Swap`]).
//!
//! Refresh tokens are single-use, so two workers refreshing one installation at once leave
//! one of them holding a dead token (`invalid_refresh_token`). A keeper therefore never
//! writes blindly: every write names the version it read, and a write against a newer
//! version fails ([`Swap::Conflict`]). Before refreshing, a keeper takes a [`Lease`] on the
//! record with such a write, so that several processes sharing one store (a database row,
//! say) refresh an installation once between them; the others wait for the lease to clear
//! and use the stored result. [`MemoryStore`](crate::MemoryStore) is the in-memory model.
//!
//! Nothing here does I/O or reads a clock: times are passed in.

use std::future::Future;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

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
    /// The stored value (an [`Installation`](crate::Installation), [`ConfigTokens`](crate::ConfigTokens), ...).
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
/// The methods are blocking; [`AsyncStore`] is the async form (wrap a `Store` that never
/// waits in [`Blocking`] to hand it to an async keeper).
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

    /// The keys of the records whose key starts with `prefix` (all of them for `""`), in
    /// ascending byte order: how a whole installation is listed and deleted (see
    /// [`InstallationKey::prefix`](crate::installation::InstallationKey::prefix)). `prefix` is plain text:
    /// a SQL store escapes `%`, `_` and its escape character before a `LIKE`.
    fn keys(&self, prefix: &str) -> Result<Vec<String>, Self::Error>;

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

    fn keys(&self, prefix: &str) -> Result<Vec<String>, Self::Error> {
        (**self).keys(prefix)
    }

    fn put(&self, key: &str, value: &T) -> Result<u64, Self::Error> {
        (**self).put(key, value)
    }
}

/// [`Store`] for async code: the same operations, as `Send` futures, for storage reached
/// over the network from an async runtime.
///
/// Implement it for a store with an async client. [`MemoryStore`](crate::MemoryStore) is
/// both a `Store` and an `AsyncStore`, and an `Arc` of any `AsyncStore` is one too;
/// [`Blocking`] makes any other `Store` that never waits an `AsyncStore` whose futures are
/// ready at once. Call it with `AsyncStore::load(&store, key)` when both traits are in scope.
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

    /// See [`Store::keys`].
    fn keys(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send;

    /// See [`Store::put`].
    fn put(&self, key: &str, value: &T) -> impl Future<Output = Result<u64, Self::Error>> + Send;
}

impl<T, S: AsyncStore<T> + ?Sized> AsyncStore<T> for Arc<S> {
    type Error = S::Error;

    fn load(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<Record<T>>, Self::Error>> + Send {
        (**self).load(key)
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<Swap, Self::Error>> + Send {
        (**self).compare_and_swap(key, expected, value, lease)
    }

    fn delete(&self, key: &str) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        (**self).delete(key)
    }

    fn keys(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send {
        (**self).keys(prefix)
    }

    fn put(&self, key: &str, value: &T) -> impl Future<Output = Result<u64, Self::Error>> + Send {
        (**self).put(key, value)
    }
}

/// A blocking [`Store`] handed to an async keeper: each call runs to its end on the task
/// that makes it, and its future is ready at once.
///
/// Right for a store that never waits (in memory, or a cache in front of one); a store that
/// waits on a disk or a network would stall the runtime's worker thread for as long, so give
/// such a store an [`AsyncStore`] of its own (or run its calls on the runtime's blocking
/// pool) instead. [`MemoryStore`](crate::MemoryStore) is an `AsyncStore` already and needs no
/// wrapper.
///
/// ```
/// use std::convert::Infallible;
/// use std::sync::Arc;
/// use slack_oauth_core::{AsyncStore, MemoryStore, Store, store::Blocking};
///
/// fn for_an_async_keeper<S: AsyncStore<String>>(store: S) -> S {
///     store
/// }
///
/// // A blocking store that is not an `AsyncStore` by itself (here, behind a trait object).
/// let store: Arc<dyn Store<String, Error = Infallible> + Send + Sync> = Arc::new(MemoryStore::new());
/// let store = for_an_async_keeper(Blocking(store));
/// assert_eq!(store.0.put("T1", &"v".to_owned())?, 1);
/// # Ok::<(), Infallible>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Blocking<S>(pub S);

impl<T: Send, S: Store<T>> AsyncStore<T> for Blocking<S> {
    type Error = S::Error;

    fn load(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<Record<T>>, Self::Error>> + Send {
        std::future::ready(self.0.load(key))
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<Swap, Self::Error>> + Send {
        std::future::ready(self.0.compare_and_swap(key, expected, value, lease))
    }

    fn delete(&self, key: &str) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        std::future::ready(self.0.delete(key))
    }

    fn keys(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send {
        std::future::ready(self.0.keys(prefix))
    }

    fn put(&self, key: &str, value: &T) -> impl Future<Output = Result<u64, Self::Error>> + Send {
        std::future::ready(self.0.put(key, value))
    }
}
