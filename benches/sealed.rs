//! Sealing at rest against the plain store, in the same run: what a refresh asks of the
//! store (load the record, then write it back by compare-and-swap) on SQLite, once through
//! a plain `AnyStore` and once through the same file's store behind `Sealed` (open on load,
//! seal on write); then the same pair in memory, where nothing but opening and sealing
//! differs. A fresh token never reaches the store (the keeper's cache holds opened
//! tokens), so this is the whole cost sealing adds, per refresh.
//!
//! ```text
//! cargo bench --bench sealed --features sqlite -- --quick
//! ```
//!
//! Two measurements run: criterion's absolute medians of both, then interleaved ratio rounds
//! (batches of sealed and plain alternate; the median of the per-round ratios is printed,
//! so the machine's drift cancels out). Without `--bench` (`cargo test --benches`) each runs
//! once as a smoke test.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use slack_oauth::stores::{AnyStore, Keyring, SealFailure, Sealed, Stored};
use slack_oauth::{
    store::{Lease, Record, Swap},
    Installation, MemoryStore, Store,
};

const BODY: &str = r#"{"ok":true,"app_id":"A0BENCH","authed_user":{"id":"U0BENCH",
  "scope":"search:read","access_token":"xoxe.xoxp-1-user-token-for-the-bench",
  "token_type":"user","refresh_token":"xoxe-1-user-refresh-token","expires_in":43200},
  "scope":"chat:write,channels:read","token_type":"bot",
  "access_token":"xoxe.xoxb-1-bot-token-for-the-bench","bot_user_id":"B0BENCH",
  "refresh_token":"xoxe-1-bot-refresh-token","expires_in":43200,
  "team":{"id":"T0BENCH","name":"Bench"},"enterprise":null,"is_enterprise_install":false}"#;

/// One refresh's store work on `store`: load, then write back at the version loaded.
fn refresh_once<S: Store<Installation>>(store: &S, key: &str) {
    let record = store.load(key).unwrap().unwrap();
    let swap = store
        .compare_and_swap(key, Some(record.version), black_box(&record.value), None)
        .unwrap();
    let _ = black_box(swap);
}

/// A memory store whose error the sealing layer can use: the pair without I/O, where the
/// whole difference is opening and sealing.
struct Mem(MemoryStore<Stored<Installation>>);

#[derive(Debug)]
struct MemError;
impl std::fmt::Display for MemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sealing failed")
    }
}
impl std::error::Error for MemError {}
impl From<SealFailure> for MemError {
    fn from(_: SealFailure) -> MemError {
        MemError
    }
}

impl Store<Stored<Installation>> for Mem {
    type Error = MemError;
    fn load(&self, key: &str) -> Result<Option<Record<Stored<Installation>>>, MemError> {
        Ok(Store::load(&self.0, key).unwrap())
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &Stored<Installation>,
        lease: Option<&Lease>,
    ) -> Result<Swap, MemError> {
        Ok(Store::compare_and_swap(&self.0, key, expected, value, lease).unwrap())
    }
    fn delete(&self, key: &str) -> Result<bool, MemError> {
        Ok(Store::delete(&self.0, key).unwrap())
    }
    fn keys(&self, prefix: &str) -> Result<Vec<String>, MemError> {
        Ok(Store::keys(&self.0, prefix).unwrap())
    }
}

/// Alternates batches of `a` and `b`; prints the median ratio a / b.
fn ratio_rounds(name: &str, a: &dyn Fn(), b: &dyn Fn(), rounds: usize, batch: u32) {
    let time = |f: &dyn Fn()| {
        let started = Instant::now();
        for _ in 0..batch {
            f();
        }
        started.elapsed() / batch
    };
    time(a);
    time(b);
    let mut samples: Vec<(f64, Duration, Duration)> = (0..rounds)
        .map(|_| {
            let s = time(a);
            let p = time(b);
            (s.as_secs_f64() / p.as_secs_f64(), s, p)
        })
        .collect();
    samples.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (ratio, s, p) = samples[samples.len() / 2];
    println!(
        "ratio/{name} sealed / plain: {ratio:.3} (median of {rounds} interleaved rounds of \
         {batch}; that round: {s:.1?} vs {p:.1?} per refresh, {:.1?} added)",
        s.saturating_sub(p)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let measuring = args.iter().any(|a| a == "--bench");
    let quick = !measuring || args.iter().any(|a| a == "--quick");

    let dir = std::env::temp_dir().join(format!("slack-oauth-bench-sealed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("bench.db").display());
    let answer = serde_json::from_str(BODY).unwrap();
    let installation = Installation::from_access(answer, 1_700_000_000).unwrap();
    let ring = Keyring::parse(&Keyring::generate_entry("bench").unwrap()).unwrap();
    let plain = AnyStore::<Installation>::open(&url).unwrap();
    let sealed = AnyStore::<Installation>::open(&url)
        .unwrap()
        .sealed(Some(ring));
    plain.put("plain", &installation).unwrap();
    let plain_memory = MemoryStore::<Installation>::new();
    Store::put(&plain_memory, "k", &installation).unwrap();
    let memory_ring = Keyring::parse(&Keyring::generate_entry("bench").unwrap()).unwrap();
    let sealed_memory: Sealed<Mem, Installation> =
        Sealed::new(Mem(MemoryStore::new()), Some(memory_ring));
    sealed_memory.put("k", &installation).unwrap();
    sealed.put("sealed", &installation).unwrap();

    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .configure_from_args();
    let mut group = criterion.benchmark_group("refresh_store_work/sqlite");
    group.bench_function("plain", |b| b.iter(|| refresh_once(&plain, "plain")));
    group.bench_function("sealed", |b| b.iter(|| refresh_once(&sealed, "sealed")));
    group.finish();
    let mut group = criterion.benchmark_group("refresh_store_work/memory");
    group.bench_function("plain", |b| b.iter(|| refresh_once(&plain_memory, "k")));
    group.bench_function("sealed", |b| b.iter(|| refresh_once(&sealed_memory, "k")));
    group.finish();
    criterion.final_summary();
    if args.iter().any(|a| a == "--list") {
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }

    let (rounds, batch) = match (measuring, quick) {
        (false, _) => (1, 2),
        (true, true) => (15, 100),
        (true, false) => (41, 300),
    };
    ratio_rounds(
        "sqlite",
        &|| refresh_once(&sealed, "sealed"),
        &|| refresh_once(&plain, "plain"),
        rounds,
        batch,
    );
    ratio_rounds(
        "memory",
        &|| refresh_once(&sealed_memory, "k"),
        &|| refresh_once(&plain_memory, "k"),
        rounds,
        batch * 20,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
