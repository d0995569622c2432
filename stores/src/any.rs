//! [`AnyStore`] / [`AsyncAnyStore`]: whichever backend a URL names.

use std::convert::Infallible;
use std::fmt;

use slack_oauth_core::store::{Lease, Swap};

use crate::typed::{Expect, Raw, RawAsyncStore, RawStore, Typed};
use crate::{Error, Options};

/// Which backend a URL names, and the rest of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind<'a> {
    /// The file path.
    Sqlite(&'a str),
    Postgres(&'a str),
    MySql(&'a str),
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
    if url.starts_with("mysql://") || url.starts_with("mariadb://") {
        return Ok(Kind::MySql(url));
    }
    if url.starts_with("redis://") || url.starts_with("rediss://") {
        return Ok(Kind::Redis(url));
    }
    // Not the URL itself: it may hold a password.
    let scheme = url.split_once(':').map_or("", |(s, _)| s);
    Err(Error::Config {
        detail: format!(
            "unknown store URL scheme `{scheme}` (sqlite:PATH, postgres://…, postgresql://…, mysql://…, mariadb://…, redis://…, rediss://…)"
        ),
    })
}

#[allow(dead_code)]
fn feature_off(feature: &str) -> Error {
    Error::Config {
        detail: format!("this build has no {feature} store (the `{feature}` feature is off)"),
    }
}

/// The blocking store a URL names: `sqlite:PATH`, `postgres://…` / `postgresql://…`,
/// `mysql://…` / `mariadb://…`, or
/// `redis://…` / `rediss://…` (each backend behind its feature).
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
///
/// Keeps any `T` serde can write and read back (see [`Typed`]).
pub type AnyStore<T> = Typed<Any, T>;

/// The backend of an [`AnyStore`]: whichever one the URL named.
#[derive(Clone)]
#[non_exhaustive]
// One store per process, usually behind an `Arc`: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Any {
    /// `sqlite:PATH`.
    #[cfg(feature = "sqlite")]
    Sqlite(crate::sqlite::Sqlite),
    /// `postgres://…`, `postgresql://…`.
    #[cfg(feature = "postgres")]
    Postgres(crate::postgres::Postgres),
    /// `mysql://…`, `mariadb://…`.
    #[cfg(feature = "mysql")]
    MySql(crate::mysql::MySql),
    /// `redis://…`, `rediss://…`.
    #[cfg(feature = "redis")]
    Redis(crate::redis::Redis),
    #[doc(hidden)]
    _Never(Infallible),
}

impl<T> AnyStore<T> {
    /// Opens the store `url` names, with default [`Options`].
    pub fn open(url: &str) -> Result<AnyStore<T>, Error> {
        AnyStore::open_with(url, &Options::default())
    }

    /// Opens the store `url` names, with `options`.
    #[allow(unused_variables)]
    pub fn open_with(url: &str, options: &Options) -> Result<AnyStore<T>, Error> {
        let backend = match kind(url)? {
            #[cfg(feature = "sqlite")]
            Kind::Sqlite(path) => {
                Any::Sqlite(crate::SqliteStore::<T>::open_with(path, options)?.backend)
            }
            #[cfg(feature = "postgres")]
            Kind::Postgres(url) => {
                Any::Postgres(crate::PostgresStore::<T>::open_with(url, options)?.backend)
            }
            #[cfg(feature = "mysql")]
            Kind::MySql(url) => {
                Any::MySql(crate::MySqlStore::<T>::open_with(url, options)?.backend)
            }
            #[cfg(feature = "redis")]
            Kind::Redis(url) => {
                Any::Redis(crate::RedisStore::<T>::open_with(url, options)?.backend)
            }
            #[allow(unreachable_patterns)]
            Kind::Sqlite(_) => return Err(feature_off("sqlite")),
            #[allow(unreachable_patterns)]
            Kind::Postgres(_) => return Err(feature_off("postgres")),
            #[allow(unreachable_patterns)]
            Kind::MySql(_) => return Err(feature_off("mysql")),
            #[allow(unreachable_patterns)]
            Kind::Redis(_) => return Err(feature_off("redis")),
        };
        Ok(Typed::new(backend))
    }
}

/// Calls `$call` on whichever backend `$self` is.
macro_rules! each {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite($s) => $call,
            #[cfg(feature = "postgres")]
            Self::Postgres($s) => $call,
            #[cfg(feature = "mysql")]
            Self::MySql($s) => $call,
            #[cfg(feature = "redis")]
            Self::Redis($s) => $call,
            Self::_Never(never) => match *never {},
        }
    };
}

impl fmt::Debug for Any {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        each!(self, s => s.fmt(f))
    }
}

impl RawStore for Any {
    fn name(&self) -> &'static str {
        each!(self, s => s.name())
    }

    fn load_raw(&self, key: &str) -> Result<Option<Raw>, Error> {
        each!(self, s => s.load_raw(key))
    }

    fn swap_raw(
        &self,
        key: &str,
        expected: Expect,
        value: &str,
        lease: Option<&Lease>,
    ) -> Result<Swap, Error> {
        each!(self, s => s.swap_raw(key, expected, value, lease))
    }

    fn delete_raw(&self, key: &str) -> Result<bool, Error> {
        each!(self, s => s.delete_raw(key))
    }

    fn keys_raw(&self, prefix: &str) -> Result<Vec<String>, Error> {
        each!(self, s => s.keys_raw(prefix))
    }
}

/// The async store a URL names (see [`AnyStore`]), for async keepers.
///
/// Keeps any `T` serde can write and read back (see [`Typed`]).
pub type AsyncAnyStore<T> = Typed<AsyncAny, T>;

/// The backend of an [`AsyncAnyStore`]: whichever one the URL named.
#[derive(Clone)]
#[non_exhaustive]
pub enum AsyncAny {
    /// `sqlite:PATH`.
    #[cfg(feature = "sqlite")]
    Sqlite(crate::sqlite::AsyncSqlite),
    /// `postgres://…`, `postgresql://…`.
    #[cfg(feature = "postgres")]
    Postgres(crate::postgres::AsyncPostgres),
    /// `mysql://…`, `mariadb://…`.
    #[cfg(feature = "mysql")]
    MySql(crate::mysql::AsyncMySql),
    /// `redis://…`, `rediss://…`.
    #[cfg(feature = "redis")]
    Redis(crate::redis::AsyncRedis),
    #[doc(hidden)]
    _Never(Infallible),
}

impl fmt::Debug for AsyncAny {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        each!(self, s => s.fmt(f))
    }
}

impl<T> AsyncAnyStore<T> {
    /// Opens the store `url` names, with default [`Options`].
    pub async fn open(url: &str) -> Result<AsyncAnyStore<T>, Error> {
        AsyncAnyStore::open_with(url, &Options::default()).await
    }

    /// Opens the store `url` names, with `options`.
    #[allow(unused_variables)]
    pub async fn open_with(url: &str, options: &Options) -> Result<AsyncAnyStore<T>, Error> {
        let backend = match kind(url)? {
            #[cfg(feature = "sqlite")]
            Kind::Sqlite(path) => AsyncAny::Sqlite(
                crate::AsyncSqliteStore::<T>::open_with(path, options)
                    .await?
                    .backend,
            ),
            #[cfg(feature = "postgres")]
            Kind::Postgres(url) => AsyncAny::Postgres(
                crate::AsyncPostgresStore::<T>::open_with(url, options)
                    .await?
                    .backend,
            ),
            #[cfg(feature = "mysql")]
            Kind::MySql(url) => AsyncAny::MySql(
                crate::AsyncMySqlStore::<T>::open_with(url, options)
                    .await?
                    .backend,
            ),
            #[cfg(feature = "redis")]
            Kind::Redis(url) => AsyncAny::Redis(
                crate::AsyncRedisStore::<T>::open_with(url, options)
                    .await?
                    .backend,
            ),
            #[allow(unreachable_patterns)]
            Kind::Sqlite(_) => return Err(feature_off("sqlite")),
            #[allow(unreachable_patterns)]
            Kind::Postgres(_) => return Err(feature_off("postgres")),
            #[allow(unreachable_patterns)]
            Kind::MySql(_) => return Err(feature_off("mysql")),
            #[allow(unreachable_patterns)]
            Kind::Redis(_) => return Err(feature_off("redis")),
        };
        Ok(Typed::new(backend))
    }
}

impl RawAsyncStore for AsyncAny {
    fn name(&self) -> &'static str {
        each!(self, s => s.name())
    }

    async fn load_raw(&self, key: &str) -> Result<Option<Raw>, Error> {
        each!(self, s => s.load_raw(key).await)
    }

    async fn swap_raw(
        &self,
        key: &str,
        expected: Expect,
        value: String,
        lease: Option<&Lease>,
    ) -> Result<Swap, Error> {
        each!(self, s => s.swap_raw(key, expected, value, lease).await)
    }

    async fn delete_raw(&self, key: &str) -> Result<bool, Error> {
        each!(self, s => s.delete_raw(key).await)
    }

    async fn keys_raw(&self, prefix: &str) -> Result<Vec<String>, Error> {
        each!(self, s => s.keys_raw(prefix).await)
    }
}

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
        assert!(matches!(kind("rediss://h:6380").unwrap(), Kind::Redis(_)));
        assert!(kind("sqlite:").is_err());
        assert!(matches!(kind("mysql://h/db").unwrap(), Kind::MySql(_)));
        assert!(matches!(kind("mariadb://h/db").unwrap(), Kind::MySql(_)));
        let e = kind("mssql://user:hunter2@h/db").unwrap_err();
        assert!(e.to_string().contains("`mssql`"), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
