//! The conductor: starts the simulator (or uses a running one), installs the workspaces through the OAuth flow,
//! runs the workers (killing some), reads their markers, checks every installation at the
//! end and prints the summary.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use slack_oauth_core::auth::Test;
use slack_oauth_core::oauth_v2::Access;
use slack_oauth_core::{AuthorizeUrl, Installation, Store, TokenType};
use slack_oauth_store::{AnyStore, Options};
use slack_oauth_ureq::{Client, Keeper};

use crate::args::FleetArgs;
use crate::counting::{Counting, Markers};
use crate::ledger::{judge_kill, Kill, Ledger};
use crate::simulator::Simulator;
use crate::summary::{summarize, Run};
use crate::{installation_key, CLIENT_ID, REDIRECT_URI};

struct Worker {
    id: usize,
    child: Child,
    stdin: Option<ChildStdin>,
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
    let (namespace, options) = store_options(args);
    let store = AnyStore::<Installation>::open_with(&args.store, &options)
        .map_err(|e| format!("opening the store: {e}"))?;

    let sim = match &args.sim {
        Some(url) => Simulator::connect(url, args.ttl)?,
        None => Simulator::start(args.ttl)?,
    };
    let api = sim.api();
    let install_time = install_all(&sim, &store, args.installations, args.ttl)?;

    let started = Instant::now();
    let mut crew = Crew::start(args, dir, &api, &namespace)?;
    let timed_out = crew.run(started, &store, &sim)?;
    let run_time = started.elapsed();
    crew.stop();
    let stats_before_check = sim.stats()?;

    let lost = check_installations(args, &options, dir, &api)?;
    crew.ledger.read(&marker_path(dir, "final"));

    let run = Run {
        install_time,
        run_time,
        timed_out,
        ledger: &crew.ledger,
        kills: &crew.kills,
        lost: &lost,
        workers: crew.next_id,
        stats_before_check,
        stats: sim.stats()?,
    };
    let summary = summarize(args, dir, sim.describe(), run);
    // The store's records are deleted (the table or schema stays, empty).
    for key in (0..args.installations).map(installation_key) {
        let _ = store.delete(&key);
    }
    drop(sim);
    Ok(summary)
}

/// The namespace the run's records go to (`--namespace`, else a fresh one; a PostgreSQL
/// table in a schema of its own), and the store options naming it.
fn store_options(args: &FleetArgs) -> (String, Options) {
    let namespace = args.namespace.clone().unwrap_or_else(|| {
        let name = unique("fleet");
        if args.store.starts_with("postgres") {
            format!("{name}.records")
        } else {
            name
        }
    });
    let options = Options::new().namespace(&namespace);
    (namespace, options)
}

/// The worker processes of a run, the ledger of their markers and the kills so far.
struct Crew<'a> {
    args: &'a FleetArgs,
    dir: &'a Path,
    api: &'a str,
    namespace: &'a str,
    workers: Vec<Worker>,
    /// The ids handed out so far: marker files `0..next_id` exist or may.
    next_id: usize,
    ledger: Ledger,
    kills: Vec<Kill>,
}

impl<'a> Crew<'a> {
    /// Spawns `--processes` workers.
    fn start(
        args: &'a FleetArgs,
        dir: &'a Path,
        api: &'a str,
        namespace: &'a str,
    ) -> Result<Crew<'a>, String> {
        let mut workers = Vec::new();
        for id in 0..args.processes {
            workers.push(spawn(args, id, api, namespace, dir)?);
        }
        Ok(Crew {
            args,
            dir,
            api,
            namespace,
            workers,
            next_id: args.processes,
            ledger: Ledger::default(),
            kills: Vec::new(),
        })
    }

    /// Reads the markers until every installation reached its windows (or needs a
    /// reinstall), killing a worker every `--kill-every` seconds; returns whether the time
    /// limit ran out first.
    fn run(
        &mut self,
        started: Instant,
        store: &AnyStore<Installation>,
        sim: &Simulator,
    ) -> Result<bool, String> {
        let args = self.args;
        let period = args
            .ttl
            .saturating_sub(args.margin.min(args.ttl / 2))
            .max(1);
        let limit = Duration::from_secs(
            args.max_seconds
                .unwrap_or((args.windows as u64 + 2) * period * 2 + args.lease * 4 + 30),
        );
        let mut rng = fastrand::Rng::with_seed(0x5eed ^ u64::from(std::process::id()));
        let mut next_kill = args
            .kill_every
            .map(|s| started + Duration::from_secs_f64(s));
        let user = args.user_share > 0.0;
        let timed_out = loop {
            std::thread::sleep(Duration::from_millis(250));
            self.read_markers();
            if self.ledger.done(args.installations, args.windows, user) {
                break false;
            }
            if started.elapsed() >= limit {
                break true;
            }
            if let Some(at) = next_kill.filter(|at| Instant::now() >= *at) {
                if self.kills.len() >= args.max_kills {
                    next_kill = None;
                    continue;
                }
                self.kill_one(&mut rng, store, sim)?;
                next_kill = args.kill_every.map(|s| at + Duration::from_secs_f64(s));
            }
        };
        Ok(timed_out)
    }

    /// Reads what every worker's marker file gained.
    fn read_markers(&mut self) {
        for id in 0..self.next_id {
            self.ledger.read(&marker_path(self.dir, id));
        }
    }

    /// Kills a worker at random, judges what the kill cost, and starts a new worker.
    fn kill_one(
        &mut self,
        rng: &mut fastrand::Rng,
        store: &AnyStore<Installation>,
        sim: &Simulator,
    ) -> Result<(), String> {
        let (args, dir) = (self.args, self.dir);
        let ledger = &mut self.ledger;
        let kills = &mut self.kills;
        let workers = &mut self.workers;
        let victim = rng.usize(..workers.len());
        let mut worker = workers.swap_remove(victim);
        let _ = worker.child.kill(); // SIGKILL on Unix
        let _ = worker.child.wait();
        // A request already on the wire is still served: let the simulator finish it.
        std::thread::sleep(Duration::from_millis(300));
        let path = marker_path(dir, worker.id);
        ledger.read(&path);
        kills.push(judge_kill(ledger, &path, worker.id, store, sim));
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
        workers.push(spawn(args, self.next_id, self.api, self.namespace, dir)?);
        self.next_id += 1;
        Ok(())
    }

    /// Lets every worker finish its current call and exit, then reads their last markers.
    fn stop(&mut self) {
        for worker in &mut self.workers {
            worker.stdin.take(); // EOF: the worker stops after its current call
        }
        for worker in &mut self.workers {
            let _ = worker.child.wait();
        }
        self.read_markers();
    }
}

/// Every installation must still work: a keeper of our own, on our own connection, gets
/// each bot and user token and calls `auth.test` with it. Returns the keys that failed.
fn check_installations(
    args: &FleetArgs,
    options: &Options,
    dir: &Path,
    api: &str,
) -> Result<Vec<String>, String> {
    let check_store = AnyStore::<Installation>::open_with(&args.store, options)
        .map_err(|e| format!("opening the store: {e}"))?;
    let final_markers = OpenOptions::new()
        .create(true)
        .append(true)
        .open(marker_path(dir, "final"))
        .map_err(|e| e.to_string())?;
    let client = Client::new(crate::worker_api(api));
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
    Ok(lost)
}
