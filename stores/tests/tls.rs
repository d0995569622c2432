//! TLS to the stores, failing as it should: every failure (unknown CA, a certificate for
//! another name, an expired one, a server without TLS where the URL requires it, a server
//! that requires TLS where the URL turned it off) is an `Error::Tls` naming the host and
//! the reason, never the password, from the blocking and the async store alike; and the
//! defaults and CA settings, each against a real server the tests start on 127.0.0.1.

#![cfg(any(feature = "postgres", feature = "redis", feature = "mysql"))]

mod common;

use std::time::Duration;

use slack_oauth_store::{Error, Options};

use common::rt;
use common::tls::pki;

const PASSWORD: &str = "hunter2-CANARY-7f3a";

fn options() -> Options {
    Options::new().timeout(Duration::from_secs(5))
}

/// Checks that `e` is a TLS error about `host` whose reason contains `because`
/// (case-insensitive), and that nothing shows the password.
fn assert_tls(e: &Error, host: &str, because: &str) {
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains(PASSWORD), "the password leaked: {shown}");
    match e {
        Error::Tls {
            host: named,
            reason,
            ..
        } => {
            assert!(named.contains(host), "{shown}");
            assert!(
                reason.to_lowercase().contains(&because.to_lowercase()),
                "expected `{because}` in: {shown}"
            );
        }
        other => panic!("expected a TLS error, got {other:?}"),
    }
    assert!(!e.is_unavailable(), "{shown}");
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use slack_oauth_store::{AsyncPostgresStore, PostgresStore, TlsRoots};

    fn port() -> Option<u16> {
        let port = common::tls::postgres_port();
        common::tls::available("PostgreSQL over TLS", &port).then(|| port.unwrap())
    }

    /// Opens `url` with the blocking and with the async store: both results.
    fn open_both(url: &str, options: &Options) -> Vec<Result<(), Error>> {
        vec![
            PostgresStore::<String>::open_with(url, options).map(drop),
            rt().block_on(AsyncPostgresStore::<String>::open_with(url, options))
                .map(drop),
        ]
    }

    fn fails_both(url: &str, options: &Options, host: &str, because: &str) {
        for result in open_both(url, options) {
            assert_tls(&result.unwrap_err(), host, because);
        }
    }

    fn opens_both(url: &str, options: &Options) {
        for result in open_both(url, options) {
            result.unwrap();
        }
    }

    fn url(host: &str, port: u16, query: &str) -> String {
        format!("postgres://postgres:{PASSWORD}@{host}:{port}/postgres?{query}")
    }

    #[test]
    fn verify_full_with_the_servers_ca_connects() {
        let Some(port) = port() else { return };
        let ca = pki().ca.display();
        opens_both(
            &url(
                "localhost",
                port,
                &format!("sslmode=verify-full&sslrootcert={ca}"),
            ),
            &options(),
        );
    }

    #[test]
    fn an_unknown_ca_is_a_tls_error() {
        let Some(port) = port() else { return };
        let other = pki().other_ca.display();
        let host = format!("localhost:{port}");
        fails_both(
            &url(
                "localhost",
                port,
                &format!("sslmode=verify-full&sslrootcert={other}"),
            ),
            &options(),
            &host,
            "UnknownIssuer",
        );
        // No CA given: Mozilla's roots, which know nothing of the test CA.
        fails_both(
            &url("localhost", port, "sslmode=verify-full"),
            &options(),
            &host,
            "UnknownIssuer",
        );
        // sslrootcert=system: the same roots, and libpq's rule that it means verify-full.
        fails_both(
            &url("localhost", port, "sslrootcert=system"),
            &options(),
            &host,
            "UnknownIssuer",
        );
        for result in open_both(
            &url("localhost", port, "sslmode=require&sslrootcert=system"),
            &options(),
        ) {
            assert!(matches!(result, Err(Error::Config { .. })), "{result:?}");
        }
    }

    #[test]
    fn a_certificate_for_another_name_is_a_tls_error_unless_verify_ca() {
        let Some(port) = port() else { return };
        let ca = pki().ca.display();
        // The certificate names localhost, not 127.0.0.1.
        fails_both(
            &url(
                "127.0.0.1",
                port,
                &format!("sslmode=verify-full&sslrootcert={ca}"),
            ),
            &options(),
            &format!("127.0.0.1:{port}"),
            "not valid for name",
        );
        // verify-ca checks the chain only; and a root certificate makes `require` do so too.
        opens_both(
            &url(
                "127.0.0.1",
                port,
                &format!("sslmode=verify-ca&sslrootcert={ca}"),
            ),
            &options(),
        );
        opens_both(
            &url(
                "127.0.0.1",
                port,
                &format!("sslmode=require&sslrootcert={ca}"),
            ),
            &options(),
        );
        let other = pki().other_ca.display();
        fails_both(
            &url(
                "127.0.0.1",
                port,
                &format!("sslmode=verify-ca&sslrootcert={other}"),
            ),
            &options(),
            &format!("127.0.0.1:{port}"),
            "UnknownIssuer",
        );
    }

    #[test]
    fn an_expired_certificate_is_a_tls_error() {
        let pki = pki();
        let port = common::tls::postgres_tls_handshake_only(&pki.expired_cert, &pki.expired_key);
        let ca = pki.ca.display();
        fails_both(
            &url(
                "localhost",
                port,
                &format!("sslmode=verify-full&sslrootcert={ca}"),
            ),
            &options(),
            &format!("localhost:{port}"),
            "expired",
        );
    }

    #[test]
    fn a_server_without_tls_is_a_tls_error_where_tls_is_required() {
        let port = common::tls::postgres_without_tls();
        let ca = pki().ca.display();
        for query in [
            "sslmode=require".to_owned(),
            format!("sslmode=verify-full&sslrootcert={ca}"),
        ] {
            fails_both(
                &url("localhost", port, &query),
                &options(),
                &format!("localhost:{port}"),
                "does not support TLS",
            );
        }
    }

    #[test]
    fn a_server_that_requires_tls_refuses_sslmode_disable_with_a_tls_error() {
        let Some(port) = port() else { return };
        fails_both(
            &url("localhost", port, "sslmode=disable"),
            &options(),
            &format!("localhost:{port}"),
            "requires TLS",
        );
    }

    #[test]
    fn loopback_defaults_to_prefer_which_takes_tls_unchecked() {
        let Some(port) = port() else { return };
        // No sslmode, no CA: on loopback that is `prefer`, so this hostssl-only server is
        // reached over TLS although its CA is unknown (as with libpq).
        opens_both(
            &format!("postgres://postgres:{PASSWORD}@localhost:{port}/postgres"),
            &options(),
        );
        opens_both(
            &format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            &options(),
        );
    }

    #[test]
    fn the_ca_option_is_used_and_sslrootcert_wins_over_it() {
        let Some(port) = port() else { return };
        let pki = pki();
        let with_ca = options().tls_ca_file(&pki.ca);
        opens_both(&url("localhost", port, "sslmode=verify-full"), &with_ca);
        let ders = std::fs::read_to_string(&pki.ca).unwrap();
        let der = rustls::pki_types::pem::PemObject::from_pem_slice(ders.as_bytes())
            .map(|c: rustls::pki_types::CertificateDer<'_>| c.to_vec())
            .unwrap();
        opens_both(
            &url("localhost", port, "sslmode=verify-full"),
            &options().tls_roots(TlsRoots::Custom(vec![der])),
        );
        let other = pki.other_ca.display();
        fails_both(
            &url(
                "localhost",
                port,
                &format!("sslmode=verify-full&sslrootcert={other}"),
            ),
            &with_ca,
            &format!("localhost:{port}"),
            "UnknownIssuer",
        );
        // A CA file that is not one is the user's to fix.
        let bad = options().tls_ca_file(pki.dir.join("missing.pem"));
        for result in open_both(&url("localhost", port, "sslmode=verify-full"), &bad) {
            assert!(matches!(result, Err(Error::Config { .. })), "{result:?}");
        }
    }

    /// A loopback port whose first connection goes to `first` and every later one to
    /// `then`; its port.
    fn switching_proxy(first: u16, then: u16) -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for (i, client) in listener.incoming().flatten().enumerate() {
                let target = if i == 0 { first } else { then };
                let Ok(server) = std::net::TcpStream::connect(("127.0.0.1", target)) else {
                    continue;
                };
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut c1, mut s1) = (client, server);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut c1, &mut s1);
                    let _ = s1.shutdown(std::net::Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut s2, &mut c2);
                    let _ = c2.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        port
    }

    #[test]
    fn a_tls_failure_after_open_still_says_why() {
        let Some(cluster) = port() else { return };
        let pki = pki();
        let expired = common::tls::postgres_tls_handshake_only(&pki.expired_cert, &pki.expired_key);
        // The store opens on the real server; its pool's connections then meet an expired
        // certificate (as after a botched certificate rotation).
        let proxy = switching_proxy(cluster, expired);
        let url = url(
            "localhost",
            proxy,
            &format!("sslmode=verify-full&sslrootcert={}", pki.ca.display()),
        );
        let store =
            PostgresStore::<String>::open_with(&url, &options().timeout(Duration::from_secs(2)))
                .unwrap();
        let e = slack_oauth_core::Store::load(&store, "k").unwrap_err();
        assert_tls(&e, &format!("localhost:{proxy}"), "expired");
    }

    #[test]
    fn the_password_is_never_shown() {
        let Some(port) = port() else { return };
        let ca = pki().ca.display();
        let url = url(
            "localhost",
            port,
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        );
        let store = PostgresStore::<String>::open_with(&url, &options()).unwrap();
        let async_store = rt()
            .block_on(AsyncPostgresStore::<String>::open_with(&url, &options()))
            .unwrap();
        for shown in [format!("{store:?}"), format!("{async_store:?}")] {
            assert!(!shown.contains(PASSWORD), "{shown}");
            assert!(shown.contains(&format!("localhost:{port}")), "{shown}");
        }
        let bad = format!("postgres://postgres:{PASSWORD}@localhost:{port}/postgres?sslmode=allow");
        for result in open_both(&bad, &options()) {
            let e = result.unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{e:?}");
            assert!(!format!("{e} {e:?}").contains(PASSWORD), "{e:?}");
        }
    }
}

#[cfg(feature = "mysql")]
mod mysql {
    use super::*;
    use slack_oauth_store::{AsyncMySqlStore, MySqlStore};

    fn port() -> Option<u16> {
        let port = common::tls::mariadb_port();
        common::tls::available("MariaDB over TLS", &port).then(|| port.unwrap())
    }

    fn open_both(url: &str, options: &Options) -> Vec<Result<(), Error>> {
        vec![
            MySqlStore::<String>::open_with(url, options).map(drop),
            rt().block_on(AsyncMySqlStore::<String>::open_with(url, options))
                .map(drop),
        ]
    }

    fn fails_both(url: &str, options: &Options, host: &str, because: &str) {
        for result in open_both(url, options) {
            assert_tls(&result.unwrap_err(), host, because);
        }
    }

    fn opens_both(url: &str, options: &Options) {
        for result in open_both(url, options) {
            result.unwrap();
        }
    }

    /// With the canary password where the handshake fails before any login; root's
    /// password is empty where the store must get in.
    fn url(password: &str, host: &str, port: u16, query: &str) -> String {
        format!("mysql://root:{password}@{host}:{port}/test?{query}")
    }

    fn options() -> Options {
        super::options().namespace(common::unique("slack_oauth_tls"))
    }

    #[test]
    fn verify_identity_with_the_servers_ca_connects() {
        let Some(port) = port() else { return };
        let ca = pki().ca.display();
        let url =
            format!("mysql://root@localhost:{port}/test?ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}");
        opens_both(&url, &options());
        // The CA from the options instead of the URL; the default mode on loopback
        // (PREFERRED) takes the TLS the server offers.
        opens_both(
            &format!("mysql://root@localhost:{port}/test?ssl-mode=VERIFY_IDENTITY"),
            &options().tls_ca_file(&pki().ca),
        );
        opens_both(&format!("mariadb://root@localhost:{port}/test"), &options());
    }

    #[test]
    fn an_unknown_ca_is_a_tls_error() {
        let Some(port) = port() else { return };
        let other = pki().other_ca.display();
        let host = format!("localhost:{port}");
        fails_both(
            &url(
                PASSWORD,
                "localhost",
                port,
                &format!("ssl-mode=VERIFY_IDENTITY&ssl-ca={other}"),
            ),
            &options(),
            &host,
            "UnknownIssuer",
        );
        // No CA given: Mozilla's roots, which know nothing of the test CA.
        fails_both(
            &url(PASSWORD, "localhost", port, "ssl-mode=VERIFY_CA"),
            &options(),
            &host,
            "UnknownIssuer",
        );
    }

    #[test]
    fn a_certificate_for_another_name_is_a_tls_error_unless_only_the_chain_is_checked() {
        let Some(port) = port() else { return };
        let ca = pki().ca.display();
        // The certificate names localhost, not 127.0.0.1.
        fails_both(
            &url(
                PASSWORD,
                "127.0.0.1",
                port,
                &format!("ssl-mode=VERIFY_IDENTITY&ssl-ca={ca}"),
            ),
            &options(),
            &format!("127.0.0.1:{port}"),
            "not valid for name",
        );
        // VERIFY_CA checks the chain. (It should take 127.0.0.1 too; mysql_async 0.37.1
        // still checks the name there, which MySqlStore's docs say.)
        opens_both(
            &url(
                "",
                "localhost",
                port,
                &format!("ssl-mode=VERIFY_CA&ssl-ca={ca}"),
            ),
            &options(),
        );
        // REQUIRED with an ssl-ca checks the chain, as the mysql client does.
        let other = pki().other_ca.display();
        fails_both(
            &url(
                PASSWORD,
                "127.0.0.1",
                port,
                &format!("ssl-mode=REQUIRED&ssl-ca={other}"),
            ),
            &options(),
            &format!("127.0.0.1:{port}"),
            "UnknownIssuer",
        );
        opens_both(&url("", "127.0.0.1", port, "ssl-mode=REQUIRED"), &options());
    }

    #[test]
    fn a_server_that_requires_tls_refuses_ssl_mode_disabled() {
        let Some(port) = port() else { return };
        // MariaDB refuses the login itself (MySQL answers error 3159, a TLS error): the
        // error says that the URL turned TLS off.
        for result in open_both(&url("", "localhost", port, "ssl-mode=DISABLED"), &options()) {
            let e = result.unwrap_err();
            let shown = format!("{e}");
            assert!(
                matches!(&e, Error::Unreachable { .. } | Error::Tls { .. }),
                "{e:?}"
            );
            assert!(shown.contains(&format!("localhost:{port}")), "{shown}");
            assert!(shown.contains("ssl-mode=DISABLED"), "{shown}");
        }
    }

    #[test]
    fn a_server_without_tls_is_a_tls_error_where_the_url_requires_it() {
        let Some(my) = common::MySql::new() else {
            return;
        };
        let base = my.url.split('?').next().unwrap().to_owned();
        let with_password = base.replacen("mysql://root@", &format!("mysql://root:{PASSWORD}@"), 1);
        for mode in ["REQUIRED", "VERIFY_IDENTITY"] {
            let url = format!("{with_password}?ssl-mode={mode}");
            for result in open_both(&url, &options()) {
                let e = result.unwrap_err();
                if matches!(&e, Error::Tls { .. }) {
                    assert_tls(&e, "", "does not support TLS");
                } else {
                    // The shared server may have TLS on: then the handshake or the login
                    // fails instead, never in clear.
                    assert!(!format!("{e} {e:?}").contains(PASSWORD), "{e:?}");
                }
            }
        }
    }
}

#[cfg(feature = "redis")]
mod redis {
    use super::*;
    use slack_oauth_store::{AsyncRedisStore, RedisStore};

    fn port() -> Option<u16> {
        let port = common::tls::redis_port();
        common::tls::available("Redis over TLS", &port).then(|| port.unwrap())
    }

    fn open_both(url: &str, options: &Options) -> Vec<Result<(), Error>> {
        vec![
            RedisStore::<String>::open_with(url, options).map(drop),
            rt().block_on(AsyncRedisStore::<String>::open_with(url, options))
                .map(drop),
        ]
    }

    fn fails_both(url: &str, options: &Options, host: &str, because: &str) {
        for result in open_both(url, options) {
            assert_tls(&result.unwrap_err(), host, because);
        }
    }

    fn opens_both(url: &str, options: &Options) {
        for result in open_both(url, options) {
            result.unwrap();
        }
    }

    #[test]
    fn rediss_with_the_servers_ca_connects() {
        let Some(port) = port() else { return };
        let pki = pki();
        opens_both(
            &format!(
                "rediss://localhost:{port}/0?ssl_ca_certs={}",
                pki.ca.display()
            ),
            &options(),
        );
        opens_both(
            &format!("rediss://localhost:{port}"),
            &options().tls_ca_file(&pki.ca),
        );
    }

    #[test]
    fn an_unknown_ca_is_a_tls_error() {
        let Some(port) = port() else { return };
        let pki = pki();
        let host = format!("localhost:{port}");
        // Mozilla's roots by default.
        fails_both(
            &format!("rediss://default:{PASSWORD}@localhost:{port}"),
            &options(),
            &host,
            "UnknownIssuer",
        );
        // `ssl_ca_certs` in the URL wins over the option.
        fails_both(
            &format!(
                "rediss://default:{PASSWORD}@localhost:{port}/?ssl_ca_certs={}",
                pki.other_ca.display()
            ),
            &options().tls_ca_file(&pki.ca),
            &host,
            "UnknownIssuer",
        );
    }

    #[test]
    fn a_certificate_for_another_name_is_a_tls_error() {
        let Some(port) = port() else { return };
        fails_both(
            &format!("rediss://default:{PASSWORD}@127.0.0.1:{port}"),
            &options().tls_ca_file(&pki().ca),
            &format!("127.0.0.1:{port}"),
            "not valid for name",
        );
    }

    #[test]
    fn an_expired_certificate_is_a_tls_error() {
        let port = common::tls::expired_redis_port();
        if !common::tls::available("Redis over TLS", &port) {
            return;
        }
        let port = port.unwrap();
        fails_both(
            &format!("rediss://default:{PASSWORD}@localhost:{port}"),
            &options().tls_ca_file(&pki().ca),
            &format!("localhost:{port}"),
            "expired",
        );
    }

    #[test]
    fn a_server_without_tls_is_a_tls_error_for_rediss() {
        let port = common::tls::redis_without_tls();
        fails_both(
            &format!("rediss://default:{PASSWORD}@localhost:{port}"),
            &options().tls_ca_file(&pki().ca),
            &format!("localhost:{port}"),
            "",
        );
    }

    #[test]
    fn a_server_that_requires_tls_fails_a_plaintext_url_naming_tls() {
        let Some(port) = port() else { return };
        // The server only drops the session (nothing says it was for TLS): a store error
        // that names the host and points at rediss://, not a configuration error.
        for result in open_both(
            &format!("redis://default:{PASSWORD}@localhost:{port}"),
            &options(),
        ) {
            let e = result.unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains(PASSWORD), "{shown}");
            assert!(
                matches!(&e, Error::Unreachable { detail, .. }
                    if detail.contains(&format!("localhost:{port}")) && detail.contains("rediss://")),
                "{shown}"
            );
        }
    }

    #[test]
    fn insecure_is_refused() {
        let Some(port) = port() else { return };
        for result in open_both(&format!("rediss://localhost:{port}/#insecure"), &options()) {
            assert!(matches!(result, Err(Error::Config { .. })), "{result:?}");
        }
    }
}

/// Stores on the app's own pool or connection, over TLS: they share it and work as the
/// stores they open themselves do.
#[cfg(all(feature = "postgres", feature = "redis"))]
mod the_apps_own {
    use super::*;
    use slack_oauth_core::{store::Swap, AsyncStore};
    use slack_oauth_store::{AsyncPostgresStore, AsyncRedisStore};

    #[test]
    fn deadpool_postgres_pool() {
        let Some(pg) = common::Postgres::tls() else {
            return;
        };
        let port = common::tls::postgres_port().unwrap();
        let mut config = tokio_postgres::Config::new();
        config
            .host("localhost")
            .port(port)
            .user("postgres")
            .dbname("postgres")
            .ssl_mode(tokio_postgres::config::SslMode::Require);
        let tls =
            tokio_postgres_rustls::MakeRustlsConnect::new(common::tls::client_config(&pki().ca));
        let manager = deadpool_postgres::Manager::new(config, tls);
        let pool = deadpool_postgres::Pool::builder(manager)
            .max_size(2)
            .build()
            .unwrap();
        let options = options().namespace(&pg.table);
        rt().block_on(async {
            let store = AsyncPostgresStore::<String>::with_pool(pool.clone(), &options)
                .await
                .unwrap();
            let v1 = store.put("k", &"one".to_owned()).await.unwrap();
            let swapped = store
                .compare_and_swap("k", Some(v1), &"two".to_owned(), None)
                .await
                .unwrap();
            assert!(matches!(swapped, Swap::Stored { .. }), "{swapped:?}");
            // The same records through a store that opened its own pool.
            let own = AsyncPostgresStore::<String>::open_with(&pg.url, &options)
                .await
                .unwrap();
            assert_eq!(own.load("k").await.unwrap().unwrap().value, "two");
            assert!(pool.status().size >= 1, "the store used the app's pool");
        });
    }

    #[test]
    fn redis_connection_manager() {
        let Some(service) = common::Redis::tls() else {
            return;
        };
        let port = common::tls::redis_port().unwrap();
        let client = ::redis::Client::build_with_tls(
            format!("rediss://localhost:{port}"),
            ::redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(std::fs::read(&pki().ca).unwrap()),
            },
        )
        .unwrap();
        let options = options().namespace(&service.prefix);
        rt().block_on(async {
            let conn = ::redis::aio::ConnectionManager::new(client).await.unwrap();
            let store = AsyncRedisStore::<String>::with_connection_manager(conn, &options);
            let v1 = store.put("k", &"one".to_owned()).await.unwrap();
            assert_eq!(
                store
                    .compare_and_swap("k", Some(v1), &"stale".to_owned(), None)
                    .await
                    .unwrap(),
                Swap::Stored { version: v1 + 1 }
            );
            let own = AsyncRedisStore::<String>::open_with(&service.url, &options)
                .await
                .unwrap();
            assert_eq!(own.load("k").await.unwrap().unwrap().value, "stale");
        });
    }

    #[test]
    fn r2d2_postgres_pool() {
        let Some(pg) = common::Postgres::tls() else {
            return;
        };
        let port = common::tls::postgres_port().unwrap();
        let mut config = ::postgres::Config::new();
        config
            .host("localhost")
            .port(port)
            .user("postgres")
            .dbname("postgres")
            .ssl_mode(::postgres::config::SslMode::Require);
        let tls =
            tokio_postgres_rustls::MakeRustlsConnect::new(common::tls::client_config(&pki().ca));
        let pool = r2d2::Pool::builder()
            .max_size(2)
            .build(r2d2_postgres::PostgresConnectionManager::new(config, tls))
            .unwrap();
        let options = options().namespace(&pg.table);
        let store = slack_oauth_store::PostgresStore::<String>::with_pool(pool, &options).unwrap();
        let v1 = slack_oauth_core::Store::put(&store, "k", &"one".to_owned()).unwrap();
        let own = slack_oauth_store::PostgresStore::<String>::open_with(&pg.url, &options).unwrap();
        let record = slack_oauth_core::Store::load(&own, "k").unwrap().unwrap();
        assert_eq!((record.version, record.value.as_str()), (v1, "one"));
    }

    #[test]
    fn r2d2_redis_pool() {
        let Some(service) = common::Redis::tls() else {
            return;
        };
        let port = common::tls::redis_port().unwrap();
        let client = ::redis::Client::build_with_tls(
            format!("rediss://localhost:{port}"),
            ::redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(std::fs::read(&pki().ca).unwrap()),
            },
        )
        .unwrap();
        let pool = r2d2::Pool::builder().max_size(2).build(client).unwrap();
        let options = options().namespace(&service.prefix);
        let store = slack_oauth_store::RedisStore::<String>::with_pool(pool, &options).unwrap();
        let v1 = slack_oauth_core::Store::put(&store, "k", &"one".to_owned()).unwrap();
        let own =
            slack_oauth_store::RedisStore::<String>::open_with(&service.url, &options).unwrap();
        let record = slack_oauth_core::Store::load(&own, "k").unwrap().unwrap();
        assert_eq!((record.version, record.value.as_str()), (v1, "one"));
    }
}
