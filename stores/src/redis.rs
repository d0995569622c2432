//! [`RedisStore`]: records as Redis hashes, for fleets that already run Redis.

use std::fmt;
use std::future::Future;
use std::ops::DerefMut;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{ConnectionLike, RedisError, Script};
use slack_oauth_core::store::{Lease, Swap};

use crate::typed::{Expect, Raw, RawAsyncStore, RawStore, Typed};
use crate::{Error, Options, DEFAULT_PREFIX};

const STORE: &str = "redis";

/// The compare-and-swap, atomic because Redis runs a script alone.
///
/// KEYS[1]: the record (a hash); KEYS[2]: the store's version counter, so versions never
/// repeat, even after a delete. ARGV[1]: `absent`, `any` or the expected version; ARGV[2]:
/// the value; ARGV[3], ARGV[4]: the lease's holder and expiry, if any. Returns the new
/// version, or 0 for a conflict.
const SWAP: &str = r"
local current = redis.call('HGET', KEYS[1], 'version')
local expected = ARGV[1]
if expected == 'absent' then
  if current then return 0 end
elseif expected ~= 'any' then
  if current ~= expected then return 0 end
end
local version = redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[1])
if ARGV[3] then
  redis.call('HSET', KEYS[1], 'version', version, 'value', ARGV[2],
    'lease_holder', ARGV[3], 'lease_expires_at', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'version', version, 'value', ARGV[2])
end
return version
";

/// `text` with Redis glob's special characters escaped, to match itself only.
fn escape_glob(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '^' | '-') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Key names and the script, shared by both stores.
struct Keys {
    prefix: String,
    swap: Script,
    timeout: Duration,
    /// `host:port`, as errors show the server (never a user or password).
    host: String,
    /// Whether the URL is `rediss://`.
    tls: bool,
}

impl Keys {
    fn new(options: &Options, client: &redis::Client) -> Keys {
        let addr = client.get_connection_info().addr();
        Keys {
            prefix: options
                .namespace
                .clone()
                .unwrap_or_else(|| DEFAULT_PREFIX.to_owned()),
            swap: Script::new(SWAP),
            timeout: options.timeout,
            host: addr.to_string(),
            tls: matches!(addr, redis::ConnectionAddr::TcpTls { .. }),
        }
    }

    /// For a connection the app made: its server is its own business.
    fn for_the_apps(options: &Options) -> Keys {
        Keys {
            prefix: options
                .namespace
                .clone()
                .unwrap_or_else(|| DEFAULT_PREFIX.to_owned()),
            swap: Script::new(SWAP),
            timeout: options.timeout,
            host: "the app's connection".into(),
            // Unknown: no advice about rediss:// then.
            tls: true,
        }
    }

    // The braces make the prefix a Redis Cluster hash tag: every record and the counter
    // share a slot, as the script needs.
    fn record(&self, key: &str) -> String {
        format!("{{{}}}:record:{key}", self.prefix)
    }

    /// A `SCAN MATCH` pattern for the records whose key starts with `prefix`.
    fn records_matching(&self, prefix: &str) -> String {
        let mut pattern = escape_glob(&self.record(""));
        pattern.push_str(&escape_glob(prefix));
        pattern.push('*');
        pattern
    }

    /// The store keys of the record names `SCAN` found, of those starting with `prefix`.
    fn scanned(&self, names: Vec<String>, prefix: &str) -> Vec<String> {
        let record = self.record("");
        let keys = names
            .into_iter()
            .filter_map(|name| name.strip_prefix(&record).map(str::to_owned));
        crate::exact_prefix(keys, prefix)
    }

    fn scan_cmd(&self, cursor: u64, prefix: &str) -> redis::Cmd {
        let mut cmd = redis::cmd("SCAN");
        cmd.arg(cursor)
            .arg("MATCH")
            .arg(self.records_matching(prefix))
            .arg("COUNT")
            .arg(1000);
        cmd
    }

    fn counter(&self) -> String {
        format!("{{{}}}:versions", self.prefix)
    }

    fn load_cmd(&self, key: &str) -> redis::Cmd {
        let mut cmd = redis::cmd("HMGET");
        cmd.arg(self.record(key))
            .arg(&["version", "value", "lease_holder", "lease_expires_at"][..]);
        cmd
    }

    fn swap_invocation(
        &self,
        key: &str,
        expected: Expect,
        value: &str,
        lease: Option<&Lease>,
    ) -> redis::ScriptInvocation<'_> {
        let mut call = self.swap.key(self.record(key));
        call.key(self.counter());
        match expected {
            Expect::Absent => call.arg("absent"),
            Expect::Any => call.arg("any"),
            Expect::Version(v) => call.arg(v),
        };
        call.arg(value);
        if let Some(lease) = lease {
            call.arg(&lease.holder).arg(lease.expires_at);
        }
        call
    }

    fn error(&self, e: &RedisError) -> Error {
        if let Some(tls) = crate::tls::find_rustls(e) {
            return Error::Tls {
                store: STORE,
                host: self.host.clone(),
                reason: tls.to_string(),
            };
        }
        if e.is_timeout() {
            Error::Timeout {
                store: STORE,
                after: self.timeout,
            }
        } else if e.is_io_error() || e.is_connection_refusal() || e.is_connection_dropped() {
            if !self.tls && e.is_connection_dropped() && !e.is_connection_refusal() {
                // A TLS-only port drops a session that starts in clear: say so.
                return Error::Unreachable {
                    store: STORE,
                    detail: format!(
                        "{}: {e} (if the server takes only TLS, the URL must be rediss://)",
                        self.host
                    ),
                };
            }
            Error::Unreachable {
                store: STORE,
                detail: format!("{}: {e}", self.host),
            }
        } else {
            Error::Backend {
                store: STORE,
                detail: e.to_string(),
            }
        }
    }
}

fn raw(key: &str, fields: Vec<Option<String>>) -> Result<Option<Raw>, Error> {
    let corrupt = |detail: &str| Error::Corrupt {
        store: STORE,
        key: key.to_owned(),
        detail: detail.to_owned(),
    };
    let mut fields = fields.into_iter();
    let (version, value, holder, expires_at) = (
        fields.next().flatten(),
        fields.next().flatten(),
        fields.next().flatten(),
        fields.next().flatten(),
    );
    let Some(version) = version else {
        return Ok(None);
    };
    let version = version
        .parse()
        .map_err(|_| corrupt("the version is not a number"))?;
    let value = value.ok_or_else(|| corrupt("the value is missing"))?;
    let lease = match (holder, expires_at) {
        (None, None) => None,
        (Some(holder), Some(expires_at)) => Some(Lease {
            holder,
            expires_at: expires_at
                .parse()
                .map_err(|_| corrupt("the lease expiry is not a number"))?,
        }),
        _ => return Err(corrupt("the lease fields are inconsistent")),
    };
    Ok(Some(Raw {
        version,
        value,
        lease,
    }))
}

/// The client for `url`: `rediss://` is TLS, checked against `options`' CA (default:
/// Mozilla's roots) and the host name; `redis://` is plaintext.
fn client(url: &str, options: &Options) -> Result<redis::Client, Error> {
    // The parser's message may quote the URL, password and all.
    let invalid = |_| Error::Config {
        detail: "not a valid Redis URL (redis[s]://[user:password@]host[:port][/db])".into(),
    };
    if !url.starts_with("rediss://") {
        return redis::Client::open(url).map_err(invalid);
    }
    crate::tls::ensure_default_provider();
    let (url, ca_file) = split_ca_param(url);
    if url.contains("#insecure") {
        return Err(Error::Config {
            detail: "`#insecure` (no certificate check) is not supported: give the server's CA \
                     instead"
                .into(),
        });
    }
    let ca = match ca_file {
        Some(path) => Some(crate::Ca::File(path.into())),
        None => options.ca.clone(),
    };
    match crate::tls::pem_of(ca.as_ref())? {
        None => redis::Client::open(url.as_str()).map_err(invalid),
        Some(root_cert) => redis::Client::build_with_tls(
            url.as_str(),
            redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(root_cert),
            },
        )
        .map_err(invalid),
    }
}

/// Takes `ssl_ca_certs=PATH` (redis-py's name for the CA file) out of a `rediss://` URL's
/// query: the rest of the URL and the path.
fn split_ca_param(url: &str) -> (String, Option<String>) {
    let (base, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let Some((head, query)) = base.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut ca = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some(("ssl_ca_certs", value)) => {
                ca = Some(crate::tls::percent_decode(value));
                false
            }
            _ => !pair.is_empty(),
        })
        .collect();
    let mut rest = head.to_owned();
    if !kept.is_empty() {
        rest.push('?');
        rest.push_str(&kept.join("&"));
    }
    if let Some(fragment) = fragment {
        rest.push('#');
        rest.push_str(fragment);
    }
    (rest, ca)
}

fn version_of(version: u64) -> Swap {
    match version {
        0 => Swap::Conflict,
        version => Swap::Stored { version },
    }
}

/// Opens blocking connections with the store's timeout on connect, reads and writes (the
/// `redis` crate's own r2d2 support connects without a timeout).
struct Connector {
    client: redis::Client,
    timeout: Duration,
}

impl r2d2::ManageConnection for Connector {
    type Connection = redis::Connection;
    type Error = RedisError;

    fn connect(&self) -> Result<redis::Connection, RedisError> {
        let conn = self.client.get_connection_with_timeout(self.timeout)?;
        conn.set_read_timeout(Some(self.timeout))?;
        conn.set_write_timeout(Some(self.timeout))?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut redis::Connection) -> Result<(), RedisError> {
        redis::cmd("PING").query(conn)
    }

    fn has_broken(&self, conn: &mut redis::Connection) -> bool {
        !conn.is_open()
    }
}

/// Records as Redis hashes: `{PREFIX}:record:KEY` (fields `version`, `value`,
/// `lease_holder`, `lease_expires_at`) and the store's version counter `{PREFIX}:versions`.
/// The swap is one Lua script. Blocking connections in an `r2d2` pool.
///
/// `redis://` is plaintext, as the URL says; `rediss://` is TLS (rustls on ring), the
/// chain and the host name checked against Mozilla's roots or the CA in `?ssl_ca_certs=PATH`
/// or [`Options::tls_ca_file`]; a failure is [`Error::Tls`]. The hashes hold tokens in
/// clear: protect the server (a password or ACL user, no public port) and keep persistence
/// files private.
///
/// Keeps any `T` serde can write and read back (see [`Typed`]). Clones share the pool.
pub type RedisStore<T> = Typed<Redis, T>;

/// The backend of a [`RedisStore`]: the connection pool and the key names.
#[derive(Clone)]
pub struct Redis {
    pool: Arc<dyn Connections>,
    keys: Arc<Keys>,
}

/// A blocking connection lent by a pool, this store's own or the app's.
type Pooled = Box<dyn DerefMut<Target = redis::Connection> + Send>;

/// An `r2d2` pool of Redis connections: this store's, or the app's `r2d2::Pool<redis::Client>`.
trait Connections: Send + Sync {
    fn get(&self) -> Result<Pooled, String>;
}

impl<M> Connections for r2d2::Pool<M>
where
    M: r2d2::ManageConnection<Connection = redis::Connection>,
{
    fn get(&self) -> Result<Pooled, String> {
        r2d2::Pool::get(self)
            .map(|conn| Box::new(conn) as Pooled)
            .map_err(|e| e.to_string())
    }
}

impl<T> RedisStore<T> {
    /// Connects to `url` (`redis://[user:password@]host[:port][/db]`, or `rediss://…`
    /// for TLS) with default [`Options`].
    pub fn open(url: &str) -> Result<RedisStore<T>, Error> {
        RedisStore::open_with(url, &Options::default())
    }

    /// Connects to `url` with `options`: pool size, timeout, key prefix (default
    /// [`DEFAULT_PREFIX`]). Fails if the server does not answer.
    pub fn open_with(url: &str, options: &Options) -> Result<RedisStore<T>, Error> {
        let client = client(url, options)?;
        let keys = Arc::new(Keys::new(options, &client));
        // Fail now rather than at the first token, with the client's own error (the pool
        // keeps only its message).
        let connector = Connector {
            client,
            timeout: options.timeout,
        };
        let first = r2d2::ManageConnection::connect(&connector).map_err(|e| keys.error(&e))?;
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size)
            .min_idle(Some(0))
            .connection_timeout(options.timeout)
            .build_unchecked(connector);
        drop(first);
        let backend = Redis {
            pool: Arc::new(pool),
            keys,
        };
        Ok(Typed::new(backend))
    }

    /// A store on the app's own `r2d2` pool of Redis connections (the redis crate's
    /// `r2d2` support: `r2d2::Pool<redis::Client>`; its URL, TLS and timeouts are the
    /// app's), sharing it instead of opening a second. `options` gives the key prefix.
    /// Fails if the pool lends no connection.
    pub fn with_pool(
        pool: r2d2::Pool<redis::Client>,
        options: &Options,
    ) -> Result<RedisStore<T>, Error> {
        let keys = Arc::new(Keys::for_the_apps(options));
        let backend = Redis {
            pool: Arc::new(pool),
            keys,
        };
        backend.connection()?;
        Ok(Typed::new(backend))
    }
}

impl Redis {
    fn connection(&self) -> Result<Pooled, Error> {
        self.pool.get().map_err(|e| Error::Unreachable {
            store: STORE,
            detail: format!("{}: {e}", self.keys.host),
        })
    }
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.keys.prefix)
            .field("timeout", &self.keys.timeout)
            .finish_non_exhaustive()
    }
}

impl RawStore for Redis {
    fn name(&self) -> &'static str {
        STORE
    }

    fn load_raw(&self, key: &str) -> Result<Option<Raw>, Error> {
        let mut conn = self.connection()?;
        let fields: Vec<Option<String>> = self
            .keys
            .load_cmd(key)
            .query(&mut **conn)
            .map_err(|e| self.keys.error(&e))?;
        raw(key, fields)
    }

    fn swap_raw(
        &self,
        key: &str,
        expected: Expect,
        value: &str,
        lease: Option<&Lease>,
    ) -> Result<Swap, Error> {
        let mut conn = self.connection()?;
        self.keys
            .swap_invocation(key, expected, value, lease)
            .invoke::<u64>(&mut **conn)
            .map(version_of)
            .map_err(|e| self.keys.error(&e))
    }

    fn delete_raw(&self, key: &str) -> Result<bool, Error> {
        let mut conn = self.connection()?;
        redis::cmd("DEL")
            .arg(self.keys.record(key))
            .query::<u64>(&mut **conn)
            .map(|n| n > 0)
            .map_err(|e| self.keys.error(&e))
    }

    fn keys_raw(&self, prefix: &str) -> Result<Vec<String>, Error> {
        let mut conn = self.connection()?;
        let (mut cursor, mut names) = (0, Vec::new());
        loop {
            let (next, found): (u64, Vec<String>) = (self.keys.scan_cmd(cursor, prefix))
                .query(&mut **conn)
                .map_err(|e| self.keys.error(&e))?;
            names.extend(found);
            if next == 0 {
                return Ok(self.keys.scanned(names, prefix));
            }
            cursor = next;
        }
    }
}

/// [`RedisStore`] for async keepers: one multiplexed connection that reconnects by itself
/// (`redis`' `ConnectionManager`), every operation bounded by the timeout. Clones share it.
///
/// Keeps any `T` serde can write and read back (see [`Typed`]).
pub type AsyncRedisStore<T> = Typed<AsyncRedis, T>;

/// The backend of an [`AsyncRedisStore`]: the connection and the key names.
#[derive(Clone)]
pub struct AsyncRedis {
    conn: ConnectionManager,
    keys: Arc<Keys>,
}

impl fmt::Debug for AsyncRedis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncRedisStore")
            .field("prefix", &self.keys.prefix)
            .field("timeout", &self.keys.timeout)
            .finish_non_exhaustive()
    }
}

impl<T> AsyncRedisStore<T> {
    /// Connects to `url` with default [`Options`].
    pub async fn open(url: &str) -> Result<AsyncRedisStore<T>, Error> {
        AsyncRedisStore::open_with(url, &Options::default()).await
    }

    /// Connects to `url` with `options` (see [`RedisStore::open_with`]).
    pub async fn open_with(url: &str, options: &Options) -> Result<AsyncRedisStore<T>, Error> {
        let client = client(url, options)?;
        let keys = Arc::new(Keys::new(options, &client));
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.timeout))
            .set_response_timeout(Some(options.timeout))
            .set_number_of_retries(1);
        let conn = timed(&keys, async {
            ConnectionManager::new_with_config(client, config).await
        })
        .await?;
        Ok(Typed::new(AsyncRedis { conn, keys }))
    }
}

impl<T> AsyncRedisStore<T> {
    /// A store on the app's own `ConnectionManager` (its URL, TLS and reconnection are the
    /// app's), sharing it instead of opening a second connection. `options` gives the key
    /// prefix and the timeout of each operation.
    pub fn with_connection_manager(
        conn: ConnectionManager,
        options: &Options,
    ) -> AsyncRedisStore<T> {
        Typed::new(AsyncRedis {
            conn,
            keys: Arc::new(Keys::for_the_apps(options)),
        })
    }
}

async fn timed<R>(
    keys: &Keys,
    work: impl Future<Output = Result<R, RedisError>>,
) -> Result<R, Error> {
    match tokio::time::timeout(keys.timeout, work).await {
        Ok(result) => result.map_err(|e| keys.error(&e)),
        Err(_) => Err(Error::Timeout {
            store: STORE,
            after: keys.timeout,
        }),
    }
}

impl RawAsyncStore for AsyncRedis {
    fn name(&self) -> &'static str {
        STORE
    }

    fn load_raw(&self, key: &str) -> impl Future<Output = Result<Option<Raw>, Error>> + Send {
        let (mut conn, keys, key) = (self.conn.clone(), Arc::clone(&self.keys), key.to_owned());
        async move {
            let fields: Vec<Option<String>> =
                timed(&keys, keys.load_cmd(&key).query_async(&mut conn)).await?;
            raw(&key, fields)
        }
    }

    fn swap_raw(
        &self,
        key: &str,
        expected: Expect,
        value: String,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<Swap, Error>> + Send {
        let (mut conn, keys, key) = (self.conn.clone(), Arc::clone(&self.keys), key.to_owned());
        let lease = lease.cloned();
        async move {
            let call = keys.swap_invocation(&key, expected, &value, lease.as_ref());
            timed(&keys, call.invoke_async::<u64>(&mut conn))
                .await
                .map(version_of)
        }
    }

    fn delete_raw(&self, key: &str) -> impl Future<Output = Result<bool, Error>> + Send {
        let (mut conn, keys, key) = (self.conn.clone(), Arc::clone(&self.keys), key.to_owned());
        async move {
            let mut cmd = redis::cmd("DEL");
            cmd.arg(keys.record(&key));
            timed(&keys, cmd.query_async::<u64>(&mut conn))
                .await
                .map(|n| n > 0)
        }
    }

    fn keys_raw(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, Error>> + Send {
        let (mut conn, keys) = (self.conn.clone(), Arc::clone(&self.keys));
        let prefix = prefix.to_owned();
        async move {
            let (mut cursor, mut names) = (0, Vec::new());
            loop {
                let cmd = keys.scan_cmd(cursor, &prefix);
                let (next, found): (u64, Vec<String>) =
                    timed(&keys, cmd.query_async(&mut conn)).await?;
                names.extend(found);
                if next == 0 {
                    return Ok(keys.scanned(names, &prefix));
                }
                cursor = next;
            }
        }
    }
}
