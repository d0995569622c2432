//! What the store tests share: the real PostgreSQL and Redis servers (skipped loudly when
//! they do not answer), a namespace of their own per fixture, and one Tokio runtime.
#![allow(dead_code, unused_imports)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::runtime::Runtime;

#[cfg(any(feature = "postgres", feature = "redis", feature = "mysql"))]
pub mod tls;

/// One multi-thread runtime for the whole test binary.
pub fn rt() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// A name no other fixture, test binary or parallel run uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Whether missing services fail the tests instead of skipping them (CI sets it).
fn required() -> bool {
    std::env::var("SLACK_OAUTH_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

pub fn unavailable(name: &str, url: &str, why: &str) {
    assert!(
        !required(),
        "{name} at {url} does not answer ({why}) and SLACK_OAUTH_REQUIRE_SERVICES=1"
    );
    // Straight to stderr, not `eprintln!`: the test harness would hide that for a test
    // that passes.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED: {name} at {url} does not answer ({why}); \
         set SLACK_OAUTH_REQUIRE_SERVICES=1 to fail instead ***"
    );
}

/// A PostgreSQL schema of this fixture's own, dropped at the end.
#[cfg(feature = "postgres")]
pub struct Postgres {
    pub url: String,
    pub schema: String,
    /// `schema.records`: the store's namespace.
    pub table: String,
}

#[cfg(feature = "postgres")]
impl Postgres {
    pub fn url() -> String {
        std::env::var("SLACK_OAUTH_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
    }

    /// `None` (after a loud SKIPPED line) when the server does not answer.
    pub fn new() -> Option<Postgres> {
        Postgres::at(Postgres::url())
    }

    /// The test's own PostgreSQL cluster that takes only TLS (see [`tls`]), on a URL with
    /// `sslmode=verify-full` and the test CA as `sslrootcert`.
    pub fn tls() -> Option<Postgres> {
        let port = tls::postgres_port();
        if !tls::available("PostgreSQL over TLS", &port) {
            return None;
        }
        Postgres::at(tls::postgres_url(port.unwrap()))
    }

    pub fn at(url: String) -> Option<Postgres> {
        if let Err(e) = Postgres::client(&url) {
            unavailable("PostgreSQL", &url, &e.to_string());
            return None;
        }
        let schema = unique("slack_oauth_test");
        Some(Postgres {
            table: format!("{schema}.records"),
            url,
            schema,
        })
    }

    pub fn client(url: &str) -> Result<postgres::Client, postgres::Error> {
        if url.contains("sslrootcert=") {
            return tls::pg_client(url);
        }
        let mut config: postgres::Config = url.parse()?;
        config.connect_timeout(Duration::from_secs(3));
        config.connect(postgres::NoTls)
    }
}

#[cfg(feature = "postgres")]
impl Drop for Postgres {
    fn drop(&mut self) {
        if let Ok(mut client) = Postgres::client(&self.url) {
            let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

/// A MySQL (or MariaDB) table of this fixture's own in the `test` database, dropped (with
/// its version counter) at the end.
#[cfg(feature = "mysql")]
pub struct MySql {
    pub url: String,
    /// The store's namespace.
    pub table: String,
}

#[cfg(feature = "mysql")]
impl MySql {
    pub fn url() -> String {
        std::env::var("SLACK_OAUTH_TEST_MYSQL")
            .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into())
    }

    /// `None` (after a loud SKIPPED line) when the server does not answer.
    pub fn new() -> Option<MySql> {
        let url = MySql::url();
        if let Err(e) = MySql::client(&url) {
            unavailable("MySQL", &url, &e.to_string());
            return None;
        }
        Some(MySql {
            url,
            table: unique("slack_oauth_test"),
        })
    }

    /// The test's own MariaDB that takes only TLS (see [`tls`]), on a URL with
    /// `ssl-mode=VERIFY_IDENTITY` and the test CA as `ssl-ca`.
    pub fn tls() -> Option<MySql> {
        let port = tls::mariadb_port();
        if !tls::available("MariaDB over TLS", &port) {
            return None;
        }
        Some(MySql {
            url: tls::mariadb_url(port.unwrap()),
            table: unique("slack_oauth_test"),
        })
    }

    /// A connection of its own (outside any store's pool): plaintext, or over TLS checked
    /// against the URL's `ssl-ca`.
    pub fn client(url: &str) -> Result<mysql_async::Conn, mysql_async::Error> {
        let (base, ca) = match url.split_once('?') {
            Some((base, query)) => (
                base,
                query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix("ssl-ca="))
                    .map(std::path::PathBuf::from),
            ),
            None => (url, None),
        };
        let opts = mysql_async::Opts::from_url(base)?;
        let ssl = ca.map(|ca| {
            mysql_async::SslOpts::default()
                .with_root_certs(vec![ca.into()])
                .with_disable_built_in_roots(true)
        });
        let opts = mysql_async::OptsBuilder::from_opts(opts)
            .prefer_socket(false)
            .ssl_opts(ssl);
        rt().block_on(async {
            tokio::time::timeout(Duration::from_secs(3), mysql_async::Conn::new(opts))
                .await
                .unwrap_or_else(|_| Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()))
        })
    }

    /// Runs `statement` with `params` on `conn`.
    pub fn exec(
        conn: &mut mysql_async::Conn,
        statement: &str,
        params: impl Into<mysql_async::Params> + Send,
    ) {
        use mysql_async::prelude::Queryable;
        rt().block_on(conn.exec_drop(statement, params)).unwrap();
    }
}

#[cfg(feature = "mysql")]
impl Drop for MySql {
    fn drop(&mut self) {
        if let Ok(mut conn) = MySql::client(&self.url) {
            use mysql_async::prelude::Queryable;
            let table = &self.table;
            let drop = format!("DROP TABLE IF EXISTS `{table}`, `{table}_version`");
            let _ = rt().block_on(async move {
                let done = conn.query_drop(drop).await;
                let _ = conn.disconnect().await;
                done
            });
        }
    }
}

/// A Redis key prefix of this fixture's own, its keys deleted at the end.
#[cfg(feature = "redis")]
pub struct Redis {
    pub url: String,
    pub prefix: String,
}

#[cfg(feature = "redis")]
impl Redis {
    pub fn url() -> String {
        std::env::var("SLACK_OAUTH_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
    }

    pub fn new() -> Option<Redis> {
        Redis::at(Redis::url())
    }

    /// The test's own Redis with only a TLS port (see [`tls`]), on a `rediss://` URL with
    /// the test CA as `ssl_ca_certs`.
    pub fn tls() -> Option<Redis> {
        let port = tls::redis_port();
        if !tls::available("Redis over TLS", &port) {
            return None;
        }
        Redis::at(tls::redis_url(port.unwrap()))
    }

    pub fn at(url: String) -> Option<Redis> {
        let answered =
            Redis::client(&url).and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
        if let Err(e) = answered {
            unavailable("Redis", &url, &e.to_string());
            return None;
        }
        Some(Redis {
            url,
            prefix: unique("slack-oauth-test"),
        })
    }

    pub fn client(url: &str) -> redis::RedisResult<redis::Connection> {
        if url.starts_with("rediss://") {
            return tls::redis_connection(url);
        }
        redis::Client::open(url)?.get_connection_with_timeout(Duration::from_secs(3))
    }

    /// The hash a store keeps `key` in.
    pub fn record_key(&self, key: &str) -> String {
        format!("{{{}}}:record:{key}", self.prefix)
    }
}

#[cfg(feature = "redis")]
impl Drop for Redis {
    fn drop(&mut self) {
        let Ok(mut c) = Redis::client(&self.url) else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{{{}}}:*", self.prefix))
            .query(&mut c)
            .unwrap_or_default();
        if !keys.is_empty() {
            let _ = redis::cmd("DEL").arg(keys).query::<u64>(&mut c);
        }
    }
}

/// A temporary folder, removed at the end.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let dir = std::env::temp_dir().join(unique("slack-oauth-store"));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A TCP port that accepts connections and never answers: a hung server.
pub fn silent_server() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    (listener, addr)
}

/// A loopback port nobody listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
