//! One conformance suite for every store, written once against [`Conn`] and run against
//! `MemoryStore`, SQLite, PostgreSQL, MySQL (MariaDB) and Redis, each through its blocking and its async
//! store, on real servers (skipped loudly when they do not answer; CI requires them).

// Without a backend feature only MemoryStore runs: the durable-only parts are unused.
#![cfg_attr(
    not(any(
        feature = "sqlite",
        feature = "postgres",
        feature = "mysql",
        feature = "redis"
    )),
    allow(dead_code)
)]

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use slack_oauth_core::{
    store::{Lease, Record, Swap},
    AsyncStore, MemoryStore, Store,
};
use slack_oauth_store::Error;

use common::rt;

type V = String;
type DynError = Box<dyn std::error::Error + Send + Sync>;

/// One connection to a store under test, blocking or async, seen as blocking calls.
trait Conn: Send + Sync {
    fn load(&self, key: &str) -> Result<Option<Record<V>>, DynError>;
    fn cas(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &str,
        lease: Option<&Lease>,
    ) -> Result<Swap, DynError>;
    fn delete(&self, key: &str) -> Result<bool, DynError>;
    fn put(&self, key: &str, value: &str) -> Result<u64, DynError>;
    fn keys(&self, prefix: &str) -> Result<Vec<String>, DynError>;
    /// `n` swaps of `key` from `expected`, racing (threads or tasks released together);
    /// racer `i` writes `racer {i}`.
    fn race(&self, key: &str, expected: Option<u64>, n: usize) -> Vec<Swap>;
}

struct Blocking<S>(Arc<S>);

impl<S> Conn for Blocking<S>
where
    S: Store<V> + Send + Sync + 'static,
{
    fn load(&self, key: &str) -> Result<Option<Record<V>>, DynError> {
        Ok(Store::load(&*self.0, key)?)
    }
    fn cas(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &str,
        lease: Option<&Lease>,
    ) -> Result<Swap, DynError> {
        Ok(Store::compare_and_swap(
            &*self.0,
            key,
            expected,
            &value.to_owned(),
            lease,
        )?)
    }
    fn delete(&self, key: &str) -> Result<bool, DynError> {
        Ok(Store::delete(&*self.0, key)?)
    }
    fn put(&self, key: &str, value: &str) -> Result<u64, DynError> {
        Ok(Store::put(&*self.0, key, &value.to_owned())?)
    }
    fn keys(&self, prefix: &str) -> Result<Vec<String>, DynError> {
        Ok(Store::keys(&*self.0, prefix)?)
    }
    fn race(&self, key: &str, expected: Option<u64>, n: usize) -> Vec<Swap> {
        let start = Barrier::new(n);
        std::thread::scope(|s| {
            let threads: Vec<_> = (0..n)
                .map(|i| {
                    let (store, start) = (&self.0, &start);
                    s.spawn(move || {
                        start.wait();
                        Store::compare_and_swap(
                            &**store,
                            key,
                            expected,
                            &format!("racer {i}"),
                            None,
                        )
                        .unwrap()
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        })
    }
}

struct Async<S>(Arc<S>);

impl<S> Conn for Async<S>
where
    S: AsyncStore<V> + Send + Sync + 'static,
{
    fn load(&self, key: &str) -> Result<Option<Record<V>>, DynError> {
        Ok(rt().block_on(AsyncStore::load(&*self.0, key))?)
    }
    fn cas(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &str,
        lease: Option<&Lease>,
    ) -> Result<Swap, DynError> {
        Ok(rt().block_on(AsyncStore::compare_and_swap(
            &*self.0,
            key,
            expected,
            &value.to_owned(),
            lease,
        ))?)
    }
    fn delete(&self, key: &str) -> Result<bool, DynError> {
        Ok(rt().block_on(AsyncStore::delete(&*self.0, key))?)
    }
    fn put(&self, key: &str, value: &str) -> Result<u64, DynError> {
        Ok(rt().block_on(AsyncStore::put(&*self.0, key, &value.to_owned()))?)
    }
    fn keys(&self, prefix: &str) -> Result<Vec<String>, DynError> {
        Ok(rt().block_on(AsyncStore::keys(&*self.0, prefix))?)
    }
    fn race(&self, key: &str, expected: Option<u64>, n: usize) -> Vec<Swap> {
        let start = Arc::new(tokio::sync::Barrier::new(n));
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let (store, start, key) = (Arc::clone(&self.0), Arc::clone(&start), key.to_owned());
                rt().spawn(async move {
                    start.wait().await;
                    AsyncStore::compare_and_swap(
                        &*store,
                        &key,
                        expected,
                        &format!("racer {i}"),
                        None,
                    )
                    .await
                    .unwrap()
                })
            })
            .collect();
        rt().block_on(async {
            let mut swaps = Vec::new();
            for task in tasks {
                swaps.push(task.await.unwrap());
            }
            swaps
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Blocking,
    Async,
}

type KeyHook = Box<dyn Fn(&str)>;
type WriteHook = Box<dyn Fn(&str, &str)>;
type OpenHook = Box<dyn Fn() -> Vec<Result<(), Error>>>;
type StuckHook = Box<dyn Fn() -> (Box<dyn std::any::Any>, Arc<dyn Conn>)>;

/// A store under test: new connections to one fresh namespace, and what only a durable
/// backend can do.
struct Fixture {
    connect: Box<dyn Fn() -> Arc<dyn Conn>>,
    /// Starts writing garbage over `key` in a transaction, then drops the connection
    /// before it commits.
    crash_mid_write: Option<KeyHook>,
    /// Stores `text` as the value of `key`, behind the store's back.
    write_raw: Option<WriteHook>,
    /// Opens the backend where nothing answers (a closed port, a server that accepts and
    /// stays silent, a path that cannot be a file), with a 1-second timeout, and loads.
    unreachable: Option<OpenHook>,
    /// Another session holding the lock a write of `k` needs (kept until the guard is
    /// dropped), and a connection with a 1-second timeout. `None`: the backend has no
    /// lock another client can hold (Redis runs each script alone).
    stuck: Option<StuckHook>,
    /// Dropped at the end: removes the namespace.
    _cleanup: Box<dyn std::any::Any>,
}

impl Fixture {
    fn conn(&self) -> Arc<dyn Conn> {
        (self.connect)()
    }
}

fn stored(swap: Swap) -> u64 {
    match swap {
        Swap::Stored { version } => version,
        Swap::Conflict => panic!("unexpected conflict"),
    }
}

const TIMEOUT: Duration = Duration::from_secs(1);

fn options(namespace: &str) -> slack_oauth_store::Options {
    slack_oauth_store::Options::new()
        .namespace(namespace)
        .timeout(Duration::from_secs(10))
}

// ---- the suite ----

fn versions_never_repeat(f: &Fixture) {
    let s = f.conn();
    let mut seen = HashSet::new();
    let mut remember = |v: u64| assert!(seen.insert(v), "version {v} handed out twice");
    let v1 = stored(s.cas("k", None, "a", None).unwrap());
    remember(v1);
    let v2 = stored(s.cas("k", Some(v1), "b", None).unwrap());
    remember(v2);
    remember(s.put("k", "c").unwrap());
    remember(s.put("other", "x").unwrap());
    let mut old = vec![v1, v2];
    // Delete and re-create, on this connection and others: a writer still holding any
    // earlier version must lose.
    for round in 0..4 {
        let c = if round % 2 == 0 { f.conn() } else { s.clone() };
        assert!(c.delete("k").unwrap());
        assert!(!c.delete("k").unwrap(), "nothing left to delete");
        assert!(c.load("k").unwrap().is_none());
        let v = stored(c.cas("k", None, &format!("round {round}"), None).unwrap());
        remember(v);
        for &stale in &old {
            assert_eq!(
                c.cas("k", Some(stale), "stale", None).unwrap(),
                Swap::Conflict
            );
        }
        old.push(v);
    }
    let last = f.conn().load("k").unwrap().unwrap();
    assert_eq!(last.value, "round 3");
    assert_eq!(last.version, *old.last().unwrap());
}

fn stale_swap_fails(f: &Fixture) {
    let (a, b) = (f.conn(), f.conn());
    let v1 = a.put("k", "first").unwrap();
    let v2 = stored(a.cas("k", Some(v1), "from a", None).unwrap());
    assert_eq!(
        b.cas("k", Some(v1), "from b", None).unwrap(),
        Swap::Conflict
    );
    let record = b.load("k").unwrap().unwrap();
    assert_eq!((record.value.as_str(), record.version), ("from a", v2));
    // Creating what exists, and swapping what does not exist, both fail.
    assert_eq!(b.cas("k", None, "again", None).unwrap(), Swap::Conflict);
    assert_eq!(
        b.cas("absent", Some(v2), "x", None).unwrap(),
        Swap::Conflict
    );
    assert!(a.load("absent").unwrap().is_none());
}

fn one_of_32_swaps_wins(f: &Fixture) {
    let s = f.conn();
    // Racing to create, then racing to update one version.
    let created = s.race("k", None, 32);
    let winners: Vec<usize> = (0..32).filter(|&i| created[i] != Swap::Conflict).collect();
    assert_eq!(winners.len(), 1, "{created:?}");
    let record = f.conn().load("k").unwrap().unwrap();
    assert_eq!(record.value, format!("racer {}", winners[0]));
    assert_eq!(
        created[winners[0]],
        Swap::Stored {
            version: record.version
        }
    );

    let swaps = s.race("k", Some(record.version), 32);
    let winners: Vec<usize> = (0..32).filter(|&i| swaps[i] != Swap::Conflict).collect();
    assert_eq!(winners.len(), 1, "{swaps:?}");
    let after = f.conn().load("k").unwrap().unwrap();
    assert_eq!(after.value, format!("racer {}", winners[0]));
    assert_eq!(
        swaps[winners[0]],
        Swap::Stored {
            version: after.version
        }
    );
}

fn lease_is_visible_to_other_connections(f: &Fixture) {
    let (a, b) = (f.conn(), f.conn());
    let v1 = a.put("k", "value").unwrap();
    let lease = Lease {
        holder: "pid 42 keeper 7".into(),
        expires_at: 1_700_000_120,
    };
    let v2 = stored(a.cas("k", Some(v1), "value", Some(&lease)).unwrap());
    let seen = b.load("k").unwrap().unwrap();
    assert_eq!(seen.lease.as_ref(), Some(&lease));
    assert_eq!((seen.version, seen.value.as_str()), (v2, "value"));
    // Another connection's takeover of the lease is seen too, and a leaseless write
    // clears it.
    let other = Lease {
        holder: "pid 43 keeper 0".into(),
        expires_at: 1_700_000_240,
    };
    let v3 = stored(b.cas("k", Some(v2), "value", Some(&other)).unwrap());
    assert_eq!(a.load("k").unwrap().unwrap().lease, Some(other));
    let v4 = stored(a.cas("k", Some(v3), "refreshed", None).unwrap());
    let cleared = b.load("k").unwrap().unwrap();
    assert_eq!((cleared.lease, cleared.version), (None, v4));
    // `put` (a reinstall) drops a lease as well.
    stored(b.cas("k", Some(v4), "refreshed", Some(&lease)).unwrap());
    a.put("k", "reinstalled").unwrap();
    assert_eq!(b.load("k").unwrap().unwrap().lease, None);
}

fn dropped_connection_mid_write_leaves_the_old_record(f: &Fixture) {
    let crash = f.crash_mid_write.as_ref().unwrap();
    let s = f.conn();
    s.put("k", "the old record, whole").unwrap();
    let before = s.load("k").unwrap().unwrap();
    crash("k");
    let after = f.conn().load("k").unwrap().unwrap();
    assert_eq!(after, before);
    // Nothing was left locked: the next write goes through at once.
    let v = stored(s.cas("k", Some(before.version), "next", None).unwrap());
    assert_eq!(f.conn().load("k").unwrap().unwrap().version, v);
}

fn unicode_and_64_kib_values_round_trip(f: &Fixture) {
    let (a, b) = (f.conn(), f.conn());
    let values = [
        "Zoë's 🦀 workspace — 東京 \"quoted\" \\ back\nslash\t\u{0}nul".to_owned(),
        format!("{}é", "x".repeat(64 * 1024)),
        String::new(),
    ];
    for (i, value) in values.iter().enumerate() {
        let key = format!("T:ü:{{brace}}:{i}");
        let v = a.put(&key, value).unwrap();
        let record = b.load(&key).unwrap().unwrap();
        assert_eq!(&record.value, value);
        assert_eq!(record.version, v);
        let v2 = stored(b.cas(&key, Some(v), &value.repeat(2), None).unwrap());
        assert_eq!(a.load(&key).unwrap().unwrap().version, v2);
        assert_eq!(a.load(&key).unwrap().unwrap().value, value.repeat(2));
    }
}

fn keys_lists_exactly_a_prefix_in_order(f: &Fixture) {
    let (a, b) = (f.conn(), f.conn());
    // Characters a SQL LIKE or a Redis glob would take as wildcards, and case twins.
    let keys = [
        "A1//T1/bot",
        "A1//T1/user/U1",
        "A1//T10/bot",
        "a1//T1/bot",
        "A%//T1/bot",
        "A_//T1/bot",
        "A*//T1/bot",
        "A?//T1/bot",
        "A[1]//T1/bot",
        "A\\//T1/bot",
        "A^-//T1/bot",
        "Zoë/東京/bot",
    ];
    for key in keys {
        a.put(key, "v").unwrap();
    }
    let mut all: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    all.sort_unstable();
    assert_eq!(b.keys("").unwrap(), all);
    assert_eq!(b.keys("A1//T1/").unwrap(), ["A1//T1/bot", "A1//T1/user/U1"]);
    for special in ["A%", "A_", "A*", "A?", "A[1]", "A\\", "A^-", "a1"] {
        assert_eq!(
            b.keys(special).unwrap(),
            [format!("{special}//T1/bot")],
            "{special}"
        );
    }
    assert_eq!(b.keys("Zoë/").unwrap(), ["Zoë/東京/bot"]);
    assert!(b.keys("B").unwrap().is_empty());
    assert!(a.delete("A1//T1/bot").unwrap());
    assert_eq!(b.keys("A1//T1/").unwrap(), ["A1//T1/user/U1"]);
}

fn corrupt_value_is_a_typed_error(f: &Fixture) {
    let write_raw = f.write_raw.as_ref().unwrap();
    let s = f.conn();
    write_raw("k", r#"{"token": "xoxe.xoxb-1-SECRET"#);
    let e = s.load("k").unwrap_err();
    let e = e.downcast_ref::<Error>().expect("a store error");
    assert!(
        matches!(e, Error::Corrupt { key, .. } if key == "k"),
        "{e:?}"
    );
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("SECRET"), "the stored text leaked: {shown}");
    // A new install overwrites it without reading it.
    s.put("k", "fixed").unwrap();
    assert_eq!(s.load("k").unwrap().unwrap().value, "fixed");
}

fn unreachable_store_is_a_typed_error(f: &Fixture) {
    let unreachable = f.unreachable.as_ref().unwrap();
    let started = Instant::now();
    let results = unreachable();
    // A bound on hanging, far above the 1-second timeout: not a performance check.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert!(!results.is_empty());
    for result in results {
        let e = result.unwrap_err();
        assert!(e.is_unavailable(), "{e:?}");
        let shown = e.to_string();
        assert!(
            shown.contains("cannot be reached") || shown.contains("did not answer"),
            "{shown}"
        );
    }
}

fn write_behind_a_held_lock_times_out(f: &Fixture) {
    let stuck = f.stuck.as_ref().unwrap();
    f.conn().put("k", "before").unwrap();
    let version = f.conn().load("k").unwrap().unwrap().version;
    let (guard, conn) = stuck();
    let started = Instant::now();
    let e = conn.cas("k", Some(version), "after", None).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let e = e.downcast_ref::<Error>().expect("a store error");
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    drop(guard);
    // Nothing changed, and the store works again once the lock is gone.
    assert_eq!(f.conn().load("k").unwrap().unwrap().version, version);
    stored(conn.cas("k", Some(version), "after", None).unwrap());
}

// ---- the fixtures ----

fn memory(mode: Mode) -> Option<Fixture> {
    let store = Arc::new(MemoryStore::<V>::new());
    Some(Fixture {
        connect: Box::new(move || match mode {
            Mode::Blocking => Arc::new(Blocking(Arc::clone(&store))) as Arc<dyn Conn>,
            Mode::Async => Arc::new(Async(Arc::clone(&store))),
        }),
        crash_mid_write: None,
        write_raw: None,
        unreachable: None,
        stuck: None,
        _cleanup: Box::new(()),
    })
}

#[cfg(feature = "sqlite")]
fn sqlite(mode: Mode) -> Option<Fixture> {
    use slack_oauth_store::{AsyncSqliteStore, SqliteStore};
    let dir = common::TempDir::new();
    let path = dir.0.join("tokens.db");
    let open_path = path.clone();
    let connect = move || -> Arc<dyn Conn> {
        let options = options("records");
        match mode {
            Mode::Blocking => Arc::new(Blocking(Arc::new(
                SqliteStore::open_with(&open_path, &options).unwrap(),
            ))),
            Mode::Async => Arc::new(Async(Arc::new(
                rt().block_on(AsyncSqliteStore::open_with(&open_path, &options))
                    .unwrap(),
            ))),
        }
    };
    let raw = {
        let path = path.clone();
        move || rusqlite::Connection::open(&path).unwrap()
    };
    let (raw2, raw3) = (raw.clone(), raw.clone());
    let stuck_path = path.clone();
    let file = dir.0.join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    Some(Fixture {
        connect: Box::new(connect),
        crash_mid_write: Some(Box::new(move |key| {
            let conn = raw();
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            conn.execute(
                "UPDATE records SET value = '{\"half', version = version + 1000 WHERE key = ?1",
                [key],
            )
            .unwrap();
            // Gone before COMMIT, like a process killed mid-write.
            drop(conn);
        })),
        write_raw: Some(Box::new(move |key, text| {
            raw2()
                .execute(
                    "INSERT INTO records (key, version, value) VALUES (?1, 999999, ?2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [key, text],
                )
                .unwrap();
        })),
        unreachable: Some(Box::new(move || {
            let path = file.join("tokens.db");
            let options = slack_oauth_store::Options::new().timeout(TIMEOUT);
            vec![
                SqliteStore::<V>::open_with(&path, &options).map(drop),
                rt().block_on(AsyncSqliteStore::<V>::open_with(&path, &options))
                    .map(drop),
            ]
        })),
        stuck: Some(Box::new(move || {
            let options = options("records").timeout(TIMEOUT);
            let conn: Arc<dyn Conn> = match mode {
                Mode::Blocking => Arc::new(Blocking(Arc::new(
                    SqliteStore::open_with(&stuck_path, &options).unwrap(),
                ))),
                Mode::Async => Arc::new(Async(Arc::new(
                    rt().block_on(AsyncSqliteStore::open_with(&stuck_path, &options))
                        .unwrap(),
                ))),
            };
            let holder = raw3();
            holder.execute_batch("BEGIN IMMEDIATE").unwrap();
            (Box::new(holder) as Box<dyn std::any::Any>, conn)
        })),
        _cleanup: Box::new(dir),
    })
}

#[cfg(feature = "postgres")]
fn postgres(mode: Mode) -> Option<Fixture> {
    postgres_at(common::Postgres::new()?, mode)
}

#[cfg(feature = "postgres")]
fn postgres_at(pg: common::Postgres, mode: Mode) -> Option<Fixture> {
    use slack_oauth_store::{AsyncPostgresStore, PostgresStore};
    let (url, table) = (pg.url.clone(), pg.table.clone());
    let connect = move || -> Arc<dyn Conn> {
        let options = options(&table);
        match mode {
            Mode::Blocking => Arc::new(Blocking(Arc::new(
                PostgresStore::open_with(&url, &options).unwrap(),
            ))),
            Mode::Async => Arc::new(Async(Arc::new(
                rt().block_on(AsyncPostgresStore::open_with(&url, &options))
                    .unwrap(),
            ))),
        }
    };
    let (url1, table1) = (pg.url.clone(), pg.table.clone());
    let (url2, table2) = (pg.url.clone(), pg.table.clone());
    let (url3, table3) = (pg.url.clone(), pg.table.clone());
    Some(Fixture {
        connect: Box::new(connect),
        crash_mid_write: Some(Box::new(move |key| {
            let mut client = common::Postgres::client(&url1).unwrap();
            client.batch_execute("BEGIN").unwrap();
            client
                .execute(
                    &format!(
                        "UPDATE {table1} SET value = '{{\"half', version = version + 1000 WHERE key = $1"
                    ),
                    &[&key],
                )
                .unwrap();
            drop(client);
        })),
        write_raw: Some(Box::new(move |key, text| {
            common::Postgres::client(&url2)
                .unwrap()
                .execute(
                    &format!(
                        "INSERT INTO {table2} (key, version, value) VALUES ($1, 999999, $2) \
                         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
                    ),
                    &[&key, &text],
                )
                .unwrap();
        })),
        unreachable: Some(Box::new(|| {
            let (_silent, addr) = common::silent_server();
            let options = slack_oauth_store::Options::new().timeout(TIMEOUT);
            let mut results = Vec::new();
            for url in [
                format!(
                    "postgres://postgres@127.0.0.1:{}/test",
                    common::closed_port()
                ),
                format!("postgres://postgres@{addr}/test"),
            ] {
                results.push(PostgresStore::<V>::open_with(&url, &options).map(drop));
                results.push(
                    rt().block_on(AsyncPostgresStore::<V>::open_with(&url, &options))
                        .map(drop),
                );
            }
            results
        })),
        stuck: Some(Box::new(move || {
            let options = options(&table3).timeout(TIMEOUT);
            let conn: Arc<dyn Conn> = match mode {
                Mode::Blocking => Arc::new(Blocking(Arc::new(
                    PostgresStore::open_with(&url3, &options).unwrap(),
                ))),
                Mode::Async => Arc::new(Async(Arc::new(
                    rt().block_on(AsyncPostgresStore::open_with(&url3, &options))
                        .unwrap(),
                ))),
            };
            let mut holder = common::Postgres::client(&url3).unwrap();
            holder
                .batch_execute(&format!(
                    "BEGIN; SELECT * FROM {table3} WHERE key = 'k' FOR UPDATE"
                ))
                .unwrap();
            (Box::new(holder) as Box<dyn std::any::Any>, conn)
        })),
        _cleanup: Box::new(pg),
    })
}

#[cfg(feature = "mysql")]
fn mysql(mode: Mode) -> Option<Fixture> {
    mysql_at(common::MySql::new()?, mode)
}

#[cfg(feature = "mysql")]
fn mysql_at(my: common::MySql, mode: Mode) -> Option<Fixture> {
    use common::MySql;
    use slack_oauth_store::{AsyncMySqlStore, MySqlStore};
    let (url, table) = (my.url.clone(), my.table.clone());
    let connect = move || -> Arc<dyn Conn> {
        let options = options(&table);
        match mode {
            Mode::Blocking => Arc::new(Blocking(Arc::new(
                MySqlStore::open_with(&url, &options).unwrap(),
            ))),
            Mode::Async => Arc::new(Async(Arc::new(
                rt().block_on(AsyncMySqlStore::open_with(&url, &options))
                    .unwrap(),
            ))),
        }
    };
    let (url1, table1) = (my.url.clone(), my.table.clone());
    let (url2, table2) = (my.url.clone(), my.table.clone());
    let (url3, table3) = (my.url.clone(), my.table.clone());
    Some(Fixture {
        connect: Box::new(connect),
        crash_mid_write: Some(Box::new(move |key| {
            let mut conn = MySql::client(&url1).unwrap();
            MySql::exec(&mut conn, "START TRANSACTION", ());
            MySql::exec(
                &mut conn,
                &format!(
                    "UPDATE `{table1}` SET value = '{{\"half', version = version + 1000 \
                     WHERE `key` = ?"
                ),
                (key,),
            );
            // Gone before COMMIT, like a process killed mid-write.
            drop(conn);
        })),
        write_raw: Some(Box::new(move |key, text| {
            let mut conn = MySql::client(&url2).unwrap();
            MySql::exec(
                &mut conn,
                &format!(
                    "INSERT INTO `{table2}` (`key`, version, value) VALUES (?, 999999, ?) \
                     ON DUPLICATE KEY UPDATE value = VALUES(value)"
                ),
                (key, text),
            );
        })),
        unreachable: Some(Box::new(|| {
            let (_silent, addr) = common::silent_server();
            let options = slack_oauth_store::Options::new().timeout(TIMEOUT);
            let mut results = Vec::new();
            for url in [
                format!("mysql://root@127.0.0.1:{}/test", common::closed_port()),
                format!("mysql://root@{addr}/test"),
            ] {
                results.push(MySqlStore::<V>::open_with(&url, &options).map(drop));
                results.push(
                    rt().block_on(AsyncMySqlStore::<V>::open_with(&url, &options))
                        .map(drop),
                );
            }
            results
        })),
        stuck: Some(Box::new(move || {
            let options = options(&table3).timeout(TIMEOUT);
            let conn: Arc<dyn Conn> = match mode {
                Mode::Blocking => Arc::new(Blocking(Arc::new(
                    MySqlStore::open_with(&url3, &options).unwrap(),
                ))),
                Mode::Async => Arc::new(Async(Arc::new(
                    rt().block_on(AsyncMySqlStore::open_with(&url3, &options))
                        .unwrap(),
                ))),
            };
            let mut holder = MySql::client(&url3).unwrap();
            MySql::exec(&mut holder, "START TRANSACTION", ());
            MySql::exec(
                &mut holder,
                &format!("SELECT * FROM `{table3}` WHERE `key` = 'k' FOR UPDATE"),
                (),
            );
            (Box::new(holder) as Box<dyn std::any::Any>, conn)
        })),
        _cleanup: Box::new(my),
    })
}

#[cfg(feature = "redis")]
fn redis(mode: Mode) -> Option<Fixture> {
    redis_at(common::Redis::new()?, mode)
}

#[cfg(feature = "redis")]
fn redis_at(service: common::Redis, mode: Mode) -> Option<Fixture> {
    use slack_oauth_store::{AsyncRedisStore, RedisStore};
    let service = Arc::new(service);
    let s = Arc::clone(&service);
    let connect = move || -> Arc<dyn Conn> {
        let options = options(&s.prefix);
        match mode {
            Mode::Blocking => Arc::new(Blocking(Arc::new(
                RedisStore::open_with(&s.url, &options).unwrap(),
            ))),
            Mode::Async => Arc::new(Async(Arc::new(
                rt().block_on(AsyncRedisStore::open_with(&s.url, &options))
                    .unwrap(),
            ))),
        }
    };
    let (s1, s2) = (Arc::clone(&service), Arc::clone(&service));
    Some(Fixture {
        connect: Box::new(connect),
        crash_mid_write: Some(Box::new(move |key| {
            let mut c = common::Redis::client(&s1.url).unwrap();
            redis::cmd("MULTI").query::<()>(&mut c).unwrap();
            redis::cmd("HSET")
                .arg(s1.record_key(key))
                .arg("value")
                .arg("{\"half")
                .query::<()>(&mut c)
                .unwrap();
            // Gone before EXEC.
            drop(c);
        })),
        write_raw: Some(Box::new(move |key, text| {
            let mut c = common::Redis::client(&s2.url).unwrap();
            redis::cmd("HSET")
                .arg(s2.record_key(key))
                .arg("version")
                .arg(999_999)
                .arg("value")
                .arg(text)
                .query::<()>(&mut c)
                .unwrap();
        })),
        unreachable: Some(Box::new(|| {
            let (_silent, addr) = common::silent_server();
            let options = slack_oauth_store::Options::new().timeout(TIMEOUT);
            let mut results = Vec::new();
            for url in [
                format!("redis://127.0.0.1:{}", common::closed_port()),
                format!("redis://{addr}"),
            ] {
                results.push(RedisStore::<V>::open_with(&url, &options).map(drop));
                results.push(
                    rt().block_on(AsyncRedisStore::<V>::open_with(&url, &options))
                        .map(drop),
                );
            }
            results
        })),
        stuck: None,
        _cleanup: Box::new(service),
    })
}

/// One `#[test]` per suite function for a fixture; `durable` adds the tests only a
/// backend with its own storage can take, `locking` those for a backend where another
/// session can hold a lock.
macro_rules! suite {
    ($module:ident, $fixture:expr $(, $group:ident)*) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            suite!(@tests $fixture;
                versions_never_repeat,
                stale_swap_fails,
                one_of_32_swaps_wins,
                lease_is_visible_to_other_connections,
                unicode_and_64_kib_values_round_trip,
                keys_lists_exactly_a_prefix_in_order
            );
            $(suite!(@$group $fixture);)*
        }
    };
    (@durable $fixture:expr) => {
        suite!(@tests $fixture;
            dropped_connection_mid_write_leaves_the_old_record,
            corrupt_value_is_a_typed_error,
            unreachable_store_is_a_typed_error
        );
    };
    (@locking $fixture:expr) => {
        suite!(@tests $fixture; write_behind_a_held_lock_times_out);
    };
    (@tests $fixture:expr; $($name:ident),*) => {$(
        #[test]
        fn $name() {
            if let Some(fixture) = $fixture {
                super::$name(&fixture);
            }
        }
    )*};
}

suite!(memory_blocking, memory(Mode::Blocking));
suite!(memory_async, memory(Mode::Async));
#[cfg(feature = "sqlite")]
suite!(sqlite_blocking, sqlite(Mode::Blocking), durable, locking);
#[cfg(feature = "sqlite")]
suite!(sqlite_async, sqlite(Mode::Async), durable, locking);
#[cfg(feature = "postgres")]
suite!(
    postgres_blocking,
    postgres(Mode::Blocking),
    durable,
    locking
);
#[cfg(feature = "postgres")]
suite!(postgres_async, postgres(Mode::Async), durable, locking);
#[cfg(feature = "mysql")]
suite!(mysql_blocking, mysql(Mode::Blocking), durable, locking);
#[cfg(feature = "mysql")]
suite!(mysql_async, mysql(Mode::Async), durable, locking);
#[cfg(feature = "redis")]
suite!(redis_blocking, redis(Mode::Blocking), durable);
#[cfg(feature = "redis")]
suite!(redis_async, redis(Mode::Async), durable);

// The same suite over TLS, on servers of the tests' own that take nothing else: PostgreSQL
// with `sslmode=verify-full` and the test CA as `sslrootcert`, Redis on `rediss://`.
#[cfg(feature = "postgres")]
suite!(
    postgres_tls_blocking,
    common::Postgres::tls().and_then(|pg| postgres_at(pg, Mode::Blocking)),
    durable,
    locking
);
#[cfg(feature = "postgres")]
suite!(
    postgres_tls_async,
    common::Postgres::tls().and_then(|pg| postgres_at(pg, Mode::Async)),
    durable,
    locking
);
#[cfg(feature = "mysql")]
suite!(
    mysql_tls_blocking,
    common::MySql::tls().and_then(|my| mysql_at(my, Mode::Blocking)),
    durable,
    locking
);
#[cfg(feature = "mysql")]
suite!(
    mysql_tls_async,
    common::MySql::tls().and_then(|my| mysql_at(my, Mode::Async)),
    durable,
    locking
);
#[cfg(feature = "redis")]
suite!(
    redis_tls_blocking,
    common::Redis::tls().and_then(|r| redis_at(r, Mode::Blocking)),
    durable
);
#[cfg(feature = "redis")]
suite!(
    redis_tls_async,
    common::Redis::tls().and_then(|r| redis_at(r, Mode::Async)),
    durable
);
