//! Every backend keeps a value type of the user's own (any serde type), through its blocking
//! and its async store, on the same records: what one writes the other reads.

#![cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]

mod common;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use slack_oauth_core::{
    store::{Lease, Swap},
    AsyncStore, Store,
};
use slack_oauth_store::Error;

use common::rt;

/// An app's own record: nested, optional, an enum and a map, none of it core's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Reminder {
    channel: String,
    text: String,
    due: Option<u64>,
    repeat: Repeat,
    seen_by: BTreeMap<String, bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Repeat {
    Never,
    Daily { at: u16 },
}

fn reminder(text: &str) -> Reminder {
    Reminder {
        channel: "C0GENERAL".into(),
        text: text.into(),
        due: Some(1_700_000_000),
        repeat: Repeat::Daily { at: 9 * 60 },
        seen_by: BTreeMap::from([("U1".to_owned(), true), ("Zoë".to_owned(), false)]),
    }
}

fn stored(swap: Swap) -> u64 {
    match swap {
        Swap::Stored { version } => version,
        Swap::Conflict => panic!("unexpected conflict"),
    }
}

/// `blocking` and `async_store` are two stores on the same records.
fn shares_reminders<B, A>(blocking: &B, async_store: &A)
where
    B: Store<Reminder, Error = Error>,
    A: AsyncStore<Reminder, Error = Error>,
{
    let first = reminder("stand-up 🦀");
    let v1 = blocking.put("R1", &first).unwrap();
    let seen = rt().block_on(async_store.load("R1")).unwrap().unwrap();
    assert_eq!((&seen.value, seen.version, seen.lease), (&first, v1, None));

    // An async swap with a lease, seen by the blocking store; a stale one loses.
    let moved = Reminder {
        due: None,
        repeat: Repeat::Never,
        ..reminder("moved to Friday")
    };
    let lease = Lease {
        holder: "worker 2".into(),
        expires_at: 1_700_000_060,
    };
    let v2 = stored(
        rt().block_on(async_store.compare_and_swap("R1", Some(v1), &moved, Some(&lease)))
            .unwrap(),
    );
    let seen = blocking.load("R1").unwrap().unwrap();
    assert_eq!((&seen.value, seen.version), (&moved, v2));
    assert_eq!(seen.lease, Some(lease));
    assert_eq!(
        blocking
            .compare_and_swap("R1", Some(v1), &first, None)
            .unwrap(),
        Swap::Conflict
    );

    // An async put (no lease left), listed and deleted by either.
    let v3 = rt()
        .block_on(async_store.put("R2", &reminder("retro")))
        .unwrap();
    assert!(v3 > v2);
    assert_eq!(blocking.load("R2").unwrap().unwrap().value.text, "retro");
    assert_eq!(blocking.keys("R").unwrap(), ["R1", "R2"]);
    assert!(rt().block_on(async_store.delete("R1")).unwrap());
    assert!(blocking.load("R1").unwrap().is_none());
    assert_eq!(rt().block_on(async_store.keys("")).unwrap(), ["R2"]);
    assert!(blocking.delete("R2").unwrap());
}

/// A record read back as another type is a typed error that names the key, not a panic.
fn other_type_is_corrupt<S: Store<Vec<u32>, Error = Error>>(other: &S, written: &str) {
    let e = other.load(written).unwrap_err();
    assert!(
        matches!(&e, Error::Corrupt { key, .. } if key == written),
        "{e:?}"
    );
    assert!(!e.to_string().contains("stand-up"), "{e}");
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_keeps_an_own_type_blocking_and_async() {
    use slack_oauth_store::{AnyStore, AsyncAnyStore, AsyncSqliteStore, SqliteStore};
    let dir = common::TempDir::new();
    let path = dir.0.join("reminders.db");
    let blocking = SqliteStore::<Reminder>::open(&path).unwrap();
    let async_store = rt()
        .block_on(AsyncSqliteStore::<Reminder>::open(&path))
        .unwrap();
    shares_reminders(&blocking, &async_store);
    // The same through a URL.
    let url = format!("sqlite:{}", path.display());
    let any = AnyStore::<Reminder>::open(&url).unwrap();
    let async_any = rt()
        .block_on(AsyncAnyStore::<Reminder>::open(&url))
        .unwrap();
    shares_reminders(&any, &async_any);
    blocking.put("R3", &reminder("stand-up")).unwrap();
    other_type_is_corrupt(&SqliteStore::<Vec<u32>>::open(&path).unwrap(), "R3");
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_keeps_an_own_type_blocking_and_async() {
    use slack_oauth_store::{AsyncPostgresStore, Options, PostgresStore};
    let Some(pg) = common::Postgres::new() else {
        return;
    };
    let options = Options::new().namespace(&pg.table);
    let blocking = PostgresStore::<Reminder>::open_with(&pg.url, &options).unwrap();
    let async_store = rt()
        .block_on(AsyncPostgresStore::<Reminder>::open_with(&pg.url, &options))
        .unwrap();
    shares_reminders(&blocking, &async_store);
    blocking.put("R3", &reminder("stand-up")).unwrap();
    let other = PostgresStore::<Vec<u32>>::open_with(&pg.url, &options).unwrap();
    other_type_is_corrupt(&other, "R3");
}

#[cfg(feature = "redis")]
#[test]
fn redis_keeps_an_own_type_blocking_and_async() {
    use slack_oauth_store::{AsyncRedisStore, Options, RedisStore};
    let Some(redis) = common::Redis::new() else {
        return;
    };
    let options = Options::new().namespace(&redis.prefix);
    let blocking = RedisStore::<Reminder>::open_with(&redis.url, &options).unwrap();
    let async_store = rt()
        .block_on(AsyncRedisStore::<Reminder>::open_with(&redis.url, &options))
        .unwrap();
    shares_reminders(&blocking, &async_store);
    blocking.put("R3", &reminder("stand-up")).unwrap();
    let other = RedisStore::<Vec<u32>>::open_with(&redis.url, &options).unwrap();
    other_type_is_corrupt(&other, "R3");
}
