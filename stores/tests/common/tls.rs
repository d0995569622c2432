//! TLS servers of the tests' own, started once per test binary on 127.0.0.1: a throw-away
//! CA and server certificates (rcgen), a PostgreSQL cluster (`initdb` in a temporary folder,
//! run as the `postgres` user when the tests run as root) that takes only `hostssl`
//! sessions, Redis servers with only a TLS port, and a MariaDB (`mariadb-install-db` in a
//! temporary folder) with `require_secure_transport`. They stop and their folders go when the
//! test process ends, however it ends: each runs under a shell that waits on a pipe from us.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// The host names the server certificate is for: `localhost`, and a name only a private
/// `/etc/hosts` knows. Not `127.0.0.1`: connecting by that address is a name mismatch.
pub const SERVER_NAMES: [&str; 2] = ["localhost", "db.internal"];

/// The throw-away certificates, as PEM files in one folder.
pub struct Pki {
    pub dir: PathBuf,
    /// The CA that signed the servers' certificates.
    pub ca: PathBuf,
    /// Another CA, that signed nothing here: unknown to the servers' chains.
    pub other_ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    /// A server certificate from the right CA whose validity ended in 2020.
    pub expired_cert: PathBuf,
    pub expired_key: PathBuf,
}

/// Child processes (the servers' shells) whose stdin we hold: dropping the last copy of a
/// pipe, which happens when this process ends, stops them.
static KEEP: Mutex<Vec<Child>> = Mutex::new(Vec::new());

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(super::unique(name));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `script` (with `args` as `$1`…) under `sh` as `user` (or as ourselves), keeping its
/// stdin open until this process ends.
fn supervised(user: Option<&str>, script: &str, args: &[&str]) -> std::io::Result<()> {
    let mut command = match user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--", "sh", "-c", script, "sh"]);
            c
        }
        None => {
            let mut c = Command::new("sh");
            c.args(["-c", script, "sh"]);
            c
        }
    };
    let child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    KEEP.lock().unwrap().push(child);
    Ok(())
}

pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = temp_dir("slack-oauth-pki");
        let write = |name: &str, text: String| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let ca = |name: &str| {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.distinguished_name.push(DnType::CommonName, name);
            let cert = params.self_signed(&key).unwrap();
            (cert, Issuer::new(params, key))
        };
        let (ca_cert, issuer) = ca("slack-oauth test CA");
        let (other_cert, _) = ca("slack-oauth other CA");
        let server = |expired: bool| {
            let key = KeyPair::generate().unwrap();
            let names: Vec<String> = SERVER_NAMES.iter().map(|n| (*n).to_owned()).collect();
            let mut params = CertificateParams::new(names).unwrap();
            params
                .distinguished_name
                .push(DnType::CommonName, "localhost");
            if expired {
                params.not_before = rcgen::date_time_ymd(2019, 1, 1);
                params.not_after = rcgen::date_time_ymd(2020, 1, 1);
            }
            let cert = params.signed_by(&key, &issuer).unwrap();
            (cert.pem(), key.serialize_pem())
        };
        let (server_cert, server_key) = server(false);
        let (expired_cert, expired_key) = server(true);
        let pki = Pki {
            ca: write("ca.pem", ca_cert.pem()),
            other_ca: write("other-ca.pem", other_cert.pem()),
            server_cert: write("server.pem", server_cert),
            server_key: write("server.key", server_key),
            expired_cert: write("expired.pem", expired_cert),
            expired_key: write("expired.key", expired_key),
            dir: dir.clone(),
        };
        // The folder goes when this process ends.
        let _ = supervised(None, "read _; rm -rf \"$1\"", &[dir.to_str().unwrap()]);
        pki
    })
}

/// A free port on 127.0.0.1 (bound to port 0, then released for the server).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[cfg(feature = "postgres")]
fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

#[cfg(feature = "postgres")]
/// `name` on PATH, else in the newest `/usr/lib/postgresql/*/bin`.
fn pg_binary(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    });
    on_path.or_else(|| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|entry| entry.path().join("bin").join(name))
            .filter(|path| path.is_file())
            .collect();
        dirs.sort();
        dirs.pop()
    })
}

/// Waits until `ready` or 30 seconds pass.
fn wait_for(mut ready: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[cfg(feature = "postgres")]
/// The test cluster's port, or why it could not start.
pub fn postgres_port() -> Result<u16, String> {
    static PORT: OnceLock<Result<u16, String>> = OnceLock::new();
    PORT.get_or_init(start_postgres).clone()
}

#[cfg(feature = "postgres")]
fn start_postgres() -> Result<u16, String> {
    let (Some(initdb), Some(postgres)) = (pg_binary("initdb"), pg_binary("postgres")) else {
        return Err("initdb and postgres are not installed".into());
    };
    let pki = pki();
    let root = temp_dir("slack-oauth-pgtls");
    let data = root.join("data");
    let user = running_as_root().then_some("postgres");
    // The server's files (its key above all) belong to the user it runs as.
    std::fs::copy(&pki.server_cert, root.join("server.pem")).unwrap();
    std::fs::copy(&pki.server_key, root.join("server.key")).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            root.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    if user.is_some() {
        let id = |flag: &str| -> Result<u32, String> {
            let out = Command::new("id")
                .args([flag, "postgres"])
                .output()
                .map_err(|e| e.to_string())?;
            String::from_utf8_lossy(&out.stdout)
                .trim()
                .parse()
                .map_err(|_| "there is no `postgres` user to run the server as".to_owned())
        };
        let (uid, gid) = (id("-u")?, id("-g")?);
        for path in [&root, &root.join("server.pem"), &root.join("server.key")] {
            std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
        }
    }
    let run_as = |program: &Path, args: &[&str]| -> Result<(), String> {
        let mut command = match user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(program);
                c
            }
            None => Command::new(program),
        };
        let out = command.args(args).output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed: {}",
                program.display(),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    let data_arg = data.to_str().unwrap();
    run_as(
        &initdb,
        &[
            "-D",
            data_arg,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
    )?;
    let port = free_port();
    let conf = format!(
        "\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{root}'\n\
         ssl = on\nssl_cert_file = '{root}/server.pem'\nssl_key_file = '{root}/server.key'\n\
         max_connections = 300\nfsync = off\nsynchronous_commit = off\n",
        root = root.display()
    );
    append(&data.join("postgresql.conf"), &conf);
    // TLS sessions only: a plaintext one finds no line that lets it in.
    std::fs::write(
        data.join("pg_hba.conf"),
        "hostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n",
    )
    .unwrap();
    supervised(
        user,
        "\"$1\" -D \"$2\" >\"$3/log\" 2>&1 & p=$!; read _; kill -INT $p; wait $p; rm -rf \"$3\"",
        &[postgres.to_str().unwrap(), data_arg, root.to_str().unwrap()],
    )
    .map_err(|e| e.to_string())?;
    let url = postgres_url(port);
    if wait_for(|| super::Postgres::client(&url).is_ok()) {
        Ok(port)
    } else {
        let log = std::fs::read_to_string(root.join("log")).unwrap_or_default();
        Err(format!("the TLS PostgreSQL did not start: {log}"))
    }
}

#[cfg(feature = "postgres")]
fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[cfg(feature = "postgres")]
/// The URL of the test cluster, checked in full against the test CA.
pub fn postgres_url(port: u16) -> String {
    format!(
        "postgres://postgres@localhost:{port}/postgres?sslmode=verify-full&sslrootcert={}",
        pki().ca.display()
    )
}

#[cfg(feature = "postgres")]
/// A loopback server that speaks PostgreSQL's TLS request and then TLS with `cert`/`key`
/// (and nothing more: the handshake is what a test of certificate checks needs); its port.
#[cfg(feature = "postgres")]
pub fn postgres_tls_handshake_only(cert: &Path, key: &Path) -> u16 {
    use rustls::pki_types::pem::PemObject;
    let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let config = std::sync::Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = std::sync::Arc::clone(&config);
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut stream = stream;
                let mut request = [0u8; 8];
                if stream.read_exact(&mut request).is_err() || stream.write_all(b"S").is_err() {
                    return;
                }
                let mut tls = rustls::ServerConnection::new(config).unwrap();
                while tls.is_handshaking() {
                    if tls.complete_io(&mut stream).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// A PostgreSQL client for a URL of the form [`postgres_url`] writes (plaintext otherwise).
#[cfg(feature = "postgres")]
pub fn pg_client(url: &str) -> Result<postgres::Client, postgres::Error> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut ca = None;
    for pair in query.split('&') {
        if let Some(path) = pair.strip_prefix("sslrootcert=") {
            ca = Some(path.to_owned());
        }
    }
    let mut config: postgres::Config = base.parse()?;
    config.connect_timeout(Duration::from_secs(3));
    match ca {
        None => config.connect(postgres::NoTls),
        Some(ca) => {
            config.ssl_mode(postgres::config::SslMode::Require);
            config.connect(tokio_postgres_rustls::MakeRustlsConnect::new(
                client_config(Path::new(&ca)),
            ))
        }
    }
}

/// A rustls client config on ring trusting only the CA in `ca`.
pub fn client_config(ca: &Path) -> rustls::ClientConfig {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth()
}

#[cfg(feature = "redis")]
/// A Redis server with only a TLS port, serving `cert`/`key`; its port, or why not.
fn start_redis(cert: &Path, key: &Path) -> Result<u16, String> {
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
    {
        return Err("redis-server is not installed".into());
    }
    let root = temp_dir("slack-oauth-redistls");
    let port = free_port();
    let port_arg = port.to_string();
    let pki = pki();
    supervised(
        None,
        "redis-server --port 0 --bind 127.0.0.1 --tls-port \"$1\" --tls-cert-file \"$2\" \
         --tls-key-file \"$3\" --tls-ca-cert-file \"$4\" --tls-auth-clients no --save '' \
         --appendonly no --dir \"$5\" >\"$5/log\" 2>&1 & p=$!; read _; kill $p; wait $p; \
         rm -rf \"$5\"",
        &[
            &port_arg,
            cert.to_str().unwrap(),
            key.to_str().unwrap(),
            pki.ca.to_str().unwrap(),
            root.to_str().unwrap(),
        ],
    )
    .map_err(|e| e.to_string())?;
    if wait_for(|| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()) {
        Ok(port)
    } else {
        let log = std::fs::read_to_string(root.join("log")).unwrap_or_default();
        Err(format!(
            "redis-server with a TLS port did not start (built without TLS?): {log}"
        ))
    }
}

#[cfg(feature = "redis")]
/// The TLS-only Redis with the good certificate.
pub fn redis_port() -> Result<u16, String> {
    static PORT: OnceLock<Result<u16, String>> = OnceLock::new();
    PORT.get_or_init(|| {
        let pki = pki();
        let port = start_redis(&pki.server_cert, &pki.server_key)?;
        let url = redis_url(port);
        let answered = wait_for(|| {
            super::Redis::client(&url)
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
                .is_ok()
        });
        if answered {
            Ok(port)
        } else {
            Err("the TLS Redis does not answer PING over TLS".into())
        }
    })
    .clone()
}

#[cfg(feature = "redis")]
/// A TLS-only Redis whose certificate expired.
pub fn expired_redis_port() -> Result<u16, String> {
    static PORT: OnceLock<Result<u16, String>> = OnceLock::new();
    PORT.get_or_init(|| {
        let pki = pki();
        start_redis(&pki.expired_cert, &pki.expired_key)
    })
    .clone()
}

#[cfg(feature = "redis")]
/// The URL of the TLS Redis, its CA given as redis-py's `ssl_ca_certs`.
pub fn redis_url(port: u16) -> String {
    format!(
        "rediss://localhost:{port}/?ssl_ca_certs={}",
        pki().ca.display()
    )
}

#[cfg(feature = "redis")]
/// A Redis connection for a URL of the form [`redis_url`] writes (plaintext otherwise).
pub fn redis_connection(url: &str) -> redis::RedisResult<redis::Connection> {
    let Some((base, ca)) = url.split_once("?ssl_ca_certs=") else {
        return redis::Client::open(url)?.get_connection_with_timeout(Duration::from_secs(3));
    };
    let root_cert = std::fs::read(ca)?;
    redis::Client::build_with_tls(
        base,
        redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(root_cert),
        },
    )?
    .get_connection_with_timeout(Duration::from_secs(3))
}

#[cfg(feature = "postgres")]
/// A loopback server that answers PostgreSQL's TLS request with `N` (no TLS here), as a
/// server without TLS does; its port. It lives as long as the test process.
pub fn postgres_without_tls() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut stream = stream;
                let mut request = [0u8; 8];
                if stream.read_exact(&mut request).is_ok() {
                    let _ = stream.write_all(b"N");
                    // Then wait for the client to give up; a startup packet in clear is
                    // what a plaintext fallback would send.
                    let mut rest = Vec::new();
                    let _ = stream.read_to_end(&mut rest);
                }
            });
        }
    });
    port
}

#[cfg(feature = "redis")]
/// A loopback server that speaks plain RESP (answers anything with an error), as a Redis
/// without TLS does; its port.
pub fn redis_without_tls() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut stream = stream;
                let mut buf = [0u8; 1024];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 || stream.write_all(b"-ERR unknown command\r\n").is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

/// Whether a test of the TLS servers should run: `false` (after a loud SKIPPED line, or a
/// failure under SLACK_OAUTH_REQUIRE_SERVICES=1) when `server` is an error.
pub fn available<T>(name: &str, server: &Result<T, String>) -> bool {
    match server {
        Ok(_) => true,
        Err(why) => {
            super::unavailable(name, "127.0.0.1 (started by the tests)", why);
            false
        }
    }
}

#[cfg(feature = "mysql")]
/// The test's own MariaDB that refuses sessions without TLS (`require_secure_transport`),
/// with the good certificate: its port, or why it could not start.
pub fn mariadb_port() -> Result<u16, String> {
    static PORT: OnceLock<Result<u16, String>> = OnceLock::new();
    PORT.get_or_init(start_mariadb).clone()
}

#[cfg(feature = "mysql")]
fn start_mariadb() -> Result<u16, String> {
    let installed = Command::new("mariadb-install-db")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !installed {
        return Err("mariadb-install-db is not installed".into());
    }
    let root = temp_dir("slack-oauth-mariadbtls");
    let data = root.join("data");
    let init = root.join("init.sql");
    std::fs::write(&init, "CREATE DATABASE IF NOT EXISTS test;\n").unwrap();
    // `normal`: root@localhost logs in with an empty password over TCP, as on the shared
    // server; `--user` lets it run as whoever runs the tests, root included.
    let user = String::from_utf8_lossy(&Command::new("id").arg("-un").output().unwrap().stdout)
        .trim()
        .to_owned();
    let out = Command::new("mariadb-install-db")
        .args([
            "--no-defaults",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ])
        .arg(format!("--user={user}"))
        .arg(format!("--datadir={}", data.display()))
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "mariadb-install-db failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let port = free_port();
    let pki = pki();
    supervised(
        None,
        "mariadbd --no-defaults --user=\"$6\" --datadir=\"$1/data\" --socket=\"$1/sock\" \
         --pid-file=\"$1/pid\" --port=\"$2\" --bind-address=127.0.0.1 \
         --ssl-cert=\"$3\" --ssl-key=\"$4\" --ssl-ca=\"$5\" --require-secure-transport=ON \
         --init-file=\"$1/init.sql\" --innodb-buffer-pool-size=16M --skip-log-bin \
         >\"$1/log\" 2>&1 & p=$!; read _; kill $p; wait $p; rm -rf \"$1\"",
        &[
            root.to_str().unwrap(),
            &port.to_string(),
            pki.server_cert.to_str().unwrap(),
            pki.server_key.to_str().unwrap(),
            pki.ca.to_str().unwrap(),
            &user,
        ],
    )
    .map_err(|e| e.to_string())?;
    let url = mariadb_url(port);
    if wait_for(|| super::MySql::client(&url).is_ok()) {
        Ok(port)
    } else {
        let log = std::fs::read_to_string(root.join("log")).unwrap_or_default();
        Err(format!("mariadbd with TLS did not start: {log}"))
    }
}

#[cfg(feature = "mysql")]
/// The URL of the TLS MariaDB: by the certificate's name, the test CA as `ssl-ca`.
pub fn mariadb_url(port: u16) -> String {
    format!(
        "mysql://root@localhost:{port}/test?ssl-mode=VERIFY_IDENTITY&ssl-ca={}",
        pki().ca.display()
    )
}
