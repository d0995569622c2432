//! `slack-oauth-fleet`: many worker processes keeping thousands of installations alive on
//! one store, against the simulator on 127.0.0.1; with kills, and with the naive approach
//! beside it. See the guide docs/fleet.md.

// The summary is one `json!` literal.
#![recursion_limit = "256"]

mod args;
mod conductor;
mod counting;
mod ledger;
mod simulator;
mod summary;
mod worker;

use std::path::PathBuf;
use std::process::ExitCode;

use slack_oauth_core::{Api, ClientCredentials};

/// The simulated app's credentials (fakes). Not the simulator's demo app (`111.222`), so a
/// running simulator given with `--sim` keeps that one as it was.
pub(crate) const CLIENT_ID: &str = "111.333";
pub(crate) const CLIENT_SECRET: &str = "fleet-app-secret";
pub(crate) const REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// The store key of workspace `i`.
pub(crate) fn installation_key(i: usize) -> String {
    format!("W{i:05}")
}

pub(crate) fn worker_api(base: &str) -> Api {
    Api::new()
        .with_base_url(base)
        .expect("the simulator's loopback URL")
        .with_credentials(ClientCredentials::new(CLIENT_ID, CLIENT_SECRET))
}

const USAGE: &str = "\
slack-oauth-fleet: many processes keeping many installations alive on one store

USAGE:
    slack-oauth-fleet --store URL [--sim URL] [--processes 8] [--installations 1000] [--windows 10]
                      [--kill-every SECONDS] [--max-kills 10] [--naive]
                      [--ttl 30] [--margin TTL/2] [--lease 5] [--user-share 0.25]
                      [--max-seconds S] [--namespace NS] [--json-only]

    --store URL        sqlite:PATH, postgres://..., mysql://... or redis://...
    --sim URL          use the simulator running at URL (loopback only, e.g.
                       http://127.0.0.1:8080) instead of starting one: the fleet registers
                       its app there (client id 111.333, rotating tokens living --ttl) and
                       puts it on the wall clock through POST /_sim/config; it should serve
                       nobody else meanwhile (its stats are read as the fleet's)
    --ttl S            the simulator's rotating token lifetime; one window is TTL - margin
    --margin S         the keeper's refresh margin (at most TTL/2)
    --lease S          the keeper's refresh lease
    --kill-every S     SIGKILL a random worker every S seconds (at most --max-kills) and
                       start a new one
    --naive            load, refresh if due, save: no lease, no compare-and-swap
Prints one JSON summary line, then a table (unless --json-only).
";

fn value<T: std::str::FromStr>(
    flag: &str,
    args: &mut impl Iterator<Item = String>,
) -> Result<T, String> {
    let raw = args.next().ok_or(format!("{flag} needs a value"))?;
    raw.parse()
        .map_err(|_| format!("{flag}: cannot read {raw:?}"))
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    let result = if args.peek().map(String::as_str) == Some("worker") {
        args.next();
        worker_main(args)
    } else {
        fleet_main(args)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("slack-oauth-fleet: {message}");
            ExitCode::from(2)
        }
    }
}

fn fleet_main(mut args: impl Iterator<Item = String>) -> Result<(), String> {
    let mut fleet = args::FleetArgs {
        store: String::new(),
        sim: None,
        namespace: None,
        processes: 8,
        installations: 1000,
        windows: 10,
        kill_every: None,
        max_kills: 10,
        naive: false,
        ttl: 30,
        margin: 0,
        lease: 5,
        user_share: 0.25,
        max_seconds: None,
        table: true,
    };
    let mut margin = None;
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(());
            }
            "--store" => fleet.store = value(&flag, &mut args)?,
            "--sim" => fleet.sim = Some(value(&flag, &mut args)?),
            "--namespace" => fleet.namespace = Some(value(&flag, &mut args)?),
            "--processes" => fleet.processes = value(&flag, &mut args)?,
            "--installations" => fleet.installations = value(&flag, &mut args)?,
            "--windows" => fleet.windows = value(&flag, &mut args)?,
            "--kill-every" => fleet.kill_every = Some(value(&flag, &mut args)?),
            "--max-kills" => fleet.max_kills = value(&flag, &mut args)?,
            "--naive" => fleet.naive = true,
            "--ttl" => fleet.ttl = value(&flag, &mut args)?,
            "--margin" => margin = Some(value(&flag, &mut args)?),
            "--lease" => fleet.lease = value(&flag, &mut args)?,
            "--user-share" => fleet.user_share = value(&flag, &mut args)?,
            "--max-seconds" => fleet.max_seconds = Some(value(&flag, &mut args)?),
            "--json-only" => fleet.table = false,
            other => return Err(format!("unknown argument {other}\n\n{USAGE}")),
        }
    }
    if fleet.store.is_empty() {
        return Err(format!("--store is required\n\n{USAGE}"));
    }
    if fleet.processes == 0 || fleet.installations == 0 || fleet.ttl < 2 {
        return Err("--processes and --installations must be positive, --ttl at least 2".into());
    }
    if let Some(url) = &fleet.sim {
        // Refused before anything is installed or started.
        simulator::loopback_origin(url)?;
    }
    fleet.margin = margin.unwrap_or(fleet.ttl / 2).min(fleet.ttl / 2);
    let summary = conductor::run(fleet.clone())?;
    println!("{summary}");
    if fleet.table {
        print!("{}", summary::table(&summary));
    }
    Ok(())
}

fn worker_main(mut args: impl Iterator<Item = String>) -> Result<(), String> {
    let mut w = worker::WorkerArgs {
        store: String::new(),
        namespace: String::new(),
        api: String::new(),
        installations: 0,
        dir: PathBuf::new(),
        id: 0,
        margin: 0,
        lease: 5,
        naive: false,
        user_share: 0.25,
    };
    while let Some(flag) = args.next() {
        match flag.as_str() {
            "--store" => w.store = value(&flag, &mut args)?,
            "--namespace" => w.namespace = value(&flag, &mut args)?,
            "--api" => w.api = value(&flag, &mut args)?,
            "--installations" => w.installations = value(&flag, &mut args)?,
            "--dir" => w.dir = value(&flag, &mut args)?,
            "--id" => w.id = value(&flag, &mut args)?,
            "--margin" => w.margin = value(&flag, &mut args)?,
            "--lease" => w.lease = value(&flag, &mut args)?,
            "--user-share" => w.user_share = value(&flag, &mut args)?,
            "--naive" => w.naive = true,
            other => return Err(format!("worker: unknown argument {other}")),
        }
    }
    if w.installations == 0 {
        return Err("worker: --installations must be positive".into());
    }
    worker::run(w)
}
