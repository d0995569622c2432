//! [`MySqlStore`]: records in a MySQL or MariaDB table, shared by a fleet of machines.
//!
//! Client: `mysql_async` with its own pool, over rustls on the ring provider. The blocking
//! store drives the same client on a runtime of its own (as the `postgres` crate does over
//! `tokio-postgres`), so both stores share one implementation of the protocol.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Opts, OptsBuilder, Pool, PoolConstraints, PoolOpts, Row};
use slack_oauth_core::store::{Lease, Swap};

use crate::typed::{Expect, Raw, RawAsyncStore, RawStore, Typed};
use crate::{
    identifier, lease_from_columns, to_sql_time, version_from_sql, Ca, Error, Options,
    DEFAULT_TABLE,
};

const STORE: &str = "mysql";

/// The table, its version counter, and the statements on them.
struct Sql {
    migration: Vec<String>,
    next_version: String,
    load: String,
    update: String,
    insert: String,
    upsert: String,
    delete: String,
    keys: String,
}

impl Sql {
    fn new(namespace: Option<&str>) -> Result<Sql, Error> {
        let name = namespace.unwrap_or(DEFAULT_TABLE);
        let (database, table) = match name.split_once('.') {
            Some((database, table)) => (Some(identifier(database)?), identifier(table)?),
            None => (None, identifier(name)?),
        };
        let (qualified, counter) = match database {
            Some(db) => (
                format!("`{db}`.`{table}`"),
                format!("`{db}`.`{table}_version`"),
            ),
            None => (format!("`{table}`"), format!("`{table}_version`")),
        };
        let mut migration = Vec::new();
        if let Some(db) = database {
            migration.push(format!("CREATE DATABASE IF NOT EXISTS `{db}`"));
        }
        // A binary collation: keys compare byte for byte, as in the other stores (the
        // default collations fold case, so `T1` and `t1` would be one key).
        migration.push(format!(
            "CREATE TABLE IF NOT EXISTS {qualified} (\n\
             \x20   `key` VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin PRIMARY KEY,\n\
             \x20   version BIGINT NOT NULL,\n\
             \x20   value LONGTEXT CHARACTER SET utf8mb4 NOT NULL,\n\
             \x20   lease_holder TEXT CHARACTER SET utf8mb4,\n\
             \x20   lease_expires_at BIGINT\n\
             ) ENGINE=InnoDB"
        ));
        // Versions for every key: one counter row, never reset, so a version is never
        // reused, even after a delete (MySQL has no sequences; MariaDB's are not in MySQL).
        migration.push(format!(
            "CREATE TABLE IF NOT EXISTS {counter} (\n\
             \x20   id TINYINT PRIMARY KEY,\n\
             \x20   v BIGINT NOT NULL\n\
             ) ENGINE=InnoDB"
        ));
        migration.push(format!(
            "INSERT IGNORE INTO {counter} (id, v) VALUES (1, 0)"
        ));
        Ok(Sql {
            migration,
            // `LAST_INSERT_ID(expr)` hands the new value back in the OK packet: one round
            // trip, and the counter's row lock ends with the statement.
            next_version: format!("UPDATE {counter} SET v = LAST_INSERT_ID(v + 1) WHERE id = 1"),
            load: format!(
                "SELECT version, value, lease_holder, lease_expires_at FROM {qualified} \
                 WHERE `key` = ?"
            ),
            // InnoDB reads the latest committed row for an UPDATE and locks it: exactly one
            // of racing swaps from one version matches.
            update: format!(
                "UPDATE {qualified} SET version = ?, value = ?, lease_holder = ?, \
                 lease_expires_at = ? WHERE `key` = ? AND version = ?"
            ),
            // One row affected when inserted, none when the key exists (the row is left
            // as it is); unlike `INSERT IGNORE` it turns no other error into a warning.
            insert: format!(
                "INSERT INTO {qualified} (`key`, version, value, lease_holder, lease_expires_at) \
                 VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE version = version"
            ),
            upsert: format!(
                "INSERT INTO {qualified} (`key`, version, value) VALUES (?, ?, ?) \
                 ON DUPLICATE KEY UPDATE version = VALUES(version), value = VALUES(value), \
                 lease_holder = NULL, lease_expires_at = NULL"
            ),
            delete: format!("DELETE FROM {qualified} WHERE `key` = ?"),
            keys: format!("SELECT `key` FROM {qualified} WHERE `key` LIKE ? ESCAPE '\\\\'"),
        })
    }
}

/// MySQL's `ssl-mode`: how hard the connection insists on TLS and what it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    Disabled,
    Preferred,
    Required,
    VerifyCa,
    VerifyIdentity,
}

impl SslMode {
    /// MySQL's spelling.
    fn as_str(self) -> &'static str {
        match self {
            SslMode::Disabled => "DISABLED",
            SslMode::Preferred => "PREFERRED",
            SslMode::Required => "REQUIRED",
            SslMode::VerifyCa => "VERIFY_CA",
            SslMode::VerifyIdentity => "VERIFY_IDENTITY",
        }
    }

    fn parse(value: &str) -> Result<SslMode, Error> {
        // The MySQL client takes the modes in any case.
        Ok(match value.to_ascii_uppercase().as_str() {
            "DISABLED" => SslMode::Disabled,
            "PREFERRED" => SslMode::Preferred,
            "REQUIRED" => SslMode::Required,
            "VERIFY_CA" => SslMode::VerifyCa,
            "VERIFY_IDENTITY" => SslMode::VerifyIdentity,
            _ => {
                return Err(Error::Config {
                    detail: format!(
                        "ssl-mode `{value}` is not one of DISABLED, PREFERRED, REQUIRED, \
                         VERIFY_CA, VERIFY_IDENTITY"
                    ),
                })
            }
        })
    }
}

/// The TLS settings taken out of a URL (the driver knows neither), and the rest of it
/// with the `mysql://` scheme.
#[derive(Debug, Default, PartialEq, Eq)]
struct TlsParams {
    rest: String,
    ssl_mode: Option<String>,
    ssl_ca: Option<String>,
}

fn split_tls_params(url: &str) -> TlsParams {
    let mut params = TlsParams::default();
    let url = match url.strip_prefix("mariadb://") {
        Some(rest) => format!("mysql://{rest}"),
        None => url.to_owned(),
    };
    params.rest = match url.split_once('?') {
        Some((base, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    let value = crate::tls::percent_decode(value);
                    // MySQL spells them with `-`; `_` is as common in URLs.
                    match crate::tls::percent_decode(key).replace('_', "-").as_str() {
                        "ssl-mode" => params.ssl_mode = Some(value),
                        "ssl-ca" => params.ssl_ca = Some(value),
                        _ => return true,
                    }
                    false
                })
                .collect();
            if kept.is_empty() {
                base.to_owned()
            } else {
                format!("{base}?{}", kept.join("&"))
            }
        }
        None => url,
    };
    params
}

/// Where and how to connect: the driver's options (TLS on, unless `ssl-mode=DISABLED`),
/// the mode, and the server as errors show it.
#[derive(Clone)]
struct Target {
    opts: Opts,
    mode: SslMode,
    host: Arc<str>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("host", &self.host)
            .field("ssl_mode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// Reads `url` as the MySQL client would: `ssl-mode` (default `VERIFY_IDENTITY`, or
/// `PREFERRED` when the host is loopback), `ssl-ca` (a PEM file; else `options`' CA, else
/// Mozilla's roots).
fn target(url: &str, options: &Options) -> Result<Target, Error> {
    let params = split_tls_params(url);
    // The driver's messages name a parameter or a value, never the URL or its password.
    let opts = Opts::from_url(&params.rest).map_err(|e| Error::Config {
        detail: format!("not a valid MySQL URL: {e}"),
    })?;
    let name = opts.ip_or_hostname();
    let host: Arc<str> = if name.contains(':') {
        format!("[{name}]:{}", opts.tcp_port()).into()
    } else {
        format!("{name}:{}", opts.tcp_port()).into()
    };
    let loopback = crate::tls::is_loopback(name);
    let mode = match params.ssl_mode.as_deref() {
        Some(mode) => SslMode::parse(mode)?,
        None if loopback => SslMode::Preferred,
        None => SslMode::VerifyIdentity,
    };
    let ca_ders = match (&params.ssl_ca, &options.ca) {
        (Some(path), _) => Some(crate::tls::read_pem(path.as_ref(), "ssl-ca")?),
        (None, Some(Ca::File(path))) => Some(crate::tls::read_pem(path, "the store CA file")?),
        (None, Some(Ca::Roots(slack_oauth_core::transport::TlsRoots::Custom(ders)))) => {
            Some(ders.clone())
        }
        (None, _) => None,
    };
    if let Some(ders) = &ca_ders {
        // A bad certificate is a configuration error, not a failed connect.
        crate::tls::store_of(ders)?;
    }
    // As the MySQL client does: REQUIRED with an `ssl-ca` checks the chain.
    let mode = match (mode, &params.ssl_ca) {
        (SslMode::Required, Some(_)) => SslMode::VerifyCa,
        (mode, _) => mode,
    };
    let ssl = (mode != SslMode::Disabled).then(|| {
        let mut ssl = mysql_async::SslOpts::default();
        if let Some(ders) = ca_ders {
            let roots = ders.into_iter().map(Into::into).collect();
            ssl = ssl.with_root_certs(roots).with_disable_built_in_roots(true);
        }
        match mode {
            SslMode::Preferred | SslMode::Required => ssl.with_danger_accept_invalid_certs(true),
            SslMode::VerifyCa => ssl.with_danger_skip_domain_validation(true),
            _ => ssl,
        }
    });
    let timeout = options.timeout;
    let lock_wait = timeout.as_secs_f64().ceil().max(1.0) as u64;
    let constraints =
        PoolConstraints::new(0, options.pool_size.max(1) as usize).unwrap_or_default();
    let opts = OptsBuilder::from_opts(opts)
        // The server's own socket would bypass the TLS the URL asked for and the host
        // errors name.
        .prefer_socket(false)
        .ssl_opts(ssl)
        .pool_opts(PoolOpts::default().with_constraints(constraints))
        .init(vec![
            // A statement stuck behind another session's row lock gives up in time (whole
            // seconds: the server's unit).
            format!("SET SESSION innodb_lock_wait_timeout = {lock_wait}"),
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED".to_owned(),
        ]);
    Ok(Target {
        opts: opts.into(),
        mode,
        host,
    })
}

/// What errors say about the server: its timeout, the host and the `ssl-mode` in force.
#[derive(Debug, Clone)]
struct Site {
    timeout: Duration,
    host: Arc<str>,
    /// `None` for a pool the app made (its settings are its own).
    mode: Option<SslMode>,
}

impl Site {
    fn tls(&self, reason: impl Into<String>) -> Error {
        Error::Tls {
            store: STORE,
            host: self.host.to_string(),
            reason: reason.into(),
        }
    }

    fn timeout(&self) -> Error {
        Error::Timeout {
            store: STORE,
            after: self.timeout,
        }
    }

    fn error(&self, e: &mysql_async::Error) -> Error {
        use mysql_async::{DriverError, Error as E};
        match e {
            E::Server(server) => match server.code {
                // Lock wait timeout; MariaDB's and MySQL's statement time limits.
                1205 | 1969 | 3024 => self.timeout(),
                // `require_secure_transport`, or a user created `REQUIRE SSL`.
                3159 => self.tls(format!(
                    "the server requires TLS{}: {}",
                    if self.mode == Some(SslMode::Disabled) {
                        " and the URL turned it off (ssl-mode=DISABLED)"
                    } else {
                        ""
                    },
                    server.message
                )),
                // Access denied, unknown database: a login that failed. MariaDB's
                // `require_secure_transport` refuses a plaintext login this way too.
                1044 | 1045 | 1049 => Error::Unreachable {
                    store: STORE,
                    detail: format!(
                        "{}: {}{}",
                        self.host,
                        server.message,
                        if self.mode == Some(SslMode::Disabled) {
                            " (the URL turned TLS off with ssl-mode=DISABLED: a server that \
                             requires TLS refuses such logins)"
                        } else {
                            ""
                        }
                    ),
                },
                code => Error::Backend {
                    store: STORE,
                    detail: format!("ERROR {code} ({}): {}", server.state, server.message),
                },
            },
            E::Driver(DriverError::NoClientSslFlagFromServer) => self.tls(format!(
                "the server does not support TLS, which the URL requires (ssl-mode {}): \
                 nothing was sent in clear",
                self.mode.map_or("", SslMode::as_str)
            )),
            E::Driver(DriverError::ConnectionClosed | DriverError::PoolDisconnected) => {
                Error::Unreachable {
                    store: STORE,
                    detail: format!("{}: the connection was closed", self.host),
                }
            }
            E::Url(e) => Error::Config {
                detail: format!("not a valid MySQL URL: {e}"),
            },
            E::Io(io) => {
                if let Some(tls) = crate::tls::find_rustls(e) {
                    return self.tls(tls.to_string());
                }
                match io {
                    mysql_async::IoError::Tls(tls) => self.tls(tls.to_string()),
                    mysql_async::IoError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                        self.timeout()
                    }
                    mysql_async::IoError::Io(io) => Error::Unreachable {
                        store: STORE,
                        detail: format!("{}: {io}", self.host),
                    },
                }
            }
            other => Error::Backend {
                store: STORE,
                detail: other.to_string(),
            },
        }
    }
}

/// Runs `work` within twice the timeout (the server's lock wait gives up at the timeout,
/// which leaves no doubt that a write did not happen; this bound catches a network gone
/// silent, after which the outcome is unknown).
async fn bounded<R>(
    site: &Site,
    work: impl Future<Output = Result<R, mysql_async::Error>>,
) -> Result<R, Error> {
    match tokio::time::timeout(site.timeout.saturating_mul(2), work).await {
        Ok(done) => done.map_err(|e| site.error(&e)),
        Err(_) => Err(site.timeout()),
    }
}

fn row_to_raw(key: &str, row: Row) -> Result<Raw, Error> {
    let wrong = || Error::Corrupt {
        store: STORE,
        key: key.to_owned(),
        detail: "a column holds the wrong type".into(),
    };
    // `get_opt`, not `get`: a value that does not convert is an error, not a panic.
    let version: i64 = row.get_opt(0).and_then(Result::ok).ok_or_else(wrong)?;
    let value: String = row.get_opt(1).and_then(Result::ok).ok_or_else(wrong)?;
    let holder: Option<String> = row.get_opt(2).and_then(Result::ok).ok_or_else(wrong)?;
    let expires_at: Option<i64> = row.get_opt(3).and_then(Result::ok).ok_or_else(wrong)?;
    Ok(Raw {
        version: version_from_sql(STORE, key, version)?,
        value,
        lease: lease_from_columns(STORE, key, holder, expires_at)?,
    })
}

/// [`MySqlStore`] for async keepers: `mysql_async` connections in its pool, every
/// operation bounded by the timeout. Clones share the pool.
///
/// Keeps any `T` serde can write and read back (see [`Typed`]).
pub type AsyncMySqlStore<T> = Typed<AsyncMySql, T>;

/// The backend of an [`AsyncMySqlStore`]: the connection pool and the statements.
#[derive(Clone)]
pub struct AsyncMySql {
    pool: Pool,
    sql: Arc<Sql>,
    site: Site,
}

impl fmt::Debug for AsyncMySql {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncMySqlStore")
            .field("host", &self.site.host)
            .field("ssl_mode", &self.site.mode.map(SslMode::as_str))
            .field("timeout", &self.site.timeout)
            .finish_non_exhaustive()
    }
}

impl<T> AsyncMySqlStore<T> {
    /// Connects to `url` with default [`Options`] and creates the table if missing.
    pub async fn open(url: &str) -> Result<AsyncMySqlStore<T>, Error> {
        AsyncMySqlStore::open_with(url, &Options::default()).await
    }

    /// Connects to `url` with `options` (see [`MySqlStore::open_with`]).
    pub async fn open_with(url: &str, options: &Options) -> Result<AsyncMySqlStore<T>, Error> {
        Ok(Typed::new(AsyncMySql::open(url, options).await?))
    }

    /// A store on the app's own `mysql_async` pool (its TLS and timeouts are the app's),
    /// sharing it instead of opening a second; creates the table if missing. `options`
    /// gives the table and the timeout of each operation.
    pub async fn with_pool(pool: Pool, options: &Options) -> Result<AsyncMySqlStore<T>, Error> {
        let backend = AsyncMySql {
            pool,
            sql: Arc::new(Sql::new(options.namespace.as_deref())?),
            site: Site {
                timeout: options.timeout,
                host: "the app's pool".into(),
                mode: None,
            },
        };
        let conn = bounded(&backend.site, backend.pool.get_conn()).await?;
        migrate(&backend.site, conn, &backend.sql).await?;
        Ok(Typed::new(backend))
    }
}

/// Runs the migration on `conn` (idempotent; concurrent runs are safe: `CREATE … IF NOT
/// EXISTS` takes the table's metadata lock).
async fn migrate(site: &Site, mut conn: Conn, sql: &Sql) -> Result<(), Error> {
    for statement in &sql.migration {
        bounded(site, conn.query_drop(statement)).await?;
    }
    Ok(())
}

impl AsyncMySql {
    async fn open(url: &str, options: &Options) -> Result<AsyncMySql, Error> {
        crate::tls::ensure_default_provider();
        let target = target(url, options)?;
        let sql = Sql::new(options.namespace.as_deref())?;
        let mut site = Site {
            timeout: options.timeout,
            host: Arc::clone(&target.host),
            mode: Some(target.mode),
        };
        let mut opts = target.opts;
        // One connection outside the pool first: it says whether a PREFERRED server
        // speaks TLS at all, and runs the migration.
        let first = match bounded(&site, Conn::new(opts.clone())).await {
            Err(Error::Tls { reason, .. })
                if target.mode == SslMode::Preferred
                    && reason.starts_with("the server does not support TLS") =>
            {
                opts = OptsBuilder::from_opts(opts).ssl_opts(None).into();
                site.mode = Some(SslMode::Disabled);
                bounded(&site, Conn::new(opts.clone())).await?
            }
            other => other?,
        };
        migrate(&site, first, &sql).await?;
        Ok(AsyncMySql {
            pool: Pool::new(opts),
            sql: Arc::new(sql),
            site,
        })
    }

    async fn conn(&self) -> Result<Conn, Error> {
        bounded(&self.site, self.pool.get_conn()).await
    }

    /// A version no record of this table ever had.
    async fn next_version(&self, conn: &mut Conn) -> Result<u64, Error> {
        bounded(&self.site, conn.query_drop(&self.sql.next_version)).await?;
        match conn.last_insert_id() {
            Some(v) if v > 0 && conn.affected_rows() == 1 => Ok(v),
            _ => Err(Error::Backend {
                store: STORE,
                detail: "the version counter row is missing".into(),
            }),
        }
    }

    async fn load(&self, key: &str) -> Result<Option<Raw>, Error> {
        let mut conn = self.conn().await?;
        let row: Option<Row> = bounded(&self.site, conn.exec_first(&self.sql.load, (key,))).await?;
        row.map(|row| row_to_raw(key, row)).transpose()
    }

    async fn swap(
        &self,
        key: &str,
        expected: Expect,
        value: &str,
        holder: Option<&str>,
        expires_at: Option<i64>,
    ) -> Result<Swap, Error> {
        let mut conn = self.conn().await?;
        let version = self.next_version(&mut conn).await?;
        let v = to_sql_time(version);
        let conn = &mut conn;
        let write = async {
            let mut retries = 0;
            loop {
                let done = match &expected {
                    Expect::Version(old) => {
                        let params = (v, value, holder, expires_at, key, to_sql_time(*old));
                        conn.exec_drop(&self.sql.update, params).await
                    }
                    Expect::Absent => {
                        let params = (key, v, value, holder, expires_at);
                        conn.exec_drop(&self.sql.insert, params).await
                    }
                    Expect::Any => conn.exec_drop(&self.sql.upsert, (key, v, value)).await,
                };
                match done {
                    // InnoDB can pick racing inserts of one key as deadlock victims and roll
                    // their statement back: it did not happen, so it runs again.
                    Err(mysql_async::Error::Server(e)) if e.code == 1213 && retries < 3 => {
                        retries += 1;
                    }
                    Err(e) => return Err(e),
                    // An upsert is 1 row inserted or 2 updated: stored either way.
                    Ok(()) if matches!(expected, Expect::Any) => return Ok(1),
                    Ok(()) => return Ok(conn.affected_rows()),
                }
            }
        };
        let affected = bounded(&self.site, write).await?;
        Ok(if affected == 1 {
            Swap::Stored { version }
        } else {
            Swap::Conflict
        })
    }

    async fn delete(&self, key: &str) -> Result<bool, Error> {
        let mut conn = self.conn().await?;
        bounded(&self.site, conn.exec_drop(&self.sql.delete, (key,))).await?;
        Ok(conn.affected_rows() > 0)
    }

    async fn keys(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let mut conn = self.conn().await?;
        let pattern = crate::like_prefix(prefix);
        let rows: Vec<Row> = bounded(&self.site, conn.exec(&self.sql.keys, (pattern,))).await?;
        let mut found = Vec::with_capacity(rows.len());
        for row in rows {
            let key: Option<String> = row.get_opt(0).and_then(Result::ok);
            found.push(key.ok_or_else(|| Error::Backend {
                store: STORE,
                detail: "a key is not text".into(),
            })?);
        }
        Ok(crate::exact_prefix(found, prefix))
    }
}

impl RawAsyncStore for AsyncMySql {
    fn name(&self) -> &'static str {
        STORE
    }

    fn load_raw(&self, key: &str) -> impl Future<Output = Result<Option<Raw>, Error>> + Send {
        let (store, key) = (self.clone(), key.to_owned());
        async move { store.load(&key).await }
    }

    fn swap_raw(
        &self,
        key: &str,
        expected: Expect,
        value: String,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<Swap, Error>> + Send {
        let (store, key) = (self.clone(), key.to_owned());
        let holder = lease.map(|l| l.holder.clone());
        let expires_at = lease.map(|l| to_sql_time(l.expires_at));
        async move {
            store
                .swap(&key, expected, &value, holder.as_deref(), expires_at)
                .await
        }
    }

    fn delete_raw(&self, key: &str) -> impl Future<Output = Result<bool, Error>> + Send {
        let (store, key) = (self.clone(), key.to_owned());
        async move { store.delete(&key).await }
    }

    fn keys_raw(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, Error>> + Send {
        let (store, prefix) = (self.clone(), prefix.to_owned());
        async move { store.keys(&prefix).await }
    }
}

/// Records in a MySQL or MariaDB table, for a fleet of machines. Every swap takes a new
/// version from a counter row (never reset, so versions never repeat for a key, even after
/// a delete) and is one conditional `UPDATE` or `INSERT … ON DUPLICATE KEY`.
///
/// [`open`](Self::open) creates the table and its counter if missing (see
/// [`migration`](Self::migration)). TLS follows MySQL's client options, in the URL:
/// `ssl-mode=DISABLED|PREFERRED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY` and `ssl-ca=PATH` (a
/// PEM file). Without `ssl-mode` it is `VERIFY_IDENTITY` (chain and host name, against
/// Mozilla's roots or [`Options::tls_ca_file`]), except for loopback hosts, where it is
/// `PREFERRED` (TLS when the server offers it, unchecked; plaintext when it does not).
/// rustls with the ring provider; a failure is [`Error::Tls`], never a fallback to
/// plaintext. The table holds tokens in clear: grant access to the app's user only.
///
/// `VERIFY_CA` checks the chain; with `mysql_async` 0.37.1 it also checks the host name
/// (its name-mismatch exemption misses rustls 0.23's error, fixed upstream after that
/// release), so it is as strict as `VERIFY_IDENTITY` until the driver is updated.
///
/// ```no_run
/// # fn main() -> Result<(), slack_oauth_store::Error> {
/// use slack_oauth_core::Installation;
/// use slack_oauth_store::MySqlStore;
///
/// let store = MySqlStore::<Installation>::open(
///     "mysql://app:secret@db.example.com:3306/app?ssl-ca=/etc/ssl/db-ca.pem",
/// )?;
/// # Ok(()) }
/// ```
///
/// The blocking store drives the async client on a runtime of its own (one thread); like
/// the other blocking stores it must not be used from inside an async runtime's workers.
/// Keeps any `T` serde can write and read back (see [`Typed`]). Clones share the pool.
pub type MySqlStore<T> = Typed<MySql, T>;

/// The backend of a [`MySqlStore`]: the async backend and the runtime that drives it.
#[derive(Clone)]
pub struct MySql {
    inner: AsyncMySql,
    runtime: Arc<Driver>,
}

/// The blocking store's runtime, shut down without waiting when the last clone goes (so
/// that dropping a store inside an async context does not panic).
struct Driver(Option<tokio::runtime::Runtime>);

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

impl Driver {
    fn new() -> Result<Driver, Error> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("slack-oauth-mysql")
            .enable_all()
            .build()
            .map(|rt| Driver(Some(rt)))
            .map_err(|e| Error::Backend {
                store: STORE,
                detail: format!("cannot start the connection's runtime: {e}"),
            })
    }

    fn block_on<F: Future>(&self, work: F) -> F::Output {
        match &self.0 {
            Some(runtime) => runtime.block_on(work),
            None => unreachable!("the runtime lives as long as the store"),
        }
    }
}

impl fmt::Debug for MySql {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MySqlStore")
            .field("host", &self.inner.site.host)
            .field("ssl_mode", &self.inner.site.mode.map(SslMode::as_str))
            .field("timeout", &self.inner.site.timeout)
            .finish_non_exhaustive()
    }
}

impl<T> MySqlStore<T> {
    /// Connects to `url` (`mysql://user[:password]@host[:port]/database[?ssl-mode=…]`, or
    /// `mariadb://…`) with default [`Options`] and creates the table if missing. The
    /// password is never shown.
    pub fn open(url: &str) -> Result<MySqlStore<T>, Error> {
        MySqlStore::open_with(url, &Options::default())
    }

    /// Connects to `url` with `options`: pool size, timeout, and table (`name` or
    /// `database.name`, the database created if missing; default [`DEFAULT_TABLE`]).
    pub fn open_with(url: &str, options: &Options) -> Result<MySqlStore<T>, Error> {
        let runtime = Driver::new()?;
        let inner = runtime.block_on(AsyncMySql::open(url, options))?;
        Ok(Typed::new(MySql {
            inner,
            runtime: Arc::new(runtime),
        }))
    }

    /// The SQL [`open`](Self::open) runs (idempotent), for the default table: to review, or
    /// to run yourself with a user that may create tables.
    pub fn migration() -> String {
        Sql::new(None)
            .map(|sql| sql.migration.join(";\n") + ";\n")
            .unwrap_or_default()
    }
}

impl RawStore for MySql {
    fn name(&self) -> &'static str {
        STORE
    }

    fn load_raw(&self, key: &str) -> Result<Option<Raw>, Error> {
        self.runtime.block_on(self.inner.load(key))
    }

    fn swap_raw(
        &self,
        key: &str,
        expected: Expect,
        value: &str,
        lease: Option<&Lease>,
    ) -> Result<Swap, Error> {
        let holder = lease.map(|l| l.holder.as_str());
        let expires_at = lease.map(|l| to_sql_time(l.expires_at));
        self.runtime
            .block_on(self.inner.swap(key, expected, value, holder, expires_at))
    }

    fn delete_raw(&self, key: &str) -> Result<bool, Error> {
        self.runtime.block_on(self.inner.delete(key))
    }

    fn keys_raw(&self, prefix: &str) -> Result<Vec<String>, Error> {
        self.runtime.block_on(self.inner.keys(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode_of(url: &str) -> SslMode {
        target(url, &Options::new()).unwrap().mode
    }

    #[test]
    fn no_ssl_mode_means_verify_identity_except_on_loopback() {
        for remote in [
            "mysql://app:pw@db.internal/app",
            "mysql://app@10.0.0.5:3306/app",
            "mariadb://app@db.example.com/app",
            "mysql://app@localhost.example.com/app",
        ] {
            assert_eq!(mode_of(remote), SslMode::VerifyIdentity, "{remote}");
        }
        for local in [
            "mysql://app@localhost/app",
            "mysql://app@127.0.0.1:3307/app",
            "mysql://app@[::1]/app",
        ] {
            assert_eq!(mode_of(local), SslMode::Preferred, "{local}");
        }
        assert_eq!(
            mode_of("mysql://app@db.internal/app?ssl-mode=DISABLED"),
            SslMode::Disabled
        );
        assert_eq!(
            mode_of("mysql://app@localhost/app?ssl-mode=verify_identity"),
            SslMode::VerifyIdentity
        );
        assert_eq!(
            mode_of("mysql://app@db.internal/app?ssl_mode=REQUIRED"),
            SslMode::Required
        );
    }

    #[test]
    fn tls_parameters_are_taken_out_of_the_url() {
        let p = split_tls_params(
            "mariadb://u:pw@h/db?pool_max=3&ssl-mode=VERIFY_CA&ssl-ca=%2Ftmp%2Fca.pem",
        );
        assert_eq!(p.rest, "mysql://u:pw@h/db?pool_max=3");
        assert_eq!(p.ssl_mode.as_deref(), Some("VERIFY_CA"));
        assert_eq!(p.ssl_ca.as_deref(), Some("/tmp/ca.pem"));
        assert_eq!(split_tls_params("mysql://h/db").rest, "mysql://h/db");
    }

    #[test]
    fn bad_settings_are_config_errors_without_the_password() {
        for url in [
            "mysql://u:hunter2@db/app?ssl-mode=ALLOW",
            "mysql://u:hunter2@db/app?ssl-ca=/nonexistent/ca.pem",
            "mysql://u:hunter2@db/app?sslfoo=1",
            "mysql://u:hunter2@db:notaport/app",
        ] {
            let e = target(url, &Options::new()).unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{url}: {e:?}");
            assert!(!format!("{e} {e:?}").contains("hunter2"), "{url}: {e:?}");
        }
    }

    #[test]
    fn debug_and_errors_show_the_host_not_the_password() {
        let target = target("mysql://u:hunter2@db.internal:3307/app", &Options::new()).unwrap();
        assert_eq!(&*target.host, "db.internal:3307");
        assert!(!format!("{target:?}").contains("hunter2"));
        let site = Site {
            timeout: Duration::from_secs(1),
            host: Arc::clone(&target.host),
            mode: Some(target.mode),
        };
        let e = site.error(&mysql_async::DriverError::NoClientSslFlagFromServer.into());
        assert!(
            matches!(&e, Error::Tls { host, reason, .. }
                if host == "db.internal:3307" && reason.contains("ssl-mode VERIFY_IDENTITY")),
            "{e:?}"
        );
    }

    #[test]
    fn the_migration_names_the_default_table() {
        let sql = MySqlStore::<String>::migration();
        assert!(sql.contains("CREATE TABLE IF NOT EXISTS `slack_oauth_records`"));
        assert!(sql.contains("`slack_oauth_records_version`"));
        assert!(Sql::new(Some("bad-name")).is_err());
    }
}
