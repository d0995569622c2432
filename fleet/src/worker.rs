//! The worker process: its own keeper on its own store connection, calling `auth.test` with
//! tokens of installations picked at random until the conductor closes its stdin.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};
use slack_oauth_core::auth::Test;
use slack_oauth_core::{
    keeper::KeeperError, unix_seconds, AccessToken, Decision, Installation, Store, TokenType,
};
use slack_oauth_store::{AnyStore, Options};
use slack_oauth_ureq::{Client, Keeper};

use crate::counting::{self, Counting, Markers};
use crate::installation_key;

/// What a worker is told on its command line.
#[derive(Debug, Clone)]
pub struct WorkerArgs {
    pub store: String,
    pub namespace: String,
    pub api: String,
    pub installations: usize,
    pub dir: PathBuf,
    pub id: usize,
    pub margin: u64,
    pub lease: u64,
    pub naive: bool,
    pub user_share: f64,
}

/// What a worker counted: written every second and at the end, so a killed worker's counts
/// are kept up to its last second.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub calls: u64,
    pub fresh_calls: u64,
    pub fresh_trips: u64,
    pub refreshing_calls: u64,
    pub refreshing_trips: u64,
    /// Round trips of calls in which this keeper took the lease → how many calls.
    pub refresh_trips: BTreeMap<u64, u64>,
    pub used_ok: u64,
    /// `auth.test` refusals by error code.
    pub refused: BTreeMap<String, u64>,
    /// Keeper errors by kind.
    pub errors: BTreeMap<String, u64>,
    pub finished: bool,
}

fn error_kind(e: &KeeperError) -> String {
    if e.needs_reinstall() {
        return "needs_reinstall".into();
    }
    match e {
        KeeperError::NotFound { .. } => "not_found".into(),
        KeeperError::Busy { .. } => "busy".into(),
        KeeperError::Store(_) => "store".into(),
        KeeperError::Refresh { error, .. } => match error.slack().and_then(|s| s.code()) {
            Some(code) => format!("refresh:{}", code.as_str()),
            None => "refresh:transport".into(),
        },
        KeeperError::Installation { .. } => "installation".into(),
        _ => "other".into(),
    }
}

/// Runs a worker until stdin closes; writes its snapshot and latency samples into `dir`.
pub fn run(args: WorkerArgs) -> Result<(), String> {
    let options = Options::new()
        .namespace(&args.namespace)
        .pool_size(2)
        .timeout(Duration::from_secs(10));
    let store = AnyStore::<Installation>::open_with(&args.store, &options)
        .map_err(|e| format!("opening the store: {e}"))?;
    let markers = OpenOptions::new()
        .create(true)
        .append(true)
        .open(args.dir.join(format!("markers-{}.log", args.id)))
        .map_err(|e| format!("marker file: {e}"))?;
    let store = Counting::new(store, Markers::new(markers));
    let client = Client::new(crate::worker_api(&args.api));
    let keeper = Keeper::new(client.clone(), store)
        .with_margin(args.margin)
        .with_lease(args.lease)
        .with_wait(Duration::from_secs(args.lease * 3));

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            // The conductor closes our stdin to stop us.
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            stop.store(true, Ordering::Release);
        });
    }

    let mut rng = fastrand::Rng::with_seed(
        u64::from(std::process::id()) ^ (counting::unix_ms() as u64).rotate_left(17),
    );
    let mut snapshot = Snapshot::default();
    let (mut fresh_us, mut refreshing_us) = (Vec::<u32>::new(), Vec::<u32>::new());
    let mut last_write = Instant::now();
    while !stop.load(Ordering::Acquire) {
        let key = installation_key(rng.usize(..args.installations));
        let which = if rng.f64() < args.user_share {
            TokenType::User
        } else {
            TokenType::Bot
        };
        keeper.store().asking_for(which);
        let before = counting::trips();
        counting::take_leased();
        let started = Instant::now();
        let got = if args.naive {
            naive_token(&keeper, &key, which, args.margin)
        } else {
            keeper.token(&key, which)
        };
        let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        let trips = counting::trips() - before;
        let leased = counting::take_leased();
        snapshot.calls += 1;
        // A fresh call is one load; anything more waited for, or made, a refresh.
        if trips <= 1 && !leased {
            snapshot.fresh_calls += 1;
            snapshot.fresh_trips += trips;
            fresh_us.push(micros);
        } else {
            snapshot.refreshing_calls += 1;
            snapshot.refreshing_trips += trips;
            refreshing_us.push(micros);
            if leased {
                *snapshot.refresh_trips.entry(trips).or_default() += 1;
            }
        }
        match got {
            Ok(token) => match client.call(&Test::new(token)) {
                Ok(_) => snapshot.used_ok += 1,
                Err(e) => {
                    let code = e
                        .slack()
                        .and_then(|s| s.code())
                        .map_or("transport".to_owned(), |c| c.as_str().to_owned());
                    *snapshot.refused.entry(code).or_default() += 1;
                }
            },
            Err(e) => {
                if e.needs_reinstall() {
                    keeper.store().markers().mark('X', &key, which, 0);
                }
                *snapshot.errors.entry(error_kind(&e)).or_default() += 1;
            }
        }
        if last_write.elapsed() >= Duration::from_secs(1) {
            write_snapshot(&args, &snapshot)?;
            last_write = Instant::now();
        }
    }
    snapshot.finished = true;
    write_samples(&args, "fresh", &fresh_us)?;
    write_samples(&args, "refreshing", &refreshing_us)?;
    write_snapshot(&args, &snapshot)
}

/// What the official SDKs do: load, refresh if due, save. No lease, no compare-and-swap.
fn naive_token(
    keeper: &Keeper<Installation, Counting<AnyStore<Installation>>>,
    key: &str,
    which: TokenType,
    margin: u64,
) -> Result<AccessToken, KeeperError> {
    let store = keeper.store();
    let now = unix_seconds(SystemTime::now());
    let installation_error = |error| KeeperError::Installation {
        key: key.to_owned(),
        error,
    };
    let record = Store::load(store, key)
        .map_err(|e| KeeperError::Store(Arc::new(e)))?
        .ok_or_else(|| KeeperError::NotFound { key: key.into() })?;
    let mut value = record.value;
    let request = match value
        .decide_with_margin(which, now, margin)
        .map_err(installation_error)?
    {
        Decision::Use(token) => return Ok(token.clone()),
        Decision::Refresh(request) => request,
    };
    let exp = value.token(which).and_then(|t| t.expires_at).unwrap_or(0);
    let markers = store.markers();
    markers.mark('L', key, which, exp);
    // The naive path refreshes without a lease; it still counts as this worker's refresh.
    counting::set_leased();
    let answer = match keeper.client().call(&request) {
        Ok(reply) => reply.value,
        Err(error) => {
            markers.mark('F', key, which, exp);
            return Err(KeeperError::Refresh {
                key: key.to_owned(),
                token: which.into(),
                error: Arc::new(error),
            });
        }
    };
    markers.mark('A', key, which, exp);
    value
        .apply_refresh(which, &answer, now)
        .map_err(installation_error)?;
    Store::put(store, key, &value).map_err(|e| KeeperError::Store(Arc::new(e)))?;
    markers.mark('S', key, which, exp);
    value.token(which).map(|t| t.token.clone()).ok_or_else(|| {
        installation_error(slack_oauth_core::installation::InstallationError::MissingToken(which))
    })
}

fn write_snapshot(args: &WorkerArgs, snapshot: &Snapshot) -> Result<(), String> {
    let path = args.dir.join(format!("snapshot-{}.json", args.id));
    let tmp = path.with_extension("tmp");
    let json = serde_json::to_vec(snapshot).map_err(|e| e.to_string())?;
    std::fs::write(&tmp, json).map_err(|e| format!("snapshot: {e}"))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("snapshot: {e}"))
}

fn write_samples(args: &WorkerArgs, kind: &str, samples: &[u32]) -> Result<(), String> {
    let path = args.dir.join(format!("{kind}-{}.bin", args.id));
    let mut file = std::fs::File::create(path).map_err(|e| format!("samples: {e}"))?;
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    file.write_all(&bytes).map_err(|e| format!("samples: {e}"))
}
