//! The conductor: starts the simulator (or uses a running one), installs the workspaces through the OAuth flow,
//! runs the workers (killing some), reads their markers, checks every installation at the
//! end and prints the summary.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::OpenOptions;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use slack_oauth_core::auth::Test;
use slack_oauth_core::oauth_v2::Access;
use slack_oauth_core::{AuthorizeUrl, Installation, Store, TokenType};
use slack_oauth_store::{AnyStore, Options};
use slack_oauth_ureq::{Client, Keeper};

use crate::counting::{Counting, Markers};
use crate::simulator::Simulator;
use crate::worker::Snapshot;
use crate::{installation_key, CLIENT_ID, REDIRECT_URI};

/// The conductor's command line.
#[derive(Debug, Clone)]
pub struct FleetArgs {
    pub store: String,
    /// A simulator already running on loopback (`http://127.0.0.1:PORT`) instead of one of
    /// our own.
    pub sim: Option<String>,
    pub namespace: Option<String>,
    pub processes: usize,
    pub installations: usize,
    pub windows: usize,
    pub kill_every: Option<f64>,
    pub max_kills: usize,
    pub naive: bool,
    pub ttl: u64,
    pub margin: u64,
    pub lease: u64,
    pub user_share: f64,
    pub max_seconds: Option<u64>,
    pub table: bool,
}

struct Worker {
    id: usize,
    child: Child,
    stdin: Option<ChildStdin>,
}

/// A refresh a process has in flight: key, token type, expiry replaced, answer read.
type InFlight = (String, TokenType, u64, bool);

/// What the markers say so far.
#[derive(Default)]
struct Ledger {
    /// (key, token type, expiry replaced) → (stored, failed, lost to a kill).
    windows: HashMap<(String, TokenType, u64), [u64; 3]>,
    /// (key, token type) → refreshes stored.
    stored: HashMap<(String, TokenType), u64>,
    /// Installations a keeper said need a reinstall.
    reinstall: HashSet<String>,
    /// Per marker file: bytes read, the unfinished line, the refresh in flight.
    files: HashMap<PathBuf, (u64, String, Option<InFlight>)>,
}

fn token_type(s: &str) -> TokenType {
    if s == "user" {
        TokenType::User
    } else {
        TokenType::Bot
    }
}

impl Ledger {
    /// Reads what was appended to `path` since last time.
    fn read(&mut self, path: &Path) {
        let Ok(mut file) = std::fs::File::open(path) else {
            return;
        };
        let entry = self.files.entry(path.to_owned()).or_default();
        let mut bytes = Vec::new();
        use std::io::Seek;
        if file.seek(std::io::SeekFrom::Start(entry.0)).is_err()
            || file.read_to_end(&mut bytes).is_err()
        {
            return;
        }
        entry.0 += bytes.len() as u64;
        entry.1.push_str(&String::from_utf8_lossy(&bytes));
        let text = std::mem::take(&mut entry.1);
        let (complete, rest) = match text.rfind('\n') {
            Some(at) => text.split_at(at + 1),
            None => ("", text.as_str()),
        };
        entry.1 = rest.to_owned();
        let mut in_flight = entry.2.take();
        for line in complete.lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            let [tag, key, which, exp, _ms] = parts[..] else {
                continue;
            };
            let (which, exp) = (token_type(which), exp.parse().unwrap_or(0));
            let window = (key.to_owned(), which, exp);
            match tag {
                "L" => in_flight = Some((key.to_owned(), which, exp, false)),
                "A" => {
                    if let Some(f) = in_flight.as_mut() {
                        f.3 = true;
                    }
                }
                "S" => {
                    self.windows.entry(window).or_default()[0] += 1;
                    *self.stored.entry((key.to_owned(), which)).or_default() += 1;
                    // Progress after a failure: the installation lives (the naive mode's
                    // race losers fail while the winner's pair is fine).
                    self.reinstall.remove(key);
                    in_flight = None;
                }
                "F" => {
                    self.windows.entry(window).or_default()[1] += 1;
                    in_flight = None;
                }
                "X" => {
                    self.reinstall.insert(key.to_owned());
                }
                _ => {}
            }
        }
        if let Some(e) = self.files.get_mut(path) {
            e.2 = in_flight;
        }
    }

    fn in_flight(&self, path: &Path) -> Option<InFlight> {
        self.files.get(path).and_then(|e| e.2.clone())
    }

    fn done(&self, installations: usize, windows: usize, user: bool) -> bool {
        (0..installations).map(installation_key).all(|key| {
            if self.reinstall.contains(&key) {
                return true;
            }
            let enough = |which| {
                self.stored.get(&(key.clone(), which)).copied().unwrap_or(0) >= windows as u64
            };
            enough(TokenType::Bot) && (!user || enough(TokenType::User))
        })
    }
}

/// One kill, and whether it landed between Slack's answer and the durable write.
#[derive(Debug, Clone, serde::Serialize)]
struct Kill {
    worker: usize,
    /// `idle` (no refresh in flight), `in_flight_unanswered` (Slack never spent the refresh
    /// token), `landed` (the write landed), `after_answer` (answer read, write not stored),
    /// `answer_unread` (Slack answered, the process died before reading it), `unjudged`
    /// (the simulator could not be asked whether the stored refresh token is spent),
    /// `already_lost` (the refresh was of a window an earlier kill had already cost).
    outcome: &'static str,
    key: Option<String>,
    cost: usize,
}

fn install_all(
    simulator: &Simulator,
    store: &AnyStore<Installation>,
    n: usize,
    ttl: u64,
) -> Result<Duration, String> {
    let started = Instant::now();
    let api = crate::worker_api(&simulator.api());
    let client = Client::new(api);
    let origin = simulator.origin();
    for i in 0..n {
        // The browser half: the authorize page answers a script with a redirect to us.
        let url = AuthorizeUrl::new(CLIENT_ID)
            .with_base_url(&origin)
            .map_err(|e| e.to_string())?
            .bot_scopes(["chat:write"])
            .user_scopes(["search:read"])
            .redirect_uri(REDIRECT_URI)
            .build()
            .map_err(|e| e.to_string())?;
        let request = http::Request::get(url)
            .body(Vec::new())
            .map_err(|e| e.to_string())?;
        let page = client.send(request).map_err(|e| e.to_string())?;
        let location = page
            .headers()
            .get(http::header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .ok_or("the authorize page did not redirect")?;
        let query = location.split_once('?').map_or("", |(_, q)| q);
        let code = form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "code")
            .map(|(_, v)| v.into_owned())
            .ok_or("the redirect has no code")?;
        let answer = client
            .call(&Access::code(code.as_str()).redirect_uri(REDIRECT_URI))
            .map_err(|e| format!("oauth.v2.access: {e}"))?
            .value;
        let now = slack_oauth_core::unix_seconds(std::time::SystemTime::now());
        let installation = Installation::from_access(answer, now).map_err(|e| e.to_string())?;
        if i == 0 {
            simulator.check_install(&installation, now, ttl)?;
        }
        // Every install of the simulator's app lands in the same team: the harness keys
        // each one by its own workspace number instead of `Installation::key`.
        store
            .put(&installation_key(i), &installation)
            .map_err(|e| format!("storing an install: {e}"))?;
    }
    Ok(started.elapsed())
}

fn spawn(
    args: &FleetArgs,
    id: usize,
    api: &str,
    namespace: &str,
    dir: &Path,
) -> Result<Worker, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut command = Command::new(exe);
    command
        .arg("worker")
        .args(["--store", &args.store])
        .args(["--namespace", namespace])
        .args(["--api", api])
        .args(["--installations", &args.installations.to_string()])
        .args(["--dir", &dir.display().to_string()])
        .args(["--id", &id.to_string()])
        .args(["--margin", &args.margin.to_string()])
        .args(["--lease", &args.lease.to_string()])
        .args(["--user-share", &args.user_share.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if args.naive {
        command.arg("--naive");
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("starting a worker: {e}"))?;
    let stdin = child.stdin.take();
    Ok(Worker { id, child, stdin })
}

fn marker_path(dir: &Path, id: impl std::fmt::Display) -> PathBuf {
    dir.join(format!("markers-{id}.log"))
}

fn percentiles(mut samples: Vec<u32>) -> Value {
    if samples.is_empty() {
        return json!({"n": 0});
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    json!({"n": samples.len(), "p50": at(0.5), "p99": at(0.99), "max": samples[samples.len() - 1]})
}

fn read_samples(dir: &Path, kind: &str, ids: usize) -> Vec<u32> {
    let mut all = Vec::new();
    for id in 0..ids {
        if let Ok(bytes) = std::fs::read(dir.join(format!("{kind}-{id}.bin"))) {
            all.extend(
                bytes
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        }
    }
    all
}

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        crate::counting::unix_ms() % 1_000_000_000
    )
}

/// Runs the whole fleet; returns the JSON summary.
pub fn run(args: FleetArgs) -> Result<Value, String> {
    let dir = std::env::temp_dir().join(unique("slack-oauth-fleet"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let result = run_in(&args, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(args: &FleetArgs, dir: &Path) -> Result<Value, String> {
    let namespace = args.namespace.clone().unwrap_or_else(|| {
        let name = unique("fleet");
        if args.store.starts_with("postgres") {
            format!("{name}.records")
        } else {
            name
        }
    });
    let options = Options::new().namespace(&namespace);
    let store = AnyStore::<Installation>::open_with(&args.store, &options)
        .map_err(|e| format!("opening the store: {e}"))?;

    let sim = match &args.sim {
        Some(url) => Simulator::connect(url, args.ttl)?,
        None => Simulator::start(args.ttl)?,
    };
    let api = sim.api();
    let install_time = install_all(&sim, &store, args.installations, args.ttl)?;

    let started = Instant::now();
    let period = args
        .ttl
        .saturating_sub(args.margin.min(args.ttl / 2))
        .max(1);
    let limit = Duration::from_secs(
        args.max_seconds
            .unwrap_or((args.windows as u64 + 2) * period * 2 + args.lease * 4 + 30),
    );
    let mut workers = Vec::new();
    for id in 0..args.processes {
        workers.push(spawn(args, id, &api, &namespace, dir)?);
    }
    let mut next_id = args.processes;
    let mut ledger = Ledger::default();
    let mut kills: Vec<Kill> = Vec::new();
    let mut rng = fastrand::Rng::with_seed(0x5eed ^ u64::from(std::process::id()));
    let mut next_kill = args
        .kill_every
        .map(|s| started + Duration::from_secs_f64(s));
    let user = args.user_share > 0.0;
    let timed_out = loop {
        std::thread::sleep(Duration::from_millis(250));
        for id in 0..next_id {
            ledger.read(&marker_path(dir, id));
        }
        if ledger.done(args.installations, args.windows, user) {
            break false;
        }
        if started.elapsed() >= limit {
            break true;
        }
        if let Some(at) = next_kill.filter(|at| Instant::now() >= *at) {
            if kills.len() >= args.max_kills {
                next_kill = None;
                continue;
            }
            let victim = rng.usize(..workers.len());
            let mut worker = workers.swap_remove(victim);
            let _ = worker.child.kill(); // SIGKILL on Unix
            let _ = worker.child.wait();
            // A request already on the wire is still served: let the simulator finish it.
            std::thread::sleep(Duration::from_millis(300));
            let path = marker_path(dir, worker.id);
            ledger.read(&path);
            kills.push(judge_kill(&ledger, &path, worker.id, &store, &sim));
            let outcome = kills.last().map_or("idle", |k| k.outcome);
            if let Some((key, which, exp, _)) = ledger.in_flight(&path) {
                // A refresh Slack answered counts in its window, stored or not.
                if outcome == "landed" {
                    ledger.windows.entry((key.clone(), which, exp)).or_default()[0] += 1;
                    *ledger.stored.entry((key, which)).or_default() += 1;
                } else if matches!(outcome, "after_answer" | "answer_unread") {
                    ledger.windows.entry((key, which, exp)).or_default()[2] += 1;
                }
            }
            if let Some(e) = ledger.files.get_mut(&path) {
                e.2 = None;
            }
            workers.push(spawn(args, next_id, &api, &namespace, dir)?);
            next_id += 1;
            next_kill = args.kill_every.map(|s| at + Duration::from_secs_f64(s));
        }
    };
    let run_time = started.elapsed();
    for worker in &mut workers {
        worker.stdin.take(); // EOF: the worker stops after its current call
    }
    for worker in &mut workers {
        let _ = worker.child.wait();
    }
    for id in 0..next_id {
        ledger.read(&marker_path(dir, id));
    }
    let stats_before_check = sim.stats()?;

    // Every installation must still work: a keeper of our own, on our own connection.
    let check_store = AnyStore::<Installation>::open_with(&args.store, &options)
        .map_err(|e| format!("opening the store: {e}"))?;
    let final_markers = OpenOptions::new()
        .create(true)
        .append(true)
        .open(marker_path(dir, "final"))
        .map_err(|e| e.to_string())?;
    let client = Client::new(crate::worker_api(&api));
    let keeper = Keeper::new(
        client.clone(),
        Counting::new(check_store, Markers::new(final_markers)),
    )
    .with_margin(args.margin)
    .with_lease(args.lease);
    let mut lost = Vec::new();
    for key in (0..args.installations).map(installation_key) {
        let mut works = true;
        for which in [TokenType::Bot, TokenType::User] {
            keeper.store().asking_for(which);
            works &= keeper
                .token(&key, which)
                .is_ok_and(|token| client.call(&Test::new(token)).is_ok());
        }
        if !works {
            lost.push(key);
        }
    }
    ledger.read(&marker_path(dir, "final"));

    let mut total = Snapshot::default();
    for id in 0..next_id {
        let Ok(bytes) = std::fs::read(dir.join(format!("snapshot-{id}.json"))) else {
            continue;
        };
        let Ok(s) = serde_json::from_slice::<Snapshot>(&bytes) else {
            continue;
        };
        total.calls += s.calls;
        total.fresh_calls += s.fresh_calls;
        total.fresh_trips += s.fresh_trips;
        total.refreshing_calls += s.refreshing_calls;
        total.refreshing_trips += s.refreshing_trips;
        total.used_ok += s.used_ok;
        for (k, v) in s.refresh_trips {
            *total.refresh_trips.entry(k).or_default() += v;
        }
        for (k, v) in s.refused {
            *total.refused.entry(k).or_default() += v;
        }
        for (k, v) in s.errors {
            *total.errors.entry(k).or_default() += v;
        }
    }

    let stats = sim.stats()?;
    let access = stats
        .methods
        .get("oauth.v2.access")
        .cloned()
        .unwrap_or_default();
    let refreshes_sent: u64 = access
        .values()
        .sum::<u64>()
        .saturating_sub(args.installations as u64);
    // A lost installation's spent refresh token is presented again by every later call:
    // those windows are counted apart from the living installations'.
    let lost_set: HashSet<&str> = lost.iter().map(String::as_str).collect();
    let (mut per_window, mut on_lost) = (Vec::new(), 0u64);
    for ((key, _, _), counts) in &ledger.windows {
        let n: u64 = counts.iter().sum();
        if lost_set.contains(key.as_str()) {
            on_lost += n;
        } else {
            per_window.push(n);
        }
    }
    let windows_reached = |which| {
        (0..args.installations)
            .filter(|i| !lost_set.contains(installation_key(*i).as_str()))
            .map(|i| {
                ledger
                    .stored
                    .get(&(installation_key(i), which))
                    .copied()
                    .unwrap_or(0)
            })
            .min()
            .unwrap_or(0)
    };
    let landed: Vec<&Kill> = kills.iter().filter(|k| k.cost > 0).collect();
    let killed_keys: HashSet<&str> = landed.iter().filter_map(|k| k.key.as_deref()).collect();
    let unexplained: Vec<&String> = lost
        .iter()
        .filter(|k| !killed_keys.contains(k.as_str()))
        .collect();
    let refresh_trips: Vec<u64> = total
        .refresh_trips
        .iter()
        .flat_map(|(trips, n)| std::iter::repeat_n(*trips, *n as usize))
        .collect();
    let median = |v: &[u64]| v.get(v.len() / 2).copied();
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let secs = run_time.as_secs_f64();
    let summary = json!({
        "store": args.store.split(':').next().unwrap_or(""),
        "mode": if args.naive { "naive" } else { "keeper" },
        "simulator": sim.describe(),
        "processes": args.processes,
        "installations": args.installations,
        "windows": args.windows,
        "token_expires_in": args.ttl,
        "refresh_margin": args.margin,
        "install_seconds": install_time.as_secs_f64(),
        "run_seconds": secs,
        "timed_out": timed_out,
        // Over the installations not lost.
        "windows_reached": {"bot": windows_reached(TokenType::Bot), "user": windows_reached(TokenType::User)},
        "calls": total.calls,
        "calls_per_second": ratio(total.calls, 1).max(0.0) / secs.max(1e-9),
        "used_ok": total.used_ok,
        "tokens_refused": total.refused.values().sum::<u64>(),
        "refused_by_code": total.refused,
        "keeper_errors": total.errors,
        "refreshes_sent": refreshes_sent,
        "refreshes_stored": ledger.stored.values().sum::<u64>(),
        "refreshes_per_window": {
            "windows": per_window.len(),
            "min": per_window.iter().min(),
            "max": per_window.iter().max(),
            "over_one": per_window.iter().filter(|n| **n > 1).count(),
        },
        "refreshes_on_lost_installations": on_lost,
        "invalid_refresh_token": access.get("invalid_refresh_token").copied().unwrap_or(0),
        "invalid_refresh_token_before_final_check": stats_before_check.count("oauth.v2.access", "invalid_refresh_token"),
        "refresh_token_reuse": stats.refresh_token_reuse,
        "auth_test": stats.methods.get("auth.test"),
        "installations_lost": lost.len(),
        "lost_not_explained_by_kills": unexplained.len(),
        "lost_keys": lost.iter().take(20).collect::<Vec<_>>(),
        "kills": kills.len(),
        "kills_in_window": landed.len(),
        "kills_in_window_after_answer": landed.iter().filter(|k| k.outcome == "after_answer").count(),
        "kills_in_window_answer_unread": landed.iter().filter(|k| k.outcome == "answer_unread").count(),
        "installations_lost_to_kills": landed.iter().map(|k| k.cost).sum::<usize>(),
        "kill_log": kills,
        "store_round_trips": {
            "fresh_per_call": ratio(total.fresh_trips, total.fresh_calls),
            "refreshing_per_call": ratio(total.refreshing_trips, total.refreshing_calls),
            "per_call": ratio(total.fresh_trips + total.refreshing_trips, total.calls),
            "refresh_calls": refresh_trips.len(),
            "refresh_min": refresh_trips.iter().min(),
            "refresh_median": median(&refresh_trips),
            "refresh_max": refresh_trips.iter().max(),
            "refresh_histogram": total.refresh_trips,
        },
        "latency_us": {
            "fresh": percentiles(read_samples(dir, "fresh", next_id)),
            "refreshing": percentiles(read_samples(dir, "refreshing", next_id)),
        },
    });
    // The store's records are deleted (the table or schema stays, empty).
    for key in (0..args.installations).map(installation_key) {
        let _ = store.delete(&key);
    }
    drop(sim);
    Ok(summary)
}

/// After a kill: was a refresh in flight, and did Slack spend its refresh token without the
/// store getting the new pair?
fn judge_kill(
    ledger: &Ledger,
    path: &Path,
    worker: usize,
    store: &AnyStore<Installation>,
    sim: &Simulator,
) -> Kill {
    let Some((key, which, exp, answered)) = ledger.in_flight(path) else {
        return Kill {
            worker,
            outcome: "idle",
            key: None,
            cost: 0,
        };
    };
    let stored = store.load(&key).ok().flatten();
    let set = stored.as_ref().and_then(|r| r.value.token(which));
    let stored_exp = set.and_then(|t| t.expires_at).unwrap_or(0);
    let spent = set
        .and_then(|t| t.refresh_token.as_ref())
        .map_or(Some(false), |r| sim.refresh_token_spent(r.expose()));
    let outcome = if stored_exp != exp {
        "landed"
    } else if spent.is_none() {
        // The simulator could not be asked: the loss, if any, shows as unexplained.
        "unjudged"
    } else if spent == Some(false) {
        "in_flight_unanswered"
    } else if answered {
        "after_answer"
    } else if ledger
        .windows
        .get(&(key.clone(), which, exp))
        .is_some_and(|counts| counts[2] > 0)
    {
        // An earlier kill already cost this window: the store has held its spent refresh
        // token since, and this worker was presenting it again, not receiving a new pair.
        "already_lost"
    } else {
        "answer_unread"
    };
    let cost = usize::from(matches!(outcome, "after_answer" | "answer_unread"));
    Kill {
        worker,
        outcome,
        key: Some(key),
        cost,
    }
}

/// The table printed after the JSON line.
pub fn table(summary: &Value) -> String {
    let g = |path: &str| -> String {
        let mut v = summary;
        for part in path.split('.') {
            v = &v[part];
        }
        match v {
            Value::Number(n) if n.is_f64() => format!("{:.1}", n.as_f64().unwrap_or(0.0)),
            Value::Null => "-".into(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    };
    let mut rows: BTreeMap<usize, (&str, String)> = BTreeMap::new();
    let items = [
        ("store / mode", format!("{} / {}", g("store"), g("mode"))),
        (
            "processes × installations × windows",
            format!(
                "{} × {} × {}",
                g("processes"),
                g("installations"),
                g("windows")
            ),
        ),
        ("run time (s)", g("run_seconds")),
        (
            "windows reached (bot / user)",
            format!(
                "{} / {}",
                g("windows_reached.bot"),
                g("windows_reached.user")
            ),
        ),
        ("keeper calls", g("calls")),
        ("keeper calls per second", g("calls_per_second")),
        ("refreshes sent (simulator)", g("refreshes_sent")),
        (
            "refreshes per installation per window (min / max)",
            format!(
                "{} / {}",
                g("refreshes_per_window.min"),
                g("refreshes_per_window.max")
            ),
        ),
        ("invalid_refresh_token answers", g("invalid_refresh_token")),
        ("tokens refused on use", g("tokens_refused")),
        ("installations lost", g("installations_lost")),
        (
            "kills / in the window / installations they cost",
            format!(
                "{} / {} / {}",
                g("kills"),
                g("kills_in_window"),
                g("installations_lost_to_kills")
            ),
        ),
        (
            "store round trips per call (fresh / refreshing)",
            format!(
                "{} / {}",
                g("store_round_trips.fresh_per_call"),
                g("store_round_trips.refreshing_per_call")
            ),
        ),
        (
            "store round trips per refresh (min / median / max)",
            format!(
                "{} / {} / {}",
                g("store_round_trips.refresh_min"),
                g("store_round_trips.refresh_median"),
                g("store_round_trips.refresh_max")
            ),
        ),
        (
            "latency fresh p50 / p99 / max (µs)",
            format!(
                "{} / {} / {}",
                g("latency_us.fresh.p50"),
                g("latency_us.fresh.p99"),
                g("latency_us.fresh.max")
            ),
        ),
        (
            "latency refreshing p50 / p99 / max (µs)",
            format!(
                "{} / {} / {}",
                g("latency_us.refreshing.p50"),
                g("latency_us.refreshing.p99"),
                g("latency_us.refreshing.max")
            ),
        ),
    ];
    for (i, item) in items.into_iter().enumerate() {
        rows.insert(i, item);
    }
    let mut out = String::from("| metric | value |\n| --- | --- |\n");
    for (name, value) in rows.values() {
        out.push_str(&format!("| {name} | {value} |\n"));
    }
    out
}
