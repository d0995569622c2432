//! [`PostgresStore`]: records in a PostgreSQL table, shared by a fleet of machines.
//!
//! Clients: `postgres` with an `r2d2` pool for the blocking store, `tokio-postgres` with a
//! `deadpool-postgres` pool for the async one: the same wire protocol implementation
//! underneath, and the pools the two crates' authors point to.

use std::fmt;
use std::future::Future;
use std::ops::DerefMut;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use postgres::tls::{MakeTlsConnect, TlsConnect};
use postgres::Socket;
use r2d2_postgres::PostgresConnectionManager;
use slack_oauth_core::store::{Lease, Swap};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::tls::Check;

use crate::typed::{Expect, Raw, RawAsyncStore, RawStore, Typed};
use crate::{
    identifier, lease_from_columns, to_sql_time, version_from_sql, Error, Options, DEFAULT_TABLE,
};

const STORE: &str = "postgres";

/// The table and the statements on it.
struct Sql {
    migration: String,
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
        let (schema, table) = match name.split_once('.') {
            Some((schema, table)) => (Some(identifier(schema)?), identifier(table)?),
            None => (None, identifier(name)?),
        };
        let qualified = match schema {
            Some(schema) => format!("{schema}.{table}"),
            None => table.to_owned(),
        };
        let sequence = format!("{qualified}_version");
        let mut migration = String::new();
        if let Some(schema) = schema {
            migration.push_str(&format!("CREATE SCHEMA IF NOT EXISTS {schema};\n"));
        }
        migration.push_str(&format!(
            "-- Versions for every key: never reused, even after a delete.\n\
             CREATE SEQUENCE IF NOT EXISTS {sequence};\n\
             CREATE TABLE IF NOT EXISTS {qualified} (\n\
             \x20   key TEXT PRIMARY KEY,\n\
             \x20   version BIGINT NOT NULL,\n\
             \x20   value TEXT NOT NULL,\n\
             \x20   lease_holder TEXT,\n\
             \x20   lease_expires_at BIGINT\n\
             );\n"
        ));
        Ok(Sql {
            migration,
            load: format!(
                "SELECT version, value, lease_holder, lease_expires_at FROM {qualified} WHERE key = $1"
            ),
            // Under READ COMMITTED a concurrent update of the row makes this re-check
            // `version = $2` against the new row: exactly one of racing swaps matches.
            update: format!(
                "UPDATE {qualified} SET version = nextval('{sequence}'), value = $3, \
                 lease_holder = $4, lease_expires_at = $5 WHERE key = $1 AND version = $2 \
                 RETURNING version"
            ),
            insert: format!(
                "INSERT INTO {qualified} (key, version, value, lease_holder, lease_expires_at) \
                 VALUES ($1, nextval('{sequence}'), $2, $3, $4) ON CONFLICT (key) DO NOTHING \
                 RETURNING version"
            ),
            upsert: format!(
                "INSERT INTO {qualified} (key, version, value) VALUES ($1, nextval('{sequence}'), $2) \
                 ON CONFLICT (key) DO UPDATE SET version = EXCLUDED.version, \
                 value = EXCLUDED.value, lease_holder = NULL, lease_expires_at = NULL \
                 RETURNING version"
            ),
            delete: format!("DELETE FROM {qualified} WHERE key = $1"),
            keys: format!("SELECT key FROM {qualified} WHERE key LIKE $1 ESCAPE '\\'"),
        })
    }

    /// The migration in one transaction, serialized between sessions: concurrent
    /// `CREATE … IF NOT EXISTS` of one table can otherwise fail on a catalog unique index.
    fn guarded_migration(&self) -> String {
        format!(
            "BEGIN;\nSELECT pg_advisory_xact_lock({MIGRATION_LOCK});\n{}COMMIT;\n",
            self.migration
        )
    }
}

/// An arbitrary constant naming this crate's migration lock.
const MIGRATION_LOCK: i64 = 0x5ac0_a17e_5702_e000;

/// libpq's `sslmode`: how hard the connection insists on TLS and what it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    /// libpq's spelling.
    fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(value: &str) -> Result<SslMode, Error> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            // libpq's `allow` tries plaintext first: never, here.
            other => {
                return Err(Error::Config {
                    detail: format!(
                        "sslmode `{other}` is not one of disable, prefer, require, verify-ca, \
                         verify-full"
                    ),
                })
            }
        })
    }
}

/// The TLS settings taken out of a URL (tokio-postgres knows neither `verify-*` nor
/// `sslrootcert`), and the rest of the URL.
#[derive(Debug, Default, PartialEq, Eq)]
struct TlsParams {
    rest: String,
    sslmode: Option<String>,
    sslrootcert: Option<String>,
}

/// Takes `sslmode` and `sslrootcert` out of a `postgres://` URL's query or out of a
/// `key=value` connection string.
fn split_tls_params(url: &str) -> TlsParams {
    let mut params = TlsParams::default();
    let mut take = |key: &str, value: &str| -> bool {
        match key {
            "sslmode" => params.sslmode = Some(value.to_owned()),
            "sslrootcert" => params.sslrootcert = Some(value.to_owned()),
            _ => return false,
        }
        true
    };
    let rest = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        match url.split_once('?') {
            Some((base, query)) => {
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|pair| {
                        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                        !take(
                            &crate::tls::percent_decode(key),
                            &crate::tls::percent_decode(value),
                        )
                    })
                    .collect();
                if kept.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            None => url.to_owned(),
        }
    } else {
        // `host=db sslmode=verify-full …`: whitespace-separated pairs.
        let kept: Vec<&str> = url
            .split_whitespace()
            .filter(|pair| {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                !take(key.trim(), value.trim_matches('\''))
            })
            .collect();
        kept.join(" ")
    };
    params.rest = rest;
    params
}

/// The servers a config names, `host:port` joined by `,` (what errors show: never the
/// user or password).
fn shown_hosts(config: &tokio_postgres::Config) -> String {
    let ports = config.get_ports();
    let port = |i: usize| ports.get(i).or(ports.first()).copied().unwrap_or(5432);
    let mut shown: Vec<String> = Vec::new();
    for (i, host) in config.get_hosts().iter().enumerate() {
        shown.push(match host {
            tokio_postgres::config::Host::Tcp(name) if name.contains(':') => {
                format!("[{name}]:{}", port(i))
            }
            tokio_postgres::config::Host::Tcp(name) => format!("{name}:{}", port(i)),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        });
    }
    if shown.is_empty() {
        for (i, addr) in config.get_hostaddrs().iter().enumerate() {
            shown.push(std::net::SocketAddr::new(*addr, port(i)).to_string());
        }
    }
    shown.join(",")
}

/// Whether every server the config names is this machine (or a Unix socket).
fn all_loopback(config: &tokio_postgres::Config) -> bool {
    let hosts = config.get_hosts();
    let addrs = config.get_hostaddrs();
    if hosts.is_empty() && addrs.is_empty() {
        return false;
    }
    hosts.iter().all(|host| match host {
        tokio_postgres::config::Host::Tcp(name) => crate::tls::is_loopback(name),
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(_) => true,
    }) && addrs.iter().all(|addr| addr.is_loopback())
}

/// Where and how to connect: the driver's config, the TLS connector, and the servers as
/// errors show them.
#[derive(Clone)]
struct Target {
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    mode: SslMode,
    hosts: Arc<str>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("hosts", &self.hosts)
            .field("sslmode", &self.mode)
            .finish_non_exhaustive()
    }
}

/// Reads `url` as libpq would: `sslmode` (default `verify-full`, or `prefer` when every
/// host is loopback or a Unix socket), `sslrootcert` (a PEM file, or `system` for
/// Mozilla's roots; else `options`' CA, else Mozilla's roots), and the password from
/// `PGPASSWORD` when the URL has none.
fn target(url: &str, options: &Options) -> Result<Target, Error> {
    target_with(url, options, std::env::var_os("PGPASSWORD"))
}

/// [`target`] with `PGPASSWORD`'s value given.
fn target_with(
    url: &str,
    options: &Options,
    pgpassword: Option<std::ffi::OsString>,
) -> Result<Target, Error> {
    let timeout = options.timeout;
    let params = split_tls_params(url);
    // The parser's message may quote the URL, password and all: keep only our words.
    let mut config = tokio_postgres::Config::from_str(&params.rest).map_err(|_| Error::Config {
        detail: "not a valid PostgreSQL URL (postgres://user@host:port/database)".into(),
    })?;
    if config.get_password().is_none() {
        if let Some(password) = pgpassword {
            config.password(password.as_encoded_bytes());
        }
    }
    let hosts: Arc<str> = shown_hosts(&config).into();
    let mode = match &params.sslmode {
        Some(mode) => SslMode::parse(mode)?,
        // libpq 16: trusting the system's roots means checking names.
        None if params.sslrootcert.as_deref() == Some("system") => SslMode::VerifyFull,
        None if all_loopback(&config) => SslMode::Prefer,
        None => SslMode::VerifyFull,
    };
    let (roots, given) = match params.sslrootcert.as_deref() {
        Some("system") => {
            // libpq 16's rule: the system's roots vouch for names, so only verify-full.
            if mode != SslMode::VerifyFull {
                return Err(Error::Config {
                    detail: "sslrootcert=system needs sslmode=verify-full".into(),
                });
            }
            (crate::tls::mozilla(), true)
        }
        Some(path) => {
            let ders = crate::tls::read_pem(std::path::Path::new(path), "sslrootcert")?;
            (crate::tls::store_of(&ders)?, true)
        }
        None => (
            crate::tls::roots(options.ca.as_ref())?,
            options.ca.is_some(),
        ),
    };
    // libpq: with a root certificate at hand, `require` (and `prefer`) check the chain.
    let check = match mode {
        SslMode::VerifyFull => Check::Full,
        SslMode::VerifyCa => Check::Chain,
        SslMode::Prefer | SslMode::Require if given => Check::Chain,
        SslMode::Disable | SslMode::Prefer | SslMode::Require => Check::Nothing,
    };
    config.ssl_mode(match mode {
        SslMode::Disable => tokio_postgres::config::SslMode::Disable,
        SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
            tokio_postgres::config::SslMode::Require
        }
    });
    let tls = MakeRustlsConnect::new(crate::tls::client_config(roots, check)?);
    config.connect_timeout(timeout);
    // A peer that vanished mid-query fails the write instead of hanging (Linux).
    config.tcp_user_timeout(timeout);
    // A statement stuck behind another session's row lock gives up in time too (unless
    // the URL sets its own `options`).
    if config.get_options().is_none() {
        config.options(format!("-c statement_timeout={}", timeout.as_millis()));
    }
    Ok(Target {
        config,
        tls,
        mode,
        hosts,
    })
}

/// How tokio-postgres starts the message of a failed TLS negotiation.
const HANDSHAKE: &str = "error performing TLS handshake";

/// What errors say about the server: its timeout, the hosts and the `sslmode` in force.
#[derive(Debug, Clone)]
struct Site {
    timeout: Duration,
    hosts: Arc<str>,
    /// `None` for a pool the app made (its settings are its own).
    mode: Option<SslMode>,
}

impl Site {
    fn of(target: &Target, timeout: Duration) -> Site {
        Site {
            timeout,
            hosts: Arc::clone(&target.hosts),
            mode: Some(target.mode),
        }
    }

    fn tls(&self, reason: impl Into<String>) -> Error {
        Error::Tls {
            store: STORE,
            host: self.hosts.to_string(),
            reason: reason.into(),
        }
    }

    fn error(&self, e: &postgres::Error) -> Error {
        let timeout = self.timeout;
        if let Some(db) = e.as_db_error() {
            if db.code() == &tokio_postgres::error::SqlState::QUERY_CANCELED {
                return Error::Timeout {
                    store: STORE,
                    after: timeout,
                };
            }
            // pg_hba.conf's `hostssl` lines refuse a session that did not encrypt.
            if db.code() == &tokio_postgres::error::SqlState::INVALID_AUTHORIZATION_SPECIFICATION
                && db.message().contains("no encryption")
                && self.mode == Some(SslMode::Disable)
            {
                return self.tls(format!(
                    "the server requires TLS and the URL turned it off (sslmode=disable): {}",
                    db.message()
                ));
            }
            // Only the severity, code and message: the detail and hint may quote row values.
            return Error::Backend {
                store: STORE,
                detail: format!("{} {}: {}", db.severity(), db.code().code(), db.message()),
            };
        }
        if e.is_closed() {
            return Error::Unreachable {
                store: STORE,
                detail: format!("{}: the connection was closed", self.hosts),
            };
        }
        // The driver's message is "error performing TLS handshake"; the cause says why.
        let mut text = e.to_string();
        if let Some(tls) = crate::tls::find_rustls(e) {
            text = format!("{HANDSHAKE}: {tls}");
        } else if let Some(cause) = std::error::Error::source(e) {
            text = format!("{text}: {cause}");
        }
        self.classify_text(&text)
    }

    /// Classifies a driver's (or the pool's) message, which never holds the password.
    fn classify_text(&self, text: &str) -> Error {
        if let Some(at) = text.find(HANDSHAKE) {
            let reason = text[at + HANDSHAKE.len()..].trim_start_matches(": ");
            return if reason.contains("server does not support TLS") {
                let mode = self.mode.map_or("", SslMode::as_str);
                self.tls(format!(
                    "the server does not support TLS, which the URL requires (sslmode \
                     {mode}): nothing was sent in clear"
                ))
            } else if reason.is_empty() {
                self.tls("the handshake failed")
            } else {
                self.tls(reason)
            };
        }
        if text.contains("timed out") || text.contains("timeout") {
            Error::Timeout {
                store: STORE,
                after: self.timeout,
            }
        } else {
            Error::Unreachable {
                store: STORE,
                detail: format!("{}: {text}", self.hosts),
            }
        }
    }
}

fn row_to_raw(key: &str, row: &postgres::Row) -> Result<Raw, Error> {
    let wrong = |_| Error::Corrupt {
        store: STORE,
        key: key.to_owned(),
        detail: "a column holds the wrong type".into(),
    };
    let version: i64 = row.try_get(0).map_err(wrong)?;
    let value: String = row.try_get(1).map_err(wrong)?;
    let holder: Option<String> = row.try_get(2).map_err(wrong)?;
    let expires_at: Option<i64> = row.try_get(3).map_err(wrong)?;
    Ok(Raw {
        version: version_from_sql(STORE, key, version)?,
        value,
        lease: lease_from_columns(STORE, key, holder, expires_at)?,
    })
}

fn version_of(rows: &[postgres::Row]) -> Swap {
    match rows.first().and_then(|row| row.try_get::<_, i64>(0).ok()) {
        Some(version) => Swap::Stored {
            version: version as u64,
        },
        None => Swap::Conflict,
    }
}

/// Records in a PostgreSQL table, for a fleet of machines: a pool of blocking connections
/// (`postgres` + `r2d2`). Every swap is one conditional `UPDATE` or `INSERT … ON CONFLICT
/// DO NOTHING`; versions come from a sequence.
///
/// [`open`](Self::open) creates the table if missing (see [`migration`](Self::migration)).
/// TLS follows libpq's URL conventions: `sslmode=disable|prefer|require|verify-ca|verify-full`
/// and `sslrootcert=PATH` (a PEM file) or `sslrootcert=system` (Mozilla's roots). Without
/// `sslmode` it is `verify-full` (chain and host name, against Mozilla's roots or
/// [`Options::tls_ca_file`]), except for loopback hosts and Unix sockets, where it is
/// `prefer`. rustls with the ring provider; a failure is [`Error::Tls`], never a fallback
/// to plaintext. The table holds tokens in clear: grant access to the app's role only.
///
/// ```no_run
/// # fn main() -> Result<(), slack_oauth_store::Error> {
/// use slack_oauth_core::Installation;
/// use slack_oauth_store::PostgresStore;
///
/// let store = PostgresStore::<Installation>::open(
///     "postgres://app@db.example.com/app?sslmode=verify-full&sslrootcert=/etc/ssl/db-ca.pem",
/// )?;
/// # Ok(()) }
/// ```
///
/// Keeps any `T` serde can write and read back (see [`Typed`]). Clones share the pool.
pub type PostgresStore<T> = Typed<Postgres, T>;

/// The backend of a [`PostgresStore`]: the connection pool and the statements.
#[derive(Clone)]
pub struct Postgres {
    pool: Arc<dyn Clients>,
    sql: Arc<Sql>,
    site: Site,
    /// The pool's last failed connect, typed (the pool itself keeps only a message, which
    /// lacks the TLS reason); `None` for the app's pool.
    last_error: Option<LastError>,
}

/// Keeps the typed error of the pool's last failed connect.
#[derive(Debug, Clone)]
struct LastError {
    site: Site,
    error: Arc<std::sync::Mutex<Option<Error>>>,
}

impl r2d2::HandleError<postgres::Error> for LastError {
    fn handle_error(&self, error: postgres::Error) {
        let typed = self.site.error(&error);
        if let Ok(mut last) = self.error.lock() {
            *last = Some(typed);
        }
    }
}

/// A blocking client lent by a pool, this store's own or the app's.
type Pooled = Box<dyn DerefMut<Target = postgres::Client> + Send>;

/// An `r2d2` pool of `postgres` clients, whatever its TLS connector.
trait Clients: Send + Sync {
    fn get(&self) -> Result<Pooled, String>;
}

impl<M> Clients for r2d2::Pool<PostgresConnectionManager<M>>
where
    M: MakeTlsConnect<Socket> + Clone + 'static + Sync + Send,
    M::TlsConnect: Send,
    M::Stream: Send,
    <M::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    fn get(&self) -> Result<Pooled, String> {
        r2d2::Pool::get(self)
            .map(|client| Box::new(client) as Pooled)
            .map_err(|e| e.to_string())
    }
}

impl<T> PostgresStore<T> {
    /// Connects to `url` (`postgres://user[:password]@host[:port]/database[?sslmode=…]`)
    /// with default [`Options`] and creates the table if missing. Without a password in the
    /// URL, `PGPASSWORD` is used (as libpq does); neither is ever shown.
    pub fn open(url: &str) -> Result<PostgresStore<T>, Error> {
        PostgresStore::open_with(url, &Options::default())
    }

    /// Connects to `url` with `options`: pool size, timeout, and table (`name` or
    /// `schema.name`; default [`DEFAULT_TABLE`]).
    pub fn open_with(url: &str, options: &Options) -> Result<PostgresStore<T>, Error> {
        let timeout = options.timeout;
        let target = target(url, options)?;
        let site = Site::of(&target, timeout);
        let sql = Sql::new(options.namespace.as_deref())?;
        // The migration runs on a connection of its own, outside the pool: the pool keeps
        // only the message of a failed connect, this tells a TLS failure from the rest.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Backend {
                store: STORE,
                detail: format!("cannot start the connection's runtime: {e}"),
            })?;
        runtime.block_on(migrate(&target, &site, &sql.guarded_migration()))?;
        drop(runtime);
        let last_error = LastError {
            site: site.clone(),
            error: Arc::default(),
        };
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size)
            .min_idle(Some(0))
            .connection_timeout(timeout)
            .error_handler(Box::new(last_error.clone()))
            .build_unchecked(PostgresConnectionManager::new(
                postgres::Config::from(target.config),
                target.tls,
            ));
        Ok(Typed::new(Postgres {
            pool: Arc::new(pool),
            sql: Arc::new(sql),
            site,
            last_error: Some(last_error),
        }))
    }

    /// A store on the app's own `r2d2_postgres` pool (any TLS connector; its TLS, size and
    /// timeouts are the app's), sharing it instead of opening a second; creates the table
    /// if missing. `options` gives the table.
    pub fn with_pool<M>(
        pool: r2d2::Pool<PostgresConnectionManager<M>>,
        options: &Options,
    ) -> Result<PostgresStore<T>, Error>
    where
        M: MakeTlsConnect<Socket> + Clone + 'static + Sync + Send,
        M::TlsConnect: Send,
        M::Stream: Send,
        <M::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        let sql = Sql::new(options.namespace.as_deref())?;
        let backend = Postgres {
            pool: Arc::new(pool),
            sql: Arc::new(sql),
            site: Site {
                timeout: options.timeout,
                hosts: "the app's pool".into(),
                mode: None,
            },
            last_error: None,
        };
        backend
            .connection()?
            .batch_execute(&backend.sql.guarded_migration())
            .map_err(|e| backend.site.error(&e))?;
        Ok(Typed::new(backend))
    }

    /// The SQL [`open`](Self::open) runs (idempotent), for the default table: to review, or
    /// to run yourself with a role that may create tables.
    pub fn migration() -> String {
        Sql::new(None).map(|sql| sql.migration).unwrap_or_default()
    }
}

/// Runs `migration` on a new connection to `target`, within twice the timeout.
async fn migrate(target: &Target, site: &Site, migration: &str) -> Result<(), Error> {
    let run = async {
        let (client, connection) = (target.config)
            .connect(target.tls.clone())
            .await
            .map_err(|e| site.error(&e))?;
        let driver = tokio::spawn(connection);
        let done = client.batch_execute(migration).await;
        drop(client);
        let _ = driver.await;
        done.map_err(|e| site.error(&e))
    };
    tokio::time::timeout(site.timeout.saturating_mul(2), run)
        .await
        .unwrap_or(Err(Error::Timeout {
            store: STORE,
            after: site.timeout,
        }))
}

impl Postgres {
    fn connection(&self) -> Result<Pooled, Error> {
        self.pool.get().map_err(|e| {
            let last = (self.last_error.as_ref()).and_then(|last| last.error.lock().ok()?.take());
            match last {
                // A TLS failure says why; other failures keep the pool's own account.
                Some(tls @ Error::Tls { .. }) => tls,
                _ => self.site.classify_text(&e),
            }
        })
    }
}

impl RawStore for Postgres {
    fn name(&self) -> &'static str {
        STORE
    }

    fn load_raw(&self, key: &str) -> Result<Option<Raw>, Error> {
        let rows = self
            .connection()?
            .query(&self.sql.load, &[&key])
            .map_err(|e| self.site.error(&e))?;
        rows.first().map(|row| row_to_raw(key, row)).transpose()
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
        let mut conn = self.connection()?;
        let rows = match expected {
            Expect::Version(v) => conn.query(
                &self.sql.update,
                &[&key, &to_sql_time(v), &value, &holder, &expires_at],
            ),
            Expect::Absent => conn.query(&self.sql.insert, &[&key, &value, &holder, &expires_at]),
            Expect::Any => conn.query(&self.sql.upsert, &[&key, &value]),
        }
        .map_err(|e| self.site.error(&e))?;
        Ok(version_of(&rows))
    }

    fn delete_raw(&self, key: &str) -> Result<bool, Error> {
        self.connection()?
            .execute(&self.sql.delete, &[&key])
            .map(|n| n > 0)
            .map_err(|e| self.site.error(&e))
    }

    fn keys_raw(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let rows = (self.connection()?)
            .query(&self.sql.keys, &[&crate::like_prefix(prefix)])
            .map_err(|e| self.site.error(&e))?;
        let found = rows.iter().map(|row| row.try_get::<_, String>(0));
        let found = found.collect::<Result<Vec<_>, _>>();
        Ok(crate::exact_prefix(
            found.map_err(|e| self.site.error(&e))?,
            prefix,
        ))
    }
}

impl fmt::Debug for Postgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresStore")
            .field("hosts", &self.site.hosts)
            .field("sslmode", &self.site.mode.map(SslMode::as_str))
            .field("timeout", &self.site.timeout)
            .finish_non_exhaustive()
    }
}

/// [`PostgresStore`] for async keepers: `tokio-postgres` connections in a
/// `deadpool-postgres` pool, every operation bounded by the timeout. Clones share the pool.
///
/// Keeps any `T` serde can write and read back (see [`Typed`]).
pub type AsyncPostgresStore<T> = Typed<AsyncPostgres, T>;

/// The backend of an [`AsyncPostgresStore`]: the connection pool and the statements.
#[derive(Clone)]
pub struct AsyncPostgres {
    pool: Pool,
    sql: Arc<Sql>,
    site: Site,
}

impl fmt::Debug for AsyncPostgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncPostgresStore")
            .field("hosts", &self.site.hosts)
            .field("sslmode", &self.site.mode.map(SslMode::as_str))
            .field("timeout", &self.site.timeout)
            .finish_non_exhaustive()
    }
}

/// Runs `work` on a pooled connection within `timeout`.
async fn with_client<R, F>(
    pool: &Pool,
    site: &Site,
    work: impl FnOnce(deadpool_postgres::Object) -> F,
) -> Result<R, Error>
where
    F: Future<Output = Result<R, tokio_postgres::Error>>,
{
    let timeout = site.timeout;
    let run = async {
        let client = pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => site.error(&e),
            e => Error::Unreachable {
                store: STORE,
                detail: format!("{}: {e}", site.hosts),
            },
        })?;
        work(client).await.map_err(|e| site.error(&e))
    };
    // The server cancels a statement at `timeout` (statement_timeout), which leaves no
    // doubt that it did not run; this outer bound only catches a network gone silent, after
    // which the outcome is unknown.
    tokio::time::timeout(timeout.saturating_mul(2), run)
        .await
        .unwrap_or(Err(Error::Timeout {
            store: STORE,
            after: timeout,
        }))
}

impl<T> AsyncPostgresStore<T> {
    /// Connects to `url` with default [`Options`] and creates the table if missing.
    pub async fn open(url: &str) -> Result<AsyncPostgresStore<T>, Error> {
        AsyncPostgresStore::open_with(url, &Options::default()).await
    }

    /// Connects to `url` with `options` (see [`PostgresStore::open_with`]).
    pub async fn open_with(url: &str, options: &Options) -> Result<AsyncPostgresStore<T>, Error> {
        let target = target(url, options)?;
        let site = Site::of(&target, options.timeout);
        let sql = Sql::new(options.namespace.as_deref())?;
        let manager = Manager::from_config(
            target.config,
            target.tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size as usize)
            .build()
            .map_err(|e| Error::Config {
                detail: e.to_string(),
            })?;
        AsyncPostgresStore::migrated(pool, sql, site).await
    }

    /// A store on the app's own `deadpool-postgres` pool (its TLS and timeouts are the
    /// app's), sharing it instead of opening a second; creates the table if missing.
    /// `options` gives the table and the timeout of each operation (the pool size and CA
    /// are the pool's).
    pub async fn with_pool(pool: Pool, options: &Options) -> Result<AsyncPostgresStore<T>, Error> {
        let sql = Sql::new(options.namespace.as_deref())?;
        let site = Site {
            timeout: options.timeout,
            hosts: "the app's pool".into(),
            mode: None,
        };
        AsyncPostgresStore::migrated(pool, sql, site).await
    }

    async fn migrated(pool: Pool, sql: Sql, site: Site) -> Result<AsyncPostgresStore<T>, Error> {
        let backend = AsyncPostgres {
            pool,
            sql: Arc::new(sql),
            site,
        };
        let migration = backend.sql.guarded_migration();
        with_client(&backend.pool, &backend.site, |c| async move {
            c.batch_execute(&migration).await
        })
        .await?;
        Ok(Typed::new(backend))
    }
}

impl RawAsyncStore for AsyncPostgres {
    fn name(&self) -> &'static str {
        STORE
    }

    fn load_raw(&self, key: &str) -> impl Future<Output = Result<Option<Raw>, Error>> + Send {
        let (store, key) = (self.clone(), key.to_owned());
        async move {
            let (sql, k) = (&store.sql, key.as_str());
            let rows = with_client(&store.pool, &store.site, |c| async move {
                let stmt = c.prepare_cached(&sql.load).await?;
                c.query(&stmt, &[&k]).await
            })
            .await?;
            rows.first().map(|row| row_to_raw(&key, row)).transpose()
        }
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
            let sql = &store.sql;
            with_client(&store.pool, &store.site, |c| async move {
                let rows = match expected {
                    Expect::Version(v) => {
                        let stmt = c.prepare_cached(&sql.update).await?;
                        c.query(
                            &stmt,
                            &[&key, &to_sql_time(v), &value, &holder, &expires_at],
                        )
                        .await?
                    }
                    Expect::Absent => {
                        let stmt = c.prepare_cached(&sql.insert).await?;
                        c.query(&stmt, &[&key, &value, &holder, &expires_at])
                            .await?
                    }
                    Expect::Any => {
                        let stmt = c.prepare_cached(&sql.upsert).await?;
                        c.query(&stmt, &[&key, &value]).await?
                    }
                };
                Ok(version_of(&rows))
            })
            .await
        }
    }

    fn delete_raw(&self, key: &str) -> impl Future<Output = Result<bool, Error>> + Send {
        let (store, key) = (self.clone(), key.to_owned());
        async move {
            let sql = &store.sql;
            with_client(&store.pool, &store.site, |c| async move {
                let stmt = c.prepare_cached(&sql.delete).await?;
                c.execute(&stmt, &[&key]).await
            })
            .await
            .map(|n| n > 0)
        }
    }

    fn keys_raw(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, Error>> + Send {
        let (store, prefix) = (self.clone(), prefix.to_owned());
        async move {
            let (sql, pattern) = (&store.sql, crate::like_prefix(&prefix));
            let pattern = &pattern;
            let found = with_client(&store.pool, &store.site, |c| async move {
                let stmt = c.prepare_cached(&sql.keys).await?;
                let rows = c.query(&stmt, &[pattern]).await?;
                rows.iter()
                    .map(|row| row.try_get::<_, String>(0))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
            Ok(crate::exact_prefix(found, &prefix))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode_of(url: &str) -> SslMode {
        target(url, &Options::new()).unwrap().mode
    }

    #[test]
    fn no_sslmode_means_verify_full_except_on_loopback() {
        for remote in [
            "postgres://app:pw@db.internal/app",
            "postgres://app@10.0.0.5:5432/app",
            "postgresql://app@db.example.com/app?application_name=x",
            "host=db.internal user=app",
            // One host that is not loopback is enough.
            "postgres://app@localhost,db.internal/app",
            "postgres://app@localhost.example.com/app",
        ] {
            assert_eq!(mode_of(remote), SslMode::VerifyFull, "{remote}");
        }
        for local in [
            "postgres://app@localhost/app",
            "postgres://app@127.0.0.1:5433/app",
            "postgres://app@[::1]/app",
            "postgres://app@%2Fvar%2Frun%2Fpostgresql/app",
            "host=/var/run/postgresql user=app",
            "host=127.0.0.1 user=app",
        ] {
            assert_eq!(mode_of(local), SslMode::Prefer, "{local}");
        }
        assert_eq!(
            mode_of("postgres://app@db.internal/app?sslmode=disable"),
            SslMode::Disable
        );
        assert_eq!(
            mode_of("postgres://app@localhost/app?sslmode=verify-full"),
            SslMode::VerifyFull
        );
        assert_eq!(
            mode_of("postgres://app@localhost/app?sslrootcert=system"),
            SslMode::VerifyFull
        );
        assert_eq!(
            mode_of("host=db.internal sslmode=require user=app"),
            SslMode::Require
        );
    }

    #[test]
    fn tls_parameters_are_taken_out_of_the_url() {
        let p = split_tls_params(
            "postgres://u:pw@h/db?application_name=a&sslmode=verify-ca&sslrootcert=%2Ftmp%2Fca.pem",
        );
        assert_eq!(p.rest, "postgres://u:pw@h/db?application_name=a");
        assert_eq!(p.sslmode.as_deref(), Some("verify-ca"));
        assert_eq!(p.sslrootcert.as_deref(), Some("/tmp/ca.pem"));
        let p = split_tls_params("host=h sslmode=verify-full sslrootcert='/tmp/ca.pem' user=u");
        assert_eq!(p.rest, "host=h user=u");
        assert_eq!(p.sslrootcert.as_deref(), Some("/tmp/ca.pem"));
        assert_eq!(split_tls_params("postgres://h/db").rest, "postgres://h/db");
    }

    #[test]
    fn bad_tls_settings_are_config_errors_without_the_password() {
        for url in [
            "postgres://u:hunter2@db/app?sslmode=allow",
            "postgres://u:hunter2@db/app?sslmode=verify-ca&sslrootcert=system",
            "postgres://u:hunter2@db/app?sslrootcert=/nonexistent/ca.pem",
            "postgres://u:hunter2@db/app?sslfoo=1",
        ] {
            let e = target(url, &Options::new()).unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{url}: {e:?}");
            assert!(!format!("{e} {e:?}").contains("hunter2"), "{url}: {e:?}");
        }
    }

    #[test]
    fn pgpassword_is_used_when_the_url_has_no_password() {
        let from_env = Some("from-env".into());
        let t = target_with("postgres://u@db/app", &Options::new(), from_env.clone()).unwrap();
        assert_eq!(t.config.get_password(), Some(&b"from-env"[..]));
        let t = target_with("postgres://u:in-url@db/app", &Options::new(), from_env).unwrap();
        assert_eq!(t.config.get_password(), Some(&b"in-url"[..]));
        assert!(!format!("{t:?}").contains("in-url"));
    }

    #[test]
    fn errors_and_debug_show_hosts_not_passwords() {
        let target = target("postgres://u:hunter2@db.internal:6543/app", &Options::new()).unwrap();
        assert_eq!(&*target.hosts, "db.internal:6543");
        assert!(!format!("{target:?}").contains("hunter2"));
        let site = Site::of(&target, Duration::from_secs(1));
        let e = site.classify_text("error performing TLS handshake: server does not support TLS");
        assert!(
            matches!(&e, Error::Tls { host, reason, .. }
                if host == "db.internal:6543" && reason.contains("sslmode verify-full")),
            "{e:?}"
        );
    }
}
