//! The run's summary: the JSON object the conductor prints, and the table after it.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use slack_oauth_core::TokenType;

use crate::args::FleetArgs;
use crate::installation_key;
use crate::ledger::{Kill, Ledger};
use crate::simulator::SimStats;
use crate::worker::Snapshot;

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

/// What a run measured, for [`summarize`].
pub struct Run<'a> {
    pub install_time: Duration,
    pub run_time: Duration,
    pub timed_out: bool,
    pub ledger: &'a Ledger,
    pub kills: &'a [Kill],
    /// The installations the final check found not working.
    pub lost: &'a [String],
    /// How many workers were started (their files are numbered `0..workers`).
    pub workers: usize,
    pub stats_before_check: SimStats,
    pub stats: SimStats,
}

/// The workers' snapshots (`snapshot-ID.json`), added up.
fn total_snapshot(dir: &Path, workers: usize) -> Snapshot {
    let mut total = Snapshot::default();
    for id in 0..workers {
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
    total
}

/// The JSON summary of a run.
pub fn summarize(args: &FleetArgs, dir: &Path, simulator: Value, run: Run<'_>) -> Value {
    let Run {
        install_time,
        run_time,
        timed_out,
        ledger,
        kills,
        lost,
        workers: next_id,
        stats_before_check,
        stats,
    } = run;
    let total = total_snapshot(dir, next_id);
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
    json!({
        "store": args.store.split(':').next().unwrap_or(""),
        "mode": if args.naive { "naive" } else { "keeper" },
        "simulator": simulator,
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
    })
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
