//! Durable, shared stores for kept tokens: [`SqliteStore`] (one machine, several
//! processes), [`PostgresStore`], [`MySqlStore`] and [`RedisStore`] (fleets of machines), each with an async
//! twin for async keepers, and [`AnyStore`] / [`AsyncAnyStore`] to open one from a URL.
//!
//! Every backend keeps core's [`Record`]s: the value as JSON (serde), a version that is
//! never reused for a key (a per-store counter, kept across deletes), and the refresh lease.
//! Compare-and-swap is one conditional statement (SQL) or one script (Redis), so several
//! processes sharing a store refresh each installation once between them.
//!
//! Each store is a [`Typed`] over its backend: the blocking ones are core's [`Store<T>`],
//! the async ones its [`AsyncStore<T>`], for every `T` serde can write and read back
//! (installations, configuration tokens, or a type of your own):
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use serde::{Deserialize, Serialize};
//! use slack_oauth_core::Store;
//! use slack_oauth_store::SqliteStore;
//!
//! #[derive(Debug, PartialEq, Serialize, Deserialize)]
//! struct Channel {
//!     id: String,
//!     topic: Option<String>,
//! }
//!
//! # let dir = std::env::temp_dir().join(format!("slack-oauth-lib-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! let store = SqliteStore::<Channel>::open(dir.join("app.db"))?;
//! let general = Channel { id: "C1".into(), topic: None };
//! store.put("C1", &general)?;
//! assert_eq!(store.load("C1")?.unwrap().value, general);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # }
//! # Ok::<(), slack_oauth_store::Error>(())
//! ```
//!
//! | URL | store | features | TLS |
//! | --- | --- | --- | --- |
//! | `sqlite:PATH` (`sqlite://PATH`, `sqlite:///ABSOLUTE`) | [`SqliteStore`] | `sqlite` | — |
//! | `postgres://…`, `postgresql://…` | [`PostgresStore`] | `postgres` | libpq's `sslmode`, `sslrootcert`; default `verify-full` (`prefer` on loopback) |
//! | `mysql://…`, `mariadb://…` | [`MySqlStore`] | `mysql` | MySQL's `ssl-mode`, `ssl-ca`; default `VERIFY_IDENTITY` (`PREFERRED` on loopback) |
//! | `redis://…` | [`RedisStore`] | `redis` | none: plaintext |
//! | `rediss://…` | [`RedisStore`] | `redis` | always, chain and host name checked |
//!
//! TLS is rustls with the ring provider, against Mozilla's roots or the CA given
//! ([`Options::tls_ca_file`], [`Options::tls_roots`]; for PostgreSQL an `sslrootcert` in
//! the URL wins, for MySQL an `ssl-ca`). A TLS failure is [`Error::Tls`], naming the host and the reason, never a
//! password, and never followed by a plaintext attempt. `sslmode=disable` to a host that
//! is not loopback sends every token in clear: the crate's README says what that costs.
//!
//! The stored values hold access and refresh tokens in clear unless the store is
//! [`Sealed`] (see docs/tokens-at-rest.md): keep the file, table or keys as secret as the
//! tokens (the SQLite file is created `0600`).
//!
//! The blocking stores must not be used from inside an async runtime's worker threads;
//! the async ones (`Async…`) never block one: SQLite calls run on Tokio's blocking pool,
//! PostgreSQL and Redis use async clients.
//!
//! [`Record`]: slack_oauth_core::store::Record
//! [`Store<T>`]: slack_oauth_core::Store
//! [`AsyncStore<T>`]: slack_oauth_core::AsyncStore

// With no backend feature only the shared types are left, unused.
#![cfg_attr(
    not(any(
        feature = "sqlite",
        feature = "postgres",
        feature = "mysql",
        feature = "redis"
    )),
    allow(unused)
)]

use std::fmt;
use std::time::Duration;

use slack_oauth_core::store::Lease;

mod any;
mod keyring;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
mod sealed;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "tls")]
mod tls;
mod typed;

pub use any::{AnyStore, AsyncAnyStore};
pub use keyring::{Keyring, KEY_LEN};
#[cfg(feature = "mysql")]
pub use mysql::{AsyncMySqlStore, MySqlStore};
#[cfg(feature = "postgres")]
pub use postgres::{AsyncPostgresStore, PostgresStore};
#[cfg(feature = "redis")]
pub use redis::{AsyncRedisStore, RedisStore};
pub use sealed::{Envelope, Rekeyed, SealFailure, Sealed, Stored};
pub use slack_oauth_core::transport::TlsRoots;
#[cfg(feature = "sqlite")]
pub use sqlite::{AsyncSqliteStore, SqliteStore};
pub use typed::Typed;

/// The table records live in unless [`Options::namespace`] says otherwise (SQLite,
/// PostgreSQL and MySQL).
pub const DEFAULT_TABLE: &str = "slack_oauth_records";

/// The key prefix records live under unless [`Options::namespace`] says otherwise (Redis).
pub const DEFAULT_PREFIX: &str = "slack-oauth";

/// How a store connects: its timeout, pool size, where in the database its records live,
/// and which certificate authorities its TLS trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    timeout: Duration,
    pool_size: u32,
    namespace: Option<String>,
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    ca: Option<Ca>,
}

/// Where the trusted certificate authorities come from (see [`Options::tls_roots`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "tls"), allow(dead_code))]
pub(crate) enum Ca {
    /// As given: Mozilla's roots or these DER certificates.
    Roots(TlsRoots),
    /// A PEM file of certificates, read when the store opens.
    File(std::path::PathBuf),
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(10),
            pool_size: 8,
            namespace: None,
            ca: None,
        }
    }
}

impl Options {
    /// The defaults: a 10-second timeout, 8 pooled connections, the default table or prefix.
    pub fn new() -> Options {
        Options::default()
    }

    /// How long each step of an operation (connecting, waiting for a lock, a statement) may
    /// take before it fails with [`Error::Timeout`] or [`Error::Unreachable`]; a whole
    /// operation fails within twice this at worst.
    pub fn timeout(mut self, timeout: Duration) -> Options {
        self.timeout = timeout;
        self
    }

    /// How many connections a PostgreSQL or blocking Redis store pools (at least 1).
    pub fn pool_size(mut self, size: u32) -> Options {
        self.pool_size = size.max(1);
        self
    }

    /// Where records live: the table (SQLite: `name`; PostgreSQL: `name` or
    /// `schema.name`, the schema created if missing; MySQL: `name` or `database.name`, the
    /// database created if missing) or the key prefix (Redis). Table names
    /// are ASCII letters, digits and `_`, not starting with a digit.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Options {
        self.namespace = Some(namespace.into());
        self
    }

    /// The certificate authorities TLS to PostgreSQL or Redis trusts (default: Mozilla's,
    /// [`TlsRoots::WebPki`]). For PostgreSQL an `sslrootcert` in the URL wins.
    pub fn tls_roots(mut self, roots: TlsRoots) -> Options {
        self.ca = Some(Ca::Roots(roots));
        self
    }

    /// Like [`tls_roots`](Self::tls_roots), from a PEM file of certificates (a private
    /// CA, or the one a managed service publishes), read when the store opens: a file that
    /// cannot be read or holds no certificate is an [`Error::Config`].
    pub fn tls_ca_file(mut self, path: impl Into<std::path::PathBuf>) -> Options {
        self.ca = Some(Ca::File(path.into()));
        self
    }
}

/// Why a store operation failed. Never holds a token, a stored value or a password.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The store cannot be reached: refused connection, unknown host, failed login, a file
    /// that cannot be opened.
    Unreachable {
        /// `sqlite`, `postgres`, `mysql` or `redis`.
        store: &'static str,
        /// What the client said.
        detail: String,
    },
    /// The store did not answer (or its lock did not free) within the timeout. A write that
    /// waited for a lock did not happen; one whose server went silent (Redis, or an async
    /// PostgreSQL store past twice the timeout) may have: load again before deciding.
    Timeout {
        /// `sqlite`, `postgres`, `mysql` or `redis`.
        store: &'static str,
        /// The timeout that ran out.
        after: Duration,
    },
    /// What is stored under a key is not a record this store wrote.
    Corrupt {
        /// `sqlite`, `postgres`, `mysql` or `redis`.
        store: &'static str,
        /// The key.
        key: String,
        /// What is wrong (never the stored text).
        detail: String,
    },
    /// The store answered with an error.
    Backend {
        /// `sqlite`, `postgres`, `mysql` or `redis`.
        store: &'static str,
        /// What the server or library said.
        detail: String,
    },
    /// The record under `key` is sealed under the key `key_id`, which the keyring does not
    /// hold (or sealing is off): nothing was read, and nothing should be written over it.
    KeyMissing {
        /// The record key.
        key: String,
        /// The id of the key needed to open it.
        key_id: String,
    },
    /// The sealed record under `key` does not open: it was altered, or copied there from
    /// another record.
    Tampered {
        /// The record key.
        key: String,
    },
    /// A URL or option is not valid, or names a backend whose feature is off.
    Config {
        /// What is wrong.
        detail: String,
    },
    /// TLS to the server failed: its certificate is not trusted, names another host or has
    /// expired, or the server does not speak TLS where the URL requires it (or requires it
    /// where the URL turned it off). Nothing was sent in clear instead.
    Tls {
        /// `postgres`, `mysql` or `redis`.
        store: &'static str,
        /// The server, `host:port` (never a user name or password).
        host: String,
        /// What went wrong.
        reason: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Unreachable { store, detail } => {
                write!(f, "the {store} store cannot be reached: {detail}")
            }
            Error::Timeout { store, after } => {
                write!(f, "the {store} store did not answer within {after:?}")
            }
            Error::Corrupt { store, key, detail } => {
                write!(
                    f,
                    "the {store} store holds an unreadable record under `{key}`: {detail}"
                )
            }
            Error::Backend { store, detail } => write!(f, "the {store} store failed: {detail}"),
            Error::KeyMissing { key, key_id } => write!(
                f,
                "the record under `{key}` is sealed under the key `{key_id}`, which the keyring \
                 does not hold (the CLI's ring is SLACK_OAUTH_KEYS); nothing was read or written"
            ),
            Error::Tampered { key } => write!(
                f,
                "the sealed record under `{key}` does not open: it was altered or copied from \
                 another record"
            ),
            Error::Config { detail } => write!(f, "invalid store configuration: {detail}"),
            Error::Tls {
                store,
                host,
                reason,
            } => write!(f, "TLS to the {store} store at {host} failed: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Whether the store could not be reached or did not answer in time (asking again
    /// later may help).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Unreachable { .. } | Error::Timeout { .. })
    }
}

/// A SQL `LIKE` pattern (with `ESCAPE '\'`) matching the keys that start with `prefix`.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code)
)]
pub(crate) fn like_prefix(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The keys of `found` that really start with `prefix` (a pattern may match more, as
/// SQLite's case-insensitive `LIKE` does), in ascending byte order.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "redis")),
    allow(dead_code)
)]
pub(crate) fn exact_prefix(found: impl IntoIterator<Item = String>, prefix: &str) -> Vec<String> {
    let mut keys: Vec<String> = (found.into_iter())
        .filter(|k| k.starts_with(prefix))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// SQL identifiers we splice into statements: checked, since they cannot be parameters.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code)
)]
pub(crate) fn identifier(name: &str) -> Result<&str, Error> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 48;
    if valid {
        Ok(name)
    } else {
        Err(Error::Config {
            detail: format!("`{name}` is not a table name (ASCII letters, digits, `_`)"),
        })
    }
}

/// Lease expiry as an SQL integer: a time past `i64::MAX` seconds is as good as never.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code)
)]
pub(crate) fn to_sql_time(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code)
)]
pub(crate) fn lease_from_columns(
    store: &'static str,
    key: &str,
    holder: Option<String>,
    expires_at: Option<i64>,
) -> Result<Option<Lease>, Error> {
    match (holder, expires_at) {
        (None, None) => Ok(None),
        (Some(holder), Some(expires_at)) if expires_at >= 0 => Ok(Some(Lease {
            holder,
            expires_at: expires_at as u64,
        })),
        _ => Err(Error::Corrupt {
            store,
            key: key.to_owned(),
            detail: "the lease columns are inconsistent".into(),
        }),
    }
}

#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres", feature = "mysql")),
    allow(dead_code)
)]
pub(crate) fn version_from_sql(store: &'static str, key: &str, v: i64) -> Result<u64, Error> {
    u64::try_from(v).map_err(|_| Error::Corrupt {
        store,
        key: key.to_owned(),
        detail: "the version is negative".into(),
    })
}

// The README's Rust examples run as doctests of this crate (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_checked() {
        assert!(identifier("slack_oauth_records").is_ok());
        assert!(identifier("_t1").is_ok());
        for bad in ["", "1t", "t;drop", "t-1", "sch.t", "ü"] {
            assert!(identifier(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sql_times_saturate() {
        assert_eq!(to_sql_time(5), 5);
        assert_eq!(to_sql_time(u64::MAX), i64::MAX);
    }
}
