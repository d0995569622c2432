//! [`Typed`]: the one typed layer over every backend. A backend keeps records whose value is
//! JSON text ([`RawStore`] blocking, [`RawAsyncStore`] async); `Typed` turns it into core's
//! [`Store<T>`] or [`AsyncStore<T>`] for every serde type `T`.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;
use slack_oauth_core::{
    store::{Lease, Record, Swap},
    AsyncStore, Store,
};

use crate::sealed::sealed_key_id;
use crate::Error;

/// A store of `T` values (kept as JSON) over the backend `B`: what [`SqliteStore`],
/// [`PostgresStore`], [`RedisStore`], [`AnyStore`] and their async twins are.
///
/// It is a [`Store<T>`] over a blocking backend and an [`AsyncStore<T>`] over an async one,
/// for every `T` that serde can write and read back: core's
/// [`Installation`](slack_oauth_core::Installation) and
/// [`ConfigTokens`](slack_oauth_core::ConfigTokens), or a type of your own. Clones (where
/// the backend allows them) share its connections.
///
/// [`SqliteStore`]: crate::SqliteStore
/// [`PostgresStore`]: crate::PostgresStore
/// [`RedisStore`]: crate::RedisStore
/// [`AnyStore`]: crate::AnyStore
pub struct Typed<B, T> {
    pub(crate) backend: B,
    /// Whether this store keeps a [`Sealed`](crate::Sealed) layer's values: only then is
    /// a sealed value a value, not a record it cannot read.
    beneath_seal: bool,
    // `fn() -> T`: the store holds no `T`, so it is `Send` and `Sync` whatever `T` is.
    _value: PhantomData<fn() -> T>,
}

impl<B, T> Typed<B, T> {
    pub(crate) fn new(backend: B) -> Typed<B, T> {
        Typed {
            backend,
            beneath_seal: false,
            _value: PhantomData,
        }
    }

    /// The store beneath a [`Sealed`](crate::Sealed) layer.
    pub(crate) fn beneath_seal(backend: B) -> Typed<B, T> {
        Typed {
            beneath_seal: true,
            ..Typed::new(backend)
        }
    }
}

impl<B: Clone, T> Clone for Typed<B, T> {
    fn clone(&self) -> Self {
        Typed {
            beneath_seal: self.beneath_seal,
            ..Typed::new(self.backend.clone())
        }
    }
}

impl<B: fmt::Debug, T> fmt::Debug for Typed<B, T> {
    /// The backend's: where it is and its timeout, never a value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.backend.fmt(f)
    }
}

/// A record as the backends hold it: the value still JSON.
pub struct Raw {
    pub(crate) version: u64,
    pub(crate) value: String,
    pub(crate) lease: Option<Lease>,
}

/// What a write expects to find: [`Store::compare_and_swap`]'s `expected`, or anything
/// ([`Store::put`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// No record.
    Absent,
    /// The record at this version.
    Version(u64),
    /// Whatever is there, or nothing.
    Any,
}

impl From<Option<u64>> for Expect {
    fn from(expected: Option<u64>) -> Expect {
        expected.map_or(Expect::Absent, Expect::Version)
    }
}

/// A blocking backend: records with JSON values, the swap one conditional statement or
/// script. Implemented by this crate's backends only.
pub trait RawStore {
    /// `sqlite`, `postgres` or `redis`, for errors.
    fn name(&self) -> &'static str;
    /// The record under `key`, if any.
    fn load_raw(&self, key: &str) -> Result<Option<Raw>, Error>;
    /// Writes `value` and `lease` under `key` if what is stored is `expected`.
    fn swap_raw(
        &self,
        key: &str,
        expected: Expect,
        value: &str,
        lease: Option<&Lease>,
    ) -> Result<Swap, Error>;
    /// Removes the record under `key`; says whether there was one.
    fn delete_raw(&self, key: &str) -> Result<bool, Error>;
    /// The keys starting with `prefix`, in ascending byte order.
    fn keys_raw(&self, prefix: &str) -> Result<Vec<String>, Error>;
}

/// [`RawStore`] for async code: the same operations as `Send` futures that never block the
/// runtime. Implemented by this crate's backends only.
pub trait RawAsyncStore {
    /// `sqlite`, `postgres` or `redis`, for errors.
    fn name(&self) -> &'static str;
    /// See [`RawStore::load_raw`].
    fn load_raw(&self, key: &str) -> impl Future<Output = Result<Option<Raw>, Error>> + Send;
    /// See [`RawStore::swap_raw`].
    fn swap_raw(
        &self,
        key: &str,
        expected: Expect,
        value: String,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<Swap, Error>> + Send;
    /// See [`RawStore::delete_raw`].
    fn delete_raw(&self, key: &str) -> impl Future<Output = Result<bool, Error>> + Send;
    /// See [`RawStore::keys_raw`].
    fn keys_raw(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, Error>> + Send;
}

fn encode<T: Serialize>(store: &'static str, value: &T) -> Result<String, Error> {
    // Serializing the core's records cannot fail; a user's own `T` might (a map with
    // non-string keys, a `Serialize` impl that fails).
    serde_json::to_string(value).map_err(|e| Error::Backend {
        store,
        detail: format!("the value cannot be serialized ({:?})", e.classify()),
    })
}

pub(crate) fn decode<T: DeserializeOwned>(
    store: &'static str,
    key: &str,
    raw: Raw,
    beneath_seal: bool,
) -> Result<Record<T>, Error> {
    // A sealed record read without the layer: say which key it needs. Checked first, as a
    // type whose fields are all optional (core's `Installation`) would read it as empty.
    if !beneath_seal {
        if let Some(key_id) = sealed_key_id(&raw.value) {
            return Err(Error::KeyMissing {
                key: key.to_owned(),
                key_id,
            });
        }
    }
    // serde_json's messages quote the offending text, which may be a token: report only
    // where and what kind of error.
    let value = serde_json::from_str(&raw.value).map_err(|e| Error::Corrupt {
        store,
        key: key.to_owned(),
        detail: format!(
            "the value is not valid ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ),
    })?;
    Ok(Record {
        value,
        version: raw.version,
        lease: raw.lease,
    })
}

/// The version an [`Expect::Any`] write stored: it cannot conflict.
fn stored(store: &'static str, swap: Swap) -> Result<u64, Error> {
    match swap {
        Swap::Stored { version } => Ok(version),
        Swap::Conflict => Err(Error::Backend {
            store,
            detail: "an unconditional write reported a conflict".into(),
        }),
    }
}

impl<B: RawStore, T: Serialize + DeserializeOwned> Store<T> for Typed<B, T> {
    type Error = Error;

    fn load(&self, key: &str) -> Result<Option<Record<T>>, Error> {
        let raw = self.backend.load_raw(key)?;
        raw.map(|raw| decode(self.backend.name(), key, raw, self.beneath_seal))
            .transpose()
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> Result<Swap, Error> {
        let value = encode(self.backend.name(), value)?;
        self.backend
            .swap_raw(key, Expect::from(expected), &value, lease)
    }

    fn delete(&self, key: &str) -> Result<bool, Error> {
        self.backend.delete_raw(key)
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>, Error> {
        self.backend.keys_raw(prefix)
    }

    /// One unconditional write (an upsert), not core's load-and-swap loop.
    fn put(&self, key: &str, value: &T) -> Result<u64, Error> {
        let value = encode(self.backend.name(), value)?;
        let swap = self.backend.swap_raw(key, Expect::Any, &value, None)?;
        stored(self.backend.name(), swap)
    }
}

// The value is encoded before the future is made, so the future never holds a `&T`: `T`
// needs no `Sync`.
impl<B: RawAsyncStore + Sync, T: Serialize + DeserializeOwned> AsyncStore<T> for Typed<B, T> {
    type Error = Error;

    async fn load(&self, key: &str) -> Result<Option<Record<T>>, Error> {
        let raw = self.backend.load_raw(key).await?;
        raw.map(|raw| decode(self.backend.name(), key, raw, self.beneath_seal))
            .transpose()
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<Swap, Error>> + Send {
        let value = encode(self.backend.name(), value);
        async move {
            let swap = self
                .backend
                .swap_raw(key, Expect::from(expected), value?, lease);
            swap.await
        }
    }

    fn delete(&self, key: &str) -> impl Future<Output = Result<bool, Error>> + Send {
        self.backend.delete_raw(key)
    }

    fn keys(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, Error>> + Send {
        self.backend.keys_raw(prefix)
    }

    fn put(&self, key: &str, value: &T) -> impl Future<Output = Result<u64, Error>> + Send {
        let value = encode(self.backend.name(), value);
        async move {
            let swap = self
                .backend
                .swap_raw(key, Expect::Any, value?, None)
                .await?;
            stored(self.backend.name(), swap)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_values_never_echo_the_stored_text() {
        let raw = Raw {
            version: 1,
            value: r#"{"token": "xoxb-SECRET"#.into(),
            lease: None,
        };
        let e = decode::<u32>("sqlite", "T1", raw, false).unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(matches!(e, Error::Corrupt { .. }));
        assert!(!shown.contains("SECRET"), "{shown}");
        let raw = Raw {
            version: 1,
            value: r#""xoxb-SECRET""#.into(),
            lease: None,
        };
        let e = decode::<u32>("sqlite", "T1", raw, false).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("SECRET"));
    }

    #[test]
    fn values_serde_cannot_write_are_a_typed_error() {
        // JSON object keys are strings: a map keyed by a pair cannot be written.
        let value = std::collections::BTreeMap::from([((1, 2), "xoxb-SECRET")]);
        let e = encode("redis", &value).unwrap_err();
        assert!(matches!(e, Error::Backend { store: "redis", .. }), "{e:?}");
        assert!(!format!("{e} {e:?}").contains("SECRET"));
    }
}
