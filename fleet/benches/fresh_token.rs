//! The keeper's fresh-token path against its floor: a `HashMap<String, AccessToken>` look-up
//! and clone, measured in the same run.
//!
//! A keeper call for a token that is not due is answered from the keeper's in-process cache
//! without a store round trip. Both sides hold 1 000 installations and look their keys up
//! in the same order. Two measurements:
//! 1. **Ratio rounds** (the headline): the keeper and the floor alternate in batches (keeper
//!    then floor, floor then keeper, ...) and the median of the per-round ratios is printed,
//!    so the machine's drift cancels out.
//! 2. **Criterion** absolute times of the same closures.
//!
//! The keeper runs on its default clock, the system clock, as a deployed keeper does (a clock
//! set with `with_clock` is read on every call and would measure something else).
//!
//! The store under the keeper counts its loads: after the warm-up call per key, the
//! measured calls must make none (checked at the end, so a cache that stopped working
//! cannot pass as fast).

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use criterion::Criterion;
use slack_oauth_core::{
    store::{Lease, Record, Swap},
    unix_seconds, AccessToken, Api, ClientCredentials, Installation, MemoryStore, Store,
};
use slack_oauth_ureq::{Client, Keeper};

const KEYS: usize = 1_000;
const BATCH: usize = 2_000;
const ROUNDS: usize = 101;

/// A [`MemoryStore`] that counts loads.
#[derive(Default)]
struct Loads {
    inner: MemoryStore<Installation>,
    loads: AtomicU64,
}

impl Store<Installation> for Loads {
    type Error = std::convert::Infallible;

    fn load(&self, key: &str) -> Result<Option<Record<Installation>>, Self::Error> {
        self.loads.fetch_add(1, Relaxed);
        self.inner.load(key)
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &Installation,
        lease: Option<&Lease>,
    ) -> Result<Swap, Self::Error> {
        self.inner.compare_and_swap(key, expected, value, lease)
    }

    fn delete(&self, key: &str) -> Result<bool, Self::Error> {
        self.inner.delete(key)
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>, Self::Error> {
        self.inner.keys(prefix)
    }
}

fn installation(i: usize, now: u64) -> Installation {
    let answer = serde_json::from_str(&format!(
        r#"{{"app_id":"A1","access_token":"xoxe.xoxb-1-{i:040}","token_type":"bot",
        "expires_in":43200,"refresh_token":"xoxe-1-R{i}","team":{{"id":"T{i:05}"}}}}"#
    ))
    .expect("a rotating install answer");
    Installation::from_access(answer, now).expect("an installation")
}

fn main() {
    let now = unix_seconds(std::time::SystemTime::now());
    let keys: Vec<String> = (0..KEYS).map(|i| format!("T{i:05}")).collect();
    let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
    let keeper = Keeper::new(Client::new(api), Loads::default());
    let mut floor: HashMap<String, AccessToken> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        let installed = installation(i, now);
        keeper.save(key, &installed).expect("memory store");
        // The warm-up call: loads once and caches.
        let token = keeper.bot_token(key).expect("a fresh token");
        floor.insert(key.clone(), token);
    }
    let warm_loads = keeper.store().loads.load(Relaxed);

    let mut next = 0usize;
    let mut lib = || {
        next = (next + 1) % KEYS;
        black_box(keeper.bot_token(black_box(&keys[next])).expect("fresh"))
    };
    let mut at = 0usize;
    let mut base = || {
        at = (at + 1) % KEYS;
        black_box(floor.get(black_box(&keys[at])).cloned().expect("present"))
    };

    let benching = std::env::args().any(|a| a == "--bench");
    if benching {
        let time = |f: &mut dyn FnMut()| {
            let started = Instant::now();
            for _ in 0..BATCH {
                f();
            }
            started.elapsed().as_nanos() as f64 / BATCH as f64
        };
        let mut ratios = Vec::with_capacity(ROUNDS);
        let (mut lib_ns, mut floor_ns) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let (l, f) = if round % 2 == 0 {
                let l = time(&mut || drop(lib()));
                (l, time(&mut || drop(base())))
            } else {
                let f = time(&mut || drop(base()));
                (time(&mut || drop(lib())), f)
            };
            ratios.push(l / f);
            lib_ns.push(l);
            floor_ns.push(f);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            (v[v.len() / 2], v[v.len() / 4], v[v.len() * 3 / 4])
        };
        let (ratio, p25, p75) = median(&mut ratios);
        let (lib_med, ..) = median(&mut lib_ns);
        let (floor_med, ..) = median(&mut floor_ns);
        println!(
            "\n| case | keeper ns | HashMap ns | keeper / HashMap (p25–p75) | budget |\n|---|---:|---:|---|---|\n\
             | fresh bot token, {KEYS} installations | {lib_med:.1} | {floor_med:.1} | {ratio:.2} ({p25:.2}–{p75:.2}) | ≤ 2.00: {} |\n",
            if ratio <= 2.0 { "met" } else { "MISSED" }
        );
        let mut c = Criterion::default().configure_from_args();
        c.bench_function("fresh_token/keeper", |b| b.iter(&mut lib));
        c.bench_function("fresh_token/hashmap", |b| b.iter(&mut base));
        c.final_summary();
    } else {
        // `cargo test --benches`: each side once.
        drop(lib());
        drop(base());
    }
    let loads = keeper.store().loads.load(Relaxed) - warm_loads;
    assert_eq!(loads, 0, "fresh calls made {loads} store loads");
}
