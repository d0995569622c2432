//! [`AnyStore`] / [`AsyncAnyStore`]: whichever backend a URL names.

use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;
use slack_oauth_core::{Lease, Record, Store, Swap};

use crate::{Error, Options};

/// Which backend a URL names, and the rest of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind<'a> {
    /// The file path.
    Sqlite(&'a str),
    Postgres(&'a str),
    Redis(&'a str),
}

fn kind(url: &str) -> Result<Kind<'_>, Error> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        // `sqlite://x` and `sqlite:///abs` are common spellings of `sqlite:x`, `sqlite:/abs`.
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            return Err(Error::Config {
                detail: "`sqlite:` needs a file path (sqlite:PATH)".into(),
            });
        }
        return Ok(Kind::Sqlite(path));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Kind::Postgres(url));
    }
    if url.starts_with("redis://") {
        return Ok(Kind::Redis(url));
    }
    // Not the URL itself: it may hold a password.
    let scheme = url.split_once(':').map_or("", |(s, _)| s);
    Err(Error::Config {
        detail: format!(
            "unknown store URL scheme `{scheme}` (sqlite:PATH, postgres://…, postgresql://…, redis://…)"
        ),
    })
}

#[allow(dead_code)]
fn feature_off(feature: &str) -> Error {
    Error::Config {
        detail: format!("this build has no {feature} store (the `{feature}` feature is off)"),
    }
}

/// The blocking store a URL names: `sqlite:PATH`, `postgres://…` / `postgresql://…` or
/// `redis://…` (each backend behind its feature).
///
/// ```
/// use slack_oauth_core::Store;
/// use slack_oauth_store::AnyStore;
///
/// # let dir = std::env::temp_dir().join(format!("slack-oauth-any-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// # #[cfg(feature = "sqlite")] {
/// let url = format!("sqlite:{}", dir.join("tokens.db").display());
/// let store = AnyStore::<String>::open(&url)?;
/// store.put("T1", &"v".to_owned())?;
/// assert_eq!(store.load("T1")?.unwrap().value, "v");
/// # }
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), slack_oauth_store::Error>(())
/// ```
#[non_exhaustive]
// One store per process, usually behind an `Arc`: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum AnyStore<T> {
    /// `sqlite:PATH`.
    #[cfg(feature = "sqlite")]
    Sqlite(crate::SqliteStore<T>),
    /// `postgres://…`, `postgresql://…`.
    #[cfg(feature = "postgres")]
    Postgres(crate::PostgresStore<T>),
    /// `redis://…`.
    #[cfg(feature = "redis")]
    Redis(crate::RedisStore<T>),
    #[doc(hidden)]
    _Never(Infallible, PhantomData<fn() -> T>),
}

impl<T> AnyStore<T> {
    /// Opens the store `url` names, with default [`Options`].
    pub fn open(url: &str) -> Result<AnyStore<T>, Error> {
        AnyStore::open_with(url, &Options::default())
    }

    /// Opens the store `url` names, with `options`.
    #[allow(unused_variables)]
    pub fn open_with(url: &str, options: &Options) -> Result<AnyStore<T>, Error> {
        match kind(url)? {
            #[cfg(feature = "sqlite")]
            Kind::Sqlite(path) => {
                crate::SqliteStore::open_with(path, options).map(AnyStore::Sqlite)
            }
            #[cfg(feature = "postgres")]
            Kind::Postgres(url) => {
                crate::PostgresStore::open_with(url, options).map(AnyStore::Postgres)
            }
            #[cfg(feature = "redis")]
            Kind::Redis(url) => crate::RedisStore::open_with(url, options).map(AnyStore::Redis),
            #[allow(unreachable_patterns)]
            Kind::Sqlite(_) => Err(feature_off("sqlite")),
            #[allow(unreachable_patterns)]
            Kind::Postgres(_) => Err(feature_off("postgres")),
            #[allow(unreachable_patterns)]
            Kind::Redis(_) => Err(feature_off("redis")),
        }
    }
}

impl<T> fmt::Debug for AnyStore<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(feature = "sqlite")]
            AnyStore::Sqlite(s) => s.fmt(f),
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(s) => s.fmt(f),
            #[cfg(feature = "redis")]
            AnyStore::Redis(s) => s.fmt(f),
            AnyStore::_Never(never, _) => match *never {},
        }
    }
}

/// Calls `$call` on whichever store `$self` is.
macro_rules! each {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite($s) => $call,
            #[cfg(feature = "postgres")]
            Self::Postgres($s) => $call,
            #[cfg(feature = "redis")]
            Self::Redis($s) => $call,
            Self::_Never(never, _) => match *never {},
        }
    };
}

impl<T: Serialize + DeserializeOwned> Store<T> for AnyStore<T> {
    type Error = Error;

    fn load(&self, key: &str) -> Result<Option<Record<T>>, Error> {
        each!(self, s => s.load(key))
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> Result<Swap, Error> {
        each!(self, s => s.compare_and_swap(key, expected, value, lease))
    }

    fn delete(&self, key: &str) -> Result<bool, Error> {
        each!(self, s => s.delete(key))
    }

    fn put(&self, key: &str, value: &T) -> Result<u64, Error> {
        each!(self, s => s.put(key, value))
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>, Error> {
        each!(self, s => s.keys(prefix))
    }
}

/// The async store a URL names (see [`AnyStore`]), for async keepers.
///
/// Keeps [`Installation`](slack_oauth_core::Installation),
/// [`ConfigTokens`](slack_oauth_core::ConfigTokens), `String` and `serde_json::Value`.
#[non_exhaustive]
pub enum AsyncAnyStore<T> {
    /// `sqlite:PATH`.
    #[cfg(feature = "sqlite")]
    Sqlite(crate::AsyncSqliteStore<T>),
    /// `postgres://…`, `postgresql://…`.
    #[cfg(feature = "postgres")]
    Postgres(crate::AsyncPostgresStore<T>),
    /// `redis://…`.
    #[cfg(feature = "redis")]
    Redis(crate::AsyncRedisStore<T>),
    #[doc(hidden)]
    _Never(Infallible, PhantomData<fn() -> T>),
}

impl<T> fmt::Debug for AsyncAnyStore<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        each!(self, s => s.fmt(f))
    }
}

impl<T: Send + 'static> AsyncAnyStore<T> {
    /// Opens the store `url` names, with default [`Options`].
    pub async fn open(url: &str) -> Result<AsyncAnyStore<T>, Error> {
        AsyncAnyStore::open_with(url, &Options::default()).await
    }

    /// Opens the store `url` names, with `options`.
    #[allow(unused_variables)]
    pub async fn open_with(url: &str, options: &Options) -> Result<AsyncAnyStore<T>, Error> {
        match kind(url)? {
            #[cfg(feature = "sqlite")]
            Kind::Sqlite(path) => crate::AsyncSqliteStore::open_with(path, options)
                .await
                .map(AsyncAnyStore::Sqlite),
            #[cfg(feature = "postgres")]
            Kind::Postgres(url) => crate::AsyncPostgresStore::open_with(url, options)
                .await
                .map(AsyncAnyStore::Postgres),
            #[cfg(feature = "redis")]
            Kind::Redis(url) => crate::AsyncRedisStore::open_with(url, options)
                .await
                .map(AsyncAnyStore::Redis),
            #[allow(unreachable_patterns)]
            Kind::Sqlite(_) => Err(feature_off("sqlite")),
            #[allow(unreachable_patterns)]
            Kind::Postgres(_) => Err(feature_off("postgres")),
            #[allow(unreachable_patterns)]
            Kind::Redis(_) => Err(feature_off("redis")),
        }
    }
}

macro_rules! async_any_for {
    ($($t:ty),*) => {$(
        impl slack_oauth_core::AsyncStore<$t> for AsyncAnyStore<$t> {
            type Error = Error;

            async fn load(&self, key: &str) -> Result<Option<Record<$t>>, Error> {
                each!(self, s => slack_oauth_core::AsyncStore::load(s, key).await)
            }

            async fn compare_and_swap(
                &self,
                key: &str,
                expected: Option<u64>,
                value: &$t,
                lease: Option<&Lease>,
            ) -> Result<Swap, Error> {
                each!(self, s => slack_oauth_core::AsyncStore::compare_and_swap(s, key, expected, value, lease).await)
            }

            async fn delete(&self, key: &str) -> Result<bool, Error> {
                each!(self, s => slack_oauth_core::AsyncStore::delete(s, key).await)
            }

            async fn put(&self, key: &str, value: &$t) -> Result<u64, Error> {
                each!(self, s => slack_oauth_core::AsyncStore::put(s, key, value).await)
            }

            async fn keys(&self, prefix: &str) -> Result<Vec<String>, Error> {
                each!(self, s => slack_oauth_core::AsyncStore::keys(s, prefix).await)
            }
        }
    )*};
}

async_any_for!(
    slack_oauth_core::Installation,
    slack_oauth_core::ConfigTokens,
    String,
    serde_json::Value
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_backend() {
        assert_eq!(kind("sqlite:tokens.db").unwrap(), Kind::Sqlite("tokens.db"));
        assert_eq!(
            kind("sqlite://tokens.db").unwrap(),
            Kind::Sqlite("tokens.db")
        );
        assert_eq!(
            kind("sqlite:///tmp/t.db").unwrap(),
            Kind::Sqlite("/tmp/t.db")
        );
        assert_eq!(kind("sqlite:/tmp/t.db").unwrap(), Kind::Sqlite("/tmp/t.db"));
        assert!(matches!(
            kind("postgres://h/db").unwrap(),
            Kind::Postgres(_)
        ));
        assert!(matches!(
            kind("postgresql://h/db").unwrap(),
            Kind::Postgres(_)
        ));
        assert!(matches!(kind("redis://h").unwrap(), Kind::Redis(_)));
        assert!(kind("sqlite:").is_err());
        let e = kind("mysql://user:hunter2@h/db").unwrap_err();
        assert!(e.to_string().contains("`mysql`"), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
