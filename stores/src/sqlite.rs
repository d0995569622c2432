//! [`SqliteStore`]: records in one SQLite file, shared by the processes of one machine.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use slack_oauth_core::store::{Lease, Swap};

use crate::typed::{Expect, Raw, RawAsyncStore, RawStore, Typed};
use crate::{
    identifier, lease_from_columns, to_sql_time, version_from_sql, Error, Options, DEFAULT_TABLE,
};

const STORE: &str = "sqlite";

/// Records in a SQLite file: the embedded default, for one machine. Several processes may
/// open the same file: it runs in WAL mode with a busy timeout, and every swap is one
/// conditional `UPDATE` or `INSERT` in an immediate transaction.
///
/// The file is created `0600` (whatever the umask) and holds tokens in clear: keep it where
/// only the app's user can read it, and out of backups that others can read.
///
/// ```
/// use slack_oauth_core::{Store, store::Swap};
/// use slack_oauth_store::SqliteStore;
///
/// # let dir = std::env::temp_dir().join(format!("slack-oauth-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let store = SqliteStore::<String>::open(dir.join("tokens.db"))?;
/// let Swap::Stored { version } = store.compare_and_swap("T1", None, &"v".to_owned(), None)?
/// else { unreachable!() };
/// assert_eq!(store.load("T1")?.unwrap().version, version);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), slack_oauth_store::Error>(())
/// ```
///
/// Keeps any `T` serde can write and read back (see [`Typed`]). Clones share the
/// connection.
pub type SqliteStore<T> = Typed<Sqlite, T>;

/// The backend of a [`SqliteStore`]: one connection to the file, shared by clones.
#[derive(Clone)]
pub struct Sqlite {
    inner: Arc<Connected>,
}

struct Connected {
    conn: Mutex<Connection>,
    sql: Sql,
    path: PathBuf,
    timeout: Duration,
}

struct Sql {
    load: String,
    update: String,
    insert: String,
    upsert: String,
    delete: String,
    keys: String,
    next_version: String,
}

impl<T> SqliteStore<T> {
    /// Opens (creating if missing, `0600`) the SQLite file at `path` with default
    /// [`Options`].
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore<T>, Error> {
        SqliteStore::open_with(path, &Options::default())
    }

    /// Opens the file at `path`: the busy timeout is `options`' timeout, the table its
    /// namespace (default [`DEFAULT_TABLE`]).
    pub fn open_with(path: impl AsRef<Path>, options: &Options) -> Result<SqliteStore<T>, Error> {
        Sqlite::open_with(path.as_ref(), options).map(Typed::new)
    }

    /// The statements [`open`](Self::open) runs to create the table (idempotent), for
    /// reviewing or running them yourself.
    pub fn migration() -> String {
        migration_for(DEFAULT_TABLE)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.backend.inner.path
    }
}

impl Sqlite {
    fn open_with(path: &Path, options: &Options) -> Result<Sqlite, Error> {
        let path = path.to_path_buf();
        let table = identifier(options.namespace.as_deref().unwrap_or(DEFAULT_TABLE))?;
        create_private(&path)?;
        let conn = Connection::open_with_flags(
            &path,
            // No CREATE: the file was made above with its mode; no URI: a path is a path.
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| unreachable_error(&path, &e))?;
        let timeout = options.timeout;
        conn.busy_timeout(timeout)
            .map_err(|e| sql_error(e, timeout))?;
        let mut conn = conn;
        // Switching to WAL and creating the table need a moment alone with the file. The busy
        // timeout covers most waits, but SQLite answers SQLITE_BUSY at once, without calling
        // the busy handler, where waiting could deadlock (another connection is itself
        // switching the journal mode or recovering the WAL; see
        // https://www.sqlite.org/c3ref/busy_handler.html), so several processes opening a new
        // file together retry here until the timeout is spent.
        let deadline = std::time::Instant::now() + timeout;
        loop {
            match first_use(&mut conn, table) {
                Ok(()) => break,
                Err(FirstUse::Sql(e)) if is_busy(&e) && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(FirstUse::Sql(e)) => return Err(sql_error(e, timeout)),
                Err(FirstUse::NotWal(mode)) => {
                    return Err(Error::Backend {
                        store: STORE,
                        detail: format!(
                            "the file cannot be put in WAL mode (it is in {mode} mode)"
                        ),
                    })
                }
            }
        }
        let sql = Sql {
            load: format!(
                "SELECT version, value, lease_holder, lease_expires_at FROM {table} WHERE key = ?1"
            ),
            update: format!(
                "UPDATE {table} SET version = ?3, value = ?4, lease_holder = ?5, \
                     lease_expires_at = ?6 WHERE key = ?1 AND version = ?2"
            ),
            insert: format!(
                "INSERT INTO {table} (key, version, value, lease_holder, lease_expires_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO NOTHING"
            ),
            upsert: format!(
                "INSERT INTO {table} (key, version, value) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (key) DO UPDATE SET version = excluded.version, \
                     value = excluded.value, lease_holder = NULL, lease_expires_at = NULL"
            ),
            delete: format!("DELETE FROM {table} WHERE key = ?1"),
            keys: format!("SELECT key FROM {table} WHERE key LIKE ?1 ESCAPE '\\'"),
            next_version: format!(
                "UPDATE {table}_versions SET last = last + 1 WHERE id = 0 RETURNING last"
            ),
        };
        Ok(Sqlite {
            inner: Arc::new(Connected {
                conn: Mutex::new(conn),
                sql,
                path,
                timeout,
            }),
        })
    }

    // A panic mid-call leaves the connection as SQLite left it (a failed statement rolls
    // back): safe to use after poisoning.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.inner.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn error(&self, key: &str, e: rusqlite::Error) -> Error {
        match e {
            rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..) => Error::Corrupt {
                store: STORE,
                key: key.to_owned(),
                detail: "a column holds the wrong type".into(),
            },
            e => sql_error(e, self.inner.timeout),
        }
    }
}

fn migration_for(table: &str) -> String {
    format!(
            "CREATE TABLE IF NOT EXISTS {table} (\n\
            \x20   key TEXT PRIMARY KEY,\n\
            \x20   version INTEGER NOT NULL,\n\
            \x20   value TEXT NOT NULL,\n\
            \x20   lease_holder TEXT,\n\
            \x20   lease_expires_at INTEGER\n\
            );\n\
            -- The last version handed out, for any key: versions are never reused, even after a delete.\n\
            CREATE TABLE IF NOT EXISTS {table}_versions (id INTEGER PRIMARY KEY CHECK (id = 0), last INTEGER NOT NULL);\n\
            INSERT OR IGNORE INTO {table}_versions (id, last) VALUES (0, 0);\n"
        )
}

impl RawStore for Sqlite {
    fn name(&self) -> &'static str {
        STORE
    }

    fn load_raw(&self, key: &str) -> Result<Option<Raw>, Error> {
        let conn = self.lock();
        let row = conn
            .prepare_cached(&self.inner.sql.load)
            .and_then(|mut stmt| {
                stmt.query_row([key], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, Option<String>>(2)?,
                        row.get::<_, Option<i64>>(3)?,
                    ))
                })
                .optional()
            })
            .map_err(|e| self.error(key, e))?;
        let Some((version, value, holder, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(Raw {
            version: version_from_sql(STORE, key, version)?,
            value,
            lease: lease_from_columns(STORE, key, holder, expires_at)?,
        }))
    }

    fn swap_raw(
        &self,
        key: &str,
        expected: Expect,
        value: &str,
        lease: Option<&Lease>,
    ) -> Result<Swap, Error> {
        let mut conn = self.lock();
        let result = (|| {
            // Immediate: take the write lock first (waiting out the busy timeout), so the
            // transaction never has to upgrade a read lock, which SQLite cannot wait for.
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let version: i64 = tx
                .prepare_cached(&self.inner.sql.next_version)?
                .query_row([], |row| row.get(0))?;
            let holder = lease.map(|l| l.holder.as_str());
            let expires_at = lease.map(|l| to_sql_time(l.expires_at));
            let changed = match expected {
                Expect::Version(expected) => {
                    tx.prepare_cached(&self.inner.sql.update)?.execute(params![
                        key,
                        to_sql_time(expected),
                        version,
                        value,
                        holder,
                        expires_at
                    ])?
                }
                Expect::Absent => tx
                    .prepare_cached(&self.inner.sql.insert)?
                    .execute(params![key, version, value, holder, expires_at])?,
                Expect::Any => tx
                    .prepare_cached(&self.inner.sql.upsert)?
                    .execute(params![key, version, value])?,
            };
            if changed == 1 {
                tx.commit()?;
                Ok(Swap::Stored {
                    version: version as u64,
                })
            } else {
                // Nothing written: give the version back rather than burn it.
                tx.rollback()?;
                Ok(Swap::Conflict)
            }
        })();
        result.map_err(|e| self.error(key, e))
    }

    fn delete_raw(&self, key: &str) -> Result<bool, Error> {
        let conn = self.lock();
        conn.prepare_cached(&self.inner.sql.delete)
            .and_then(|mut stmt| stmt.execute([key]))
            .map(|n| n > 0)
            .map_err(|e| self.error(key, e))
    }

    fn keys_raw(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let conn = self.lock();
        let found = conn
            .prepare_cached(&self.inner.sql.keys)
            .and_then(|mut stmt| {
                let rows = stmt.query_map([crate::like_prefix(prefix)], |row| row.get(0))?;
                rows.collect::<Result<Vec<String>, _>>()
            });
        Ok(crate::exact_prefix(
            found.map_err(|e| self.error(prefix, e))?,
            prefix,
        ))
    }
}

/// Creates the file if missing, readable and writable by its owner only whatever the umask.
/// Several processes may race here: whoever loses finds the file made.
fn create_private(path: &Path) -> Result<(), Error> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(file) => {
            #[cfg(unix)]
            {
                // The umask can only take bits away from 0600, but may take too many.
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| io_error(path, &e))?;
            }
            drop(file);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io_error(path, &e)),
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> Error {
    Error::Unreachable {
        store: STORE,
        detail: format!("cannot create {}: {e}", path.display()),
    }
}

fn unreachable_error(path: &Path, e: &rusqlite::Error) -> Error {
    Error::Unreachable {
        store: STORE,
        detail: format!("cannot open {}: {e}", path.display()),
    }
}

/// Why [`first_use`] failed.
enum FirstUse {
    Sql(rusqlite::Error),
    /// The journal mode SQLite kept instead of WAL.
    NotWal(String),
}

/// Puts the file in WAL mode and creates the table if missing (idempotent).
fn first_use(conn: &mut Connection, table: &str) -> Result<(), FirstUse> {
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(FirstUse::Sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(FirstUse::NotWal(mode));
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(FirstUse::Sql)?;
    tx.execute_batch(&migration_for(table))
        .map_err(FirstUse::Sql)?;
    tx.commit().map_err(FirstUse::Sql)
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

fn sql_error(e: rusqlite::Error, timeout: Duration) -> Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Error::Timeout {
            store: STORE,
            after: timeout,
        },
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Error::Backend {
            store: STORE,
            detail: format!("the file is not a usable SQLite database: {e}"),
        },
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied | ErrorCode::ReadOnly) => {
            Error::Unreachable {
                store: STORE,
                detail: e.to_string(),
            }
        }
        // rusqlite's messages carry SQLite's text and our SQL, never parameter values.
        _ => Error::Backend {
            store: STORE,
            detail: e.to_string(),
        },
    }
}

impl fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

/// A [`SqliteStore`] for async keepers: each call runs on Tokio's blocking thread pool, so
/// waiting for the file's lock never stalls the runtime. Clones share one connection.
///
/// Needs a Tokio runtime (the `rt` feature suffices). Keeps any `T` serde can write and
/// read back (see [`Typed`]).
pub type AsyncSqliteStore<T> = Typed<AsyncSqlite, T>;

/// The backend of an [`AsyncSqliteStore`]: a [`Sqlite`] backend whose calls run on Tokio's
/// blocking pool.
#[derive(Clone)]
pub struct AsyncSqlite(Sqlite);

impl fmt::Debug for AsyncSqlite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AsyncSqliteStore").field(&self.0).finish()
    }
}

impl<T> AsyncSqliteStore<T> {
    /// Opens the file at `path` (see [`SqliteStore::open`]) on the blocking pool.
    pub async fn open(path: impl AsRef<Path>) -> Result<AsyncSqliteStore<T>, Error> {
        AsyncSqliteStore::open_with(path, &Options::default()).await
    }

    /// Opens the file at `path` with `options` (see [`SqliteStore::open_with`]).
    pub async fn open_with(
        path: impl AsRef<Path>,
        options: &Options,
    ) -> Result<AsyncSqliteStore<T>, Error> {
        let (path, options) = (path.as_ref().to_path_buf(), options.clone());
        let sqlite = blocking(move || Sqlite::open_with(&path, &options)).await?;
        Ok(Typed::new(AsyncSqlite(sqlite)))
    }

    /// The blocking store on this connection, for blocking code sharing it.
    pub fn blocking(&self) -> SqliteStore<T> {
        Typed::new(self.backend.0.clone())
    }
}

impl<T> From<SqliteStore<T>> for AsyncSqliteStore<T> {
    fn from(store: SqliteStore<T>) -> Self {
        Typed::new(AsyncSqlite(store.backend))
    }
}

async fn blocking<R: Send + 'static>(
    f: impl FnOnce() -> Result<R, Error> + Send + 'static,
) -> Result<R, Error> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(Error::Backend {
            store: STORE,
            detail: format!("the blocking task failed: {e}"),
        })
    })
}

impl RawAsyncStore for AsyncSqlite {
    fn name(&self) -> &'static str {
        STORE
    }

    fn load_raw(&self, key: &str) -> impl Future<Output = Result<Option<Raw>, Error>> + Send {
        let (sqlite, key) = (self.0.clone(), key.to_owned());
        blocking(move || sqlite.load_raw(&key))
    }

    fn swap_raw(
        &self,
        key: &str,
        expected: Expect,
        value: String,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<Swap, Error>> + Send {
        let (sqlite, key, lease) = (self.0.clone(), key.to_owned(), lease.cloned());
        blocking(move || sqlite.swap_raw(&key, expected, &value, lease.as_ref()))
    }

    fn delete_raw(&self, key: &str) -> impl Future<Output = Result<bool, Error>> + Send {
        let (sqlite, key) = (self.0.clone(), key.to_owned());
        blocking(move || sqlite.delete_raw(&key))
    }

    fn keys_raw(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, Error>> + Send {
        let (sqlite, prefix) = (self.0.clone(), prefix.to_owned());
        blocking(move || sqlite.keys_raw(&prefix))
    }
}
