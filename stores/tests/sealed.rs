//! Sealed records on every durable store, on real servers: a raw dump (the file, the table
//! or the keys read with the driver) holds no token after install, refresh and rekey; a
//! value moved to another record or altered does not open; a missing key is an error the
//! keeper does not act on; records written in clear are read and sealed later; rekey runs
//! while a keeper refreshes, and nothing is lost.

#![cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine;
use slack_oauth_core::oauth_v2::Access;
use slack_oauth_core::{
    keeper::KeeperError, parse, Api, AsyncStore, AuthorizeUrl, ClientCredentials, Installation,
    Store,
};
use slack_oauth_sim::{AppConfig, Server, Sim, TokenStatus};
use slack_oauth_store::{AnyStore, AsyncAnyStore, Error, Keyring, Options, Sealed, Stored};

const CLIENT_ID: &str = "111.333";
const CLIENT_SECRET: &str = "sealed-store-app-secret";
const DUE: u64 = 43_200 - Installation::DEFAULT_REFRESH_MARGIN;

const K1: &str = "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const K2: &str = "k2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI";

type SealedStore = Sealed<AnyStore<Stored<Installation>>, Installation>;

/// A durable store with a namespace of its own, and a way to read everything it holds
/// with the driver.
struct Backend {
    url: String,
    namespace: String,
    dump: Box<dyn Fn() -> String + Send + Sync>,
    /// Drops what the backend keeps of overwritten values (SQLite's free pages and log).
    compact: fn(&str),
    _cleanup: Box<dyn std::any::Any + Send + Sync>,
}

impl Backend {
    fn plain(&self) -> AnyStore<Installation> {
        AnyStore::open_with(&self.url, &Options::new().namespace(&self.namespace)).unwrap()
    }

    fn sealed(&self, ring: &str) -> SealedStore {
        let ring = (!ring.is_empty()).then(|| Keyring::parse(ring).unwrap());
        self.plain().sealed(ring)
    }
}

#[cfg(feature = "sqlite")]
fn sqlite() -> Option<Backend> {
    let dir = common::TempDir::new();
    let folder = dir.0.clone();
    Some(Backend {
        url: format!("sqlite:{}", dir.0.join("tokens.db").display()),
        namespace: "installations".into(),
        compact: |url| {
            let conn = rusqlite::Connection::open(url.strip_prefix("sqlite:").unwrap()).unwrap();
            conn.execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
                .unwrap();
        },
        // Every byte on disk: the database, its write-ahead log and shared memory.
        dump: Box::new(move || {
            let mut all = String::new();
            for entry in std::fs::read_dir(&folder).unwrap() {
                let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
                all.push_str(&String::from_utf8_lossy(&bytes));
            }
            all
        }),
        _cleanup: Box::new(dir),
    })
}

#[cfg(feature = "postgres")]
fn postgres() -> Option<Backend> {
    let pg = common::Postgres::new()?;
    let (url, table) = (pg.url.clone(), pg.table.clone());
    Some(Backend {
        url: pg.url.clone(),
        namespace: pg.table.clone(),
        compact: |_| {},
        dump: Box::new(move || {
            let mut client = common::Postgres::client(&url).unwrap();
            let rows = client
                .query(&format!("SELECT row_to_json(t)::text FROM {table} t"), &[])
                .unwrap();
            rows.iter()
                .map(|row| row.get::<_, String>(0))
                .collect::<Vec<_>>()
                .join("\n")
        }),
        _cleanup: Box::new(pg),
    })
}

#[cfg(feature = "redis")]
fn redis() -> Option<Backend> {
    let service = common::Redis::new()?;
    let (url, prefix) = (service.url.clone(), service.prefix.clone());
    Some(Backend {
        url: service.url.clone(),
        namespace: service.prefix.clone(),
        compact: |_| {},
        dump: Box::new(move || {
            let mut c = common::Redis::client(&url).unwrap();
            let keys: Vec<String> = ::redis::cmd("KEYS")
                .arg(format!("{{{prefix}}}:*"))
                .query(&mut c)
                .unwrap();
            let mut all = String::new();
            for key in keys {
                let kind: String = ::redis::cmd("TYPE").arg(&key).query(&mut c).unwrap();
                let shown = match kind.as_str() {
                    "hash" => {
                        let fields: Vec<String> =
                            ::redis::cmd("HGETALL").arg(&key).query(&mut c).unwrap();
                        fields.join(" ")
                    }
                    "string" => ::redis::cmd("GET").arg(&key).query(&mut c).unwrap(),
                    other => panic!("{key} is a {other}"),
                };
                all.push_str(&format!("{key} {shown}\n"));
            }
            all
        }),
        _cleanup: Box::new(service),
    })
}

/// The simulator on loopback with one rotating app installed (bot and user tokens).
struct World {
    sim: Sim,
    _server: Server,
    api: Api,
    installed: Installation,
    key: String,
    backend: Backend,
}

impl World {
    fn new(backend: Backend) -> World {
        let sim = Sim::new();
        sim.register_app(
            AppConfig::new(CLIENT_ID, CLIENT_SECRET)
                .redirect_uri("http://127.0.0.1/callback")
                .token_rotation(true)
                .bot_scopes("chat:write")
                .user_scopes("search:read"),
        );
        let server = Server::start(sim.clone()).unwrap();
        let api = Api::new()
            .with_base_url(&server.base_url())
            .unwrap()
            .with_credentials(ClientCredentials::new(CLIENT_ID, CLIENT_SECRET));
        let installed = install(&sim, &api);
        World {
            key: installed.key(),
            sim,
            _server: server,
            api,
            installed,
            backend,
        }
    }

    fn keeper<S: Store<Installation>>(
        &self,
        store: S,
    ) -> slack_oauth_ureq::Keeper<Installation, S> {
        let sim = self.sim.clone();
        slack_oauth_ureq::Keeper::new(slack_oauth_ureq::Client::new(self.api.clone()), store)
            .with_clock(move || sim.now())
    }

    fn refreshes(&self) -> u64 {
        self.sim.calls_with("oauth.v2.access", |args| {
            args.get("grant_type") == Some("refresh_token")
        })
    }

    /// Fails if the raw store holds a token, or anything starting like one.
    fn assert_dump_sealed(&self, step: &str, tokens: &[&str]) {
        let dump = (self.backend.dump)();
        assert!(!dump.is_empty(), "{step}: the dump is empty");
        assert!(
            !has_token_prefix(&dump),
            "{step}: a token prefix in the dump"
        );
        for token in tokens {
            assert!(!dump.contains(token), "{step}: a token in the dump");
        }
    }

    /// The record as the backend keeps it (sealed or not), and its version.
    fn stored(&self) -> (serde_json::Value, u64) {
        let record = self
            .backend
            .sealed("")
            .inner()
            .load(&self.key)
            .unwrap()
            .unwrap();
        (serde_json::to_value(&record.value).unwrap(), record.version)
    }
}

/// A fresh install of the app, done sans-IO against the simulator.
fn install(sim: &Sim, api: &Api) -> Installation {
    let url = AuthorizeUrl::new(CLIENT_ID)
        .bot_scopes(["chat:write"])
        .user_scopes(["search:read"])
        .build()
        .unwrap();
    let redirect = sim.approve(&url).unwrap();
    let query = redirect.split_once('?').unwrap().1;
    let code = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "code")
        .unwrap()
        .1
        .into_owned();
    let answer =
        parse::<Access, _>(&sim.handle(&api.request(&Access::code(code.as_str())).unwrap()))
            .unwrap()
            .value;
    Installation::from_access(answer, sim.now()).unwrap()
}

fn secrets(installation: &Installation) -> Vec<String> {
    let mut all = Vec::new();
    if let Some(bot) = &installation.bot {
        all.push(bot.token.expose().to_owned());
        all.extend(bot.refresh_token.as_ref().map(|t| t.expose().to_owned()));
    }
    for user in installation.user.iter() {
        all.push(user.token.expose().to_owned());
        all.extend(user.refresh_token.as_ref().map(|t| t.expose().to_owned()));
    }
    all
}

fn no_token_in_the_dump_after_install_refresh_and_rekey(backend: Backend) {
    let world = World::new(backend);
    let first = secrets(&world.installed);
    assert!(first.len() >= 3, "bot and user tokens, with refresh tokens");
    let store = world.backend.sealed(K1);
    store.put(&world.key, &world.installed).unwrap();
    let refs: Vec<&str> = first.iter().map(String::as_str).collect();
    world.assert_dump_sealed("install", &refs);

    world.sim.advance(DUE + 1);
    let keeper = world.keeper(world.backend.sealed(K1));
    let token = keeper.bot_token(&world.key).unwrap().into_exposed();
    assert!(!first.contains(&token), "the keeper refreshed");
    assert_eq!(world.sim.token_status(&token), TokenStatus::Active);
    let refreshed = secrets(&store.load(&world.key).unwrap().unwrap().value);
    let mut all = first.clone();
    all.extend(refreshed);
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    world.assert_dump_sealed("refresh", &refs);

    let rotated = world.backend.sealed(&format!("{K2},{K1}"));
    let counts = rotated.rekey("").unwrap();
    assert_eq!(
        (counts.records, counts.rewritten, counts.current),
        (1, 1, 0)
    );
    world.assert_dump_sealed("rekey", &refs);
    assert_eq!(world.stored().0["kid"], "k2");
    // The old key can go now.
    let only_new = world.backend.sealed(K2);
    let kept = only_new.load(&world.key).unwrap().unwrap().value;
    assert_eq!(kept.bot.unwrap().token.expose(), token);
    assert_eq!(only_new.rekey("").unwrap().current, 1);
}

fn swapped_and_altered_values_do_not_open(backend: Backend) {
    let world = World::new(backend);
    let store = world.backend.sealed(K1);
    store.put("team-A", &world.installed).unwrap();
    store.put("team-B", &world.installed).unwrap();

    // Team A's sealed value copied under team B, as a database user could.
    let a = store.inner().load("team-A").unwrap().unwrap();
    store.inner().put("team-B", &a.value).unwrap();
    let e = store.load("team-B").unwrap_err();
    assert_eq!(
        e,
        Error::Tampered {
            key: "team-B".into()
        }
    );
    assert!(e.to_string().contains("team-B"), "{e}");
    // Team A still opens.
    assert!(store.load("team-A").unwrap().is_some());

    // One bit of team A's ciphertext flipped, then one of its nonce.
    for field in ["data", "nonce"] {
        let mut value = serde_json::to_value(&a.value).unwrap();
        let text = value[field].as_str().unwrap();
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap();
        bytes[3] ^= 0x10;
        value[field] = base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .into();
        let altered: Stored<Installation> = serde_json::from_value(value).unwrap();
        store.inner().put("team-A", &altered).unwrap();
        let e = store.load("team-A").unwrap_err();
        assert_eq!(
            e,
            Error::Tampered {
                key: "team-A".into()
            },
            "{field}"
        );
    }

    // Rekeying refuses too, and writes nothing.
    let before = (world.backend.dump)();
    let e = world
        .backend
        .sealed(&format!("{K2},{K1}"))
        .rekey("")
        .unwrap_err();
    assert!(matches!(e, Error::Tampered { .. }), "{e:?}");
    assert_eq!((world.backend.dump)(), before);
}

fn a_missing_key_changes_nothing(backend: Backend) {
    let world = World::new(backend);
    world
        .backend
        .sealed(K1)
        .put(&world.key, &world.installed)
        .unwrap();
    let before = world.stored();
    let refreshes = world.refreshes();
    world.sim.advance(DUE + 1);

    // Deployed with the wrong ring, or with none: the keeper reports the store error and
    // neither refreshes, nor overwrites, nor calls for a reinstall.
    for ring in [K2, ""] {
        let keeper = world.keeper(world.backend.sealed(ring));
        let e = keeper.bot_token(&world.key).unwrap_err();
        assert!(matches!(e, KeeperError::Store(_)), "{e:?}");
        assert!(e.to_string().contains("`k1`"), "{e}");
        assert!(!e.needs_reinstall(), "{e:?}");
        assert_eq!(world.refreshes(), refreshes, "no refresh was made");
        assert_eq!(world.stored(), before, "nothing was written");
    }
    // A store that knows nothing of sealing says the same.
    let e = world.backend.plain().load(&world.key).unwrap_err();
    assert_eq!(
        e,
        Error::KeyMissing {
            key: world.key.clone(),
            key_id: "k1".into()
        }
    );
    // Rekey too.
    let e = world.backend.sealed(K2).rekey("").unwrap_err();
    assert!(
        matches!(e, Error::KeyMissing { ref key_id, .. } if key_id == "k1"),
        "{e:?}"
    );
    assert_eq!(world.stored(), before);
    // With the key back, all is there.
    let keeper = world.keeper(world.backend.sealed(&format!("{K2},{K1}")));
    assert!(keeper.bot_token(&world.key).is_ok());
    assert_eq!(world.refreshes(), refreshes + 1);
    assert_eq!(world.stored().0["kid"], "k2");
}

fn records_in_clear_are_read_then_sealed(backend: Backend) {
    let world = World::new(backend);
    world
        .backend
        .plain()
        .put(&world.key, &world.installed)
        .unwrap();
    world
        .backend
        .plain()
        .put("other", &world.installed)
        .unwrap();
    assert!((world.backend.dump)().contains("xox"), "written in clear");

    let store = world.backend.sealed(K1);
    assert_eq!(
        store.load(&world.key).unwrap().unwrap().value,
        world.installed
    );
    // A keeper's refresh writes it sealed.
    world.sim.advance(DUE + 1);
    let token = world
        .keeper(world.backend.sealed(K1))
        .bot_token(&world.key)
        .unwrap();
    assert_eq!(world.stored().0["kid"], "k1");
    assert_eq!(
        store
            .load(&world.key)
            .unwrap()
            .unwrap()
            .value
            .bot
            .unwrap()
            .token,
        token
    );
    // Rekey seals the one nobody wrote since.
    let counts = store.rekey("").unwrap();
    assert_eq!(
        (counts.records, counts.rewritten, counts.current),
        (2, 1, 1)
    );
    // SQLite keeps overwritten pages until a VACUUM (docs/tokens-at-rest.md says so).
    (world.backend.compact)(&world.backend.url);
    let all: Vec<&str> = vec![];
    world.assert_dump_sealed("rekey", &all);
}

fn rekey_while_a_keeper_refreshes(backend: Backend) {
    let world = World::new(backend);
    world
        .backend
        .sealed(K1)
        .put(&world.key, &world.installed)
        .unwrap();
    let refreshes = world.refreshes();
    const ROUNDS: u64 = 12;
    let done = AtomicBool::new(false);
    let mut rekeyed = 0;
    let tokens = std::thread::scope(|s| {
        // Mid-rotation: this keeper still seals with k1, the rekey with k2, so they race.
        let keeper = s.spawn(|| {
            let keeper = world.keeper(world.backend.sealed(&format!("{K1},{K2}")));
            let mut tokens = Vec::new();
            for _ in 0..ROUNDS {
                world.sim.advance(DUE + 1);
                tokens.push(keeper.bot_token(&world.key).unwrap().into_exposed());
            }
            done.store(true, Ordering::SeqCst);
            tokens
        });
        let rotated = world.backend.sealed(&format!("{K2},{K1}"));
        while !done.load(Ordering::SeqCst) {
            rekeyed += rotated.rekey("").unwrap().rewritten;
        }
        keeper.join().unwrap()
    });
    assert!(
        rekeyed > 0,
        "the rekey rewrote records while the keeper ran"
    );
    assert_eq!(
        world.refreshes() - refreshes,
        ROUNDS,
        "one refresh per round"
    );
    let distinct: std::collections::HashSet<&String> = tokens.iter().collect();
    assert_eq!(distinct.len(), tokens.len(), "every round got a new token");
    let last = tokens.last().unwrap();
    assert_eq!(world.sim.token_status(last), TokenStatus::Active);

    // A last rekey, and the old key goes: the last refresh is what is stored.
    world
        .backend
        .sealed(&format!("{K2},{K1}"))
        .rekey("")
        .unwrap();
    let only_new = world.keeper(world.backend.sealed(K2));
    assert_eq!(
        &only_new.bot_token(&world.key).unwrap().into_exposed(),
        last
    );
    assert_eq!(
        world.refreshes() - refreshes,
        ROUNDS,
        "a fresh token, no refresh"
    );
}

fn the_async_store_seals_the_same_way(backend: Backend) {
    let world = World::new(backend);
    let options = Options::new().namespace(&world.backend.namespace);
    let open = |ring: &str| {
        let ring = (!ring.is_empty()).then(|| Keyring::parse(ring).unwrap());
        common::rt()
            .block_on(AsyncAnyStore::<Installation>::open_with(
                &world.backend.url,
                &options,
            ))
            .unwrap()
            .sealed(ring)
    };
    let sealed = open(K1);
    let rt = common::rt();
    rt.block_on(AsyncStore::put(&sealed, &world.key, &world.installed))
        .unwrap();
    let secrets = secrets(&world.installed);
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    world.assert_dump_sealed("async put", &refs);
    // The blocking store opens what the async one sealed, and back.
    let blocking = world.backend.sealed(K1);
    assert_eq!(
        blocking.load(&world.key).unwrap().unwrap().value,
        world.installed
    );
    blocking.put("other", &world.installed).unwrap();
    let loaded = rt.block_on(AsyncStore::load(&sealed, "other")).unwrap();
    assert_eq!(loaded.unwrap().value, world.installed);
    // Moved, and missing keys.
    let moved = blocking.inner().load(&world.key).unwrap().unwrap().value;
    blocking.inner().put("other", &moved).unwrap();
    let e = rt.block_on(AsyncStore::load(&sealed, "other")).unwrap_err();
    assert_eq!(
        e,
        Error::Tampered {
            key: "other".into()
        }
    );
    for ring in [K2, ""] {
        let e = rt
            .block_on(AsyncStore::load(&open(ring), &world.key))
            .unwrap_err();
        assert!(
            matches!(e, Error::KeyMissing { ref key_id, .. } if key_id == "k1"),
            "{e:?}"
        );
    }
}

macro_rules! sealed_suite {
    ($module:ident, $backend:expr) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn no_token_in_the_dump_after_install_refresh_and_rekey() {
                if let Some(backend) = $backend {
                    super::no_token_in_the_dump_after_install_refresh_and_rekey(backend);
                }
            }

            #[test]
            fn swapped_and_altered_values_do_not_open() {
                if let Some(backend) = $backend {
                    super::swapped_and_altered_values_do_not_open(backend);
                }
            }

            #[test]
            fn a_missing_key_changes_nothing() {
                if let Some(backend) = $backend {
                    super::a_missing_key_changes_nothing(backend);
                }
            }

            #[test]
            fn records_in_clear_are_read_then_sealed() {
                if let Some(backend) = $backend {
                    super::records_in_clear_are_read_then_sealed(backend);
                }
            }

            #[test]
            fn the_async_store_seals_the_same_way() {
                if let Some(backend) = $backend {
                    super::the_async_store_seals_the_same_way(backend);
                }
            }

            #[test]
            fn rekey_while_a_keeper_refreshes() {
                if let Some(backend) = $backend {
                    super::rekey_while_a_keeper_refreshes(backend);
                }
            }
        }
    };
}

#[cfg(feature = "sqlite")]
sealed_suite!(sqlite, sqlite());
#[cfg(feature = "postgres")]
sealed_suite!(postgres, postgres());
#[cfg(feature = "redis")]
sealed_suite!(redis, redis());

/// Whether `dump` holds the start of a Slack token: `xox`, lowercase letters, then `-` or `.`
/// (`xoxb-`, `xoxp-`, `xoxe-`, `xoxe.xoxb-`). A bare `xox` is not enough: sealed values are
/// standard base64, which spells it by chance now and then, but never `-` or `.`.
fn has_token_prefix(dump: &str) -> bool {
    dump.match_indices("xox").any(|(at, _)| {
        let rest = dump[at + 3..].trim_start_matches(|c: char| c.is_ascii_lowercase());
        rest.starts_with(['-', '.'])
    })
}

#[test]
fn a_token_prefix_is_told_from_base64_that_spells_xox() {
    assert!(has_token_prefix(r#"{"bot":"xoxe.xoxb-1-abc"}"#));
    assert!(has_token_prefix("xoxe-1-R"));
    assert!(has_token_prefix("..xoxp-1"));
    assert!(!has_token_prefix(r#"{"data":"q9xoxA+/b3xoxZ=="}"#));
    assert!(!has_token_prefix("xox"));
}
