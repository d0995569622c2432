//! Scenario tests of the keeper protocol: workers (each a process with its own clock and
//! [`KeyState`]) drive [`Machine`]s against a fake store and a fake Slack on simulated time, in
//! one thread. No sockets, no sleeping: twelve token lifetimes run in milliseconds.

use std::collections::BTreeMap;
use std::io;

use super::queue::{KeyLock, Queue};
use super::*;
use crate::memory_store::MemoryStore;
use crate::oauth_v2::{Access, AccessRefresh, AccessResponse};
use crate::store_traits::{Lease, Store, Swap};
use crate::{parse, transport, Api, ClientCredentials, Installation, Reply, TokenType};

/// When the simulation starts (Unix seconds, true time).
const START: u64 = 1_700_000_000;
const LIFETIME: u64 = 43_200;
const KEY: &str = "T1";

/// Slack's side: one refresh-token chain for the bot token of `T1`.
struct Slack {
    /// The refresh token Slack will accept next.
    live: String,
    serial: u64,
    /// Successful refreshes.
    refreshes: u64,
    /// Refused refreshes (`invalid_refresh_token`).
    refused: u64,
    /// Faults for the next calls, in order.
    faults: Vec<Fault>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    /// Answer 429 without spending the token.
    RateLimited,
    /// Spend the token and refresh, but the answer never arrives.
    LostAnswer,
}

impl Slack {
    fn new() -> Slack {
        Slack {
            live: "xoxe-1-R0".into(),
            serial: 0,
            refreshes: 0,
            refused: 0,
            faults: Vec::new(),
        }
    }

    fn token(serial: u64) -> String {
        format!("xoxe.xoxb-1-N{serial}")
    }

    /// Serves one `oauth.v2.access` refresh request.
    fn serve(
        &mut self,
        request: &AccessRefresh,
    ) -> Result<Reply<AccessResponse>, transport::Error> {
        let api = Api::new().with_credentials(ClientCredentials::new("1.2", "secret"));
        let body = api.request(request).unwrap().into_body();
        let form: BTreeMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap();
        let sent = &form["refresh_token"];
        let fault = (!self.faults.is_empty()).then(|| self.faults.remove(0));
        if fault == Some(Fault::RateLimited) {
            let mut response =
                http::Response::new(br#"{"ok":false,"error":"ratelimited"}"#.to_vec());
            *response.status_mut() = http::StatusCode::TOO_MANY_REQUESTS;
            response
                .headers_mut()
                .insert("retry-after", http::HeaderValue::from_static("3"));
            return Err(transport::Error::Response(
                parse::<Access, _>(&response).unwrap_err(),
            ));
        }
        if *sent != self.live {
            self.refused += 1;
            let response =
                http::Response::new(br#"{"ok":false,"error":"invalid_refresh_token"}"#.to_vec());
            return Err(transport::Error::Response(
                parse::<Access, _>(&response).unwrap_err(),
            ));
        }
        self.serial += 1;
        self.refreshes += 1;
        self.live = format!("xoxe-1-R{}", self.serial);
        if fault == Some(Fault::LostAnswer) {
            return Err(transport::Error::Timeout);
        }
        let json = format!(
            r#"{{"ok":true,"access_token":"{}","token_type":"bot","expires_in":{LIFETIME},
            "refresh_token":"{}","team":{{"id":"T1"}}}}"#,
            Slack::token(self.serial),
            self.live
        );
        Ok(parse::<Access, _>(&http::Response::new(json.into_bytes())).unwrap())
    }
}

/// The shared store, with faults a test can arm.
struct Shared {
    memory: MemoryStore<Installation>,
    /// Leaseless swaps of an existing record (write-backs and releases) that fail.
    failing_writes: u32,
    /// Such swaps that are applied but still report an error (the reply was lost).
    lost_write_replies: u32,
    loads: u64,
}

#[derive(Debug)]
struct Broken;

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by the store")
    }
}

impl std::error::Error for Broken {}

impl Shared {
    fn new() -> Shared {
        let answer: AccessResponse = serde_json::from_str(&format!(
            r#"{{"access_token":"{}","token_type":"bot","expires_in":{LIFETIME},
            "refresh_token":"xoxe-1-R0","team":{{"id":"T1"}}}}"#,
            Slack::token(0)
        ))
        .unwrap();
        let memory = MemoryStore::new();
        memory
            .put(KEY, &Installation::from_access(answer, START).unwrap())
            .unwrap();
        Shared {
            memory,
            failing_writes: 0,
            lost_write_replies: 0,
            loads: 0,
        }
    }

    fn load(&mut self) -> Outcome<Installation> {
        self.loads += 1;
        Outcome::loaded(self.memory.load(KEY))
    }

    fn swap(
        &mut self,
        from: u64,
        value: &Installation,
        lease: Option<&Lease>,
    ) -> Outcome<Installation> {
        let write = lease.is_none();
        if write && self.failing_writes > 0 {
            self.failing_writes -= 1;
            return Outcome::Swapped(Err(keeper_store_error()));
        }
        let swapped = self.memory.compare_and_swap(KEY, Some(from), value, lease);
        if write && self.lost_write_replies > 0 && swapped.is_ok() {
            self.lost_write_replies -= 1;
            return Outcome::Swapped(Err(keeper_store_error()));
        }
        Outcome::swapped(swapped)
    }

    fn stored(&self) -> Record<Installation> {
        self.memory.load(KEY).unwrap().unwrap()
    }

    fn bot(&self) -> (String, String) {
        let bot = self.stored().value.bot.unwrap();
        (
            bot.token.expose().to_owned(),
            bot.refresh_token.unwrap().expose().to_owned(),
        )
    }
}

fn keeper_store_error() -> StoreError {
    store_error(io::Error::new(io::ErrorKind::ConnectionReset, Broken))
}

/// One process: its clock's offset from true time, its keeper settings and the key's slot.
struct Worker {
    offset: i64,
    settings: Settings,
    slot: Option<KeyState<Installation>>,
    run: Option<Machine<Installation>>,
    /// What to hand the machine at `next` (an answer in flight, a wait over).
    pending: Option<Outcome<Installation>>,
    /// True time of its next action, in milliseconds.
    next: u64,
    results: Vec<Result<String, KeeperError>>,
    /// Whether it asks again after each answer (else it asks once).
    polling: bool,
}

impl Worker {
    fn new(n: usize, offset: i64) -> Worker {
        Worker {
            offset,
            settings: Settings::new(format!("worker {n}")),
            slot: Some(KeyState::new()),
            run: None,
            pending: None,
            next: START * 1000,
            results: Vec::new(),
            polling: false,
        }
    }

    fn clock(&self, ms: u64) -> u64 {
        (ms / 1000).saturating_add_signed(self.offset)
    }
}

/// Something that happens to the store at a true time (milliseconds), from outside.
type Meddle = Box<dyn FnOnce(&mut Shared)>;

struct World {
    slack: Slack,
    store: Shared,
    workers: Vec<Worker>,
    /// How long Slack takes to answer a refresh, in milliseconds.
    latency: u64,
    /// How often a polling worker asks, in milliseconds.
    poll: u64,
    meddles: Vec<(u64, Meddle)>,
    now: u64,
}

impl World {
    fn new(offsets: &[i64]) -> World {
        World {
            slack: Slack::new(),
            store: Shared::new(),
            workers: offsets
                .iter()
                .enumerate()
                .map(|(n, &o)| Worker::new(n, o))
                .collect(),
            latency: 300,
            poll: 60_000,
            meddles: Vec::new(),
            now: START * 1000,
        }
    }

    /// True time in milliseconds at `seconds` after the start.
    fn at(seconds: u64) -> u64 {
        (START + seconds) * 1000
    }

    fn meddle(&mut self, at: u64, act: impl FnOnce(&mut Shared) + 'static) {
        self.meddles.push((at, Box::new(act)));
    }

    /// Runs until true time `end` (ms): every non-polling worker asks once, at its `next`.
    fn run_until(&mut self, end: u64) {
        loop {
            let Some((index, at)) = self
                .workers
                .iter()
                .enumerate()
                .filter(|(_, w)| w.run.is_some() || w.polling || w.results.is_empty())
                .map(|(i, w)| (i, w.next))
                .min_by_key(|&(i, at)| (at, i))
            else {
                return;
            };
            if let Some(m) = self.meddles.iter().position(|(when, _)| *when <= at) {
                let (when, act) = self.meddles.remove(m);
                self.now = self.now.max(when);
                act(&mut self.store);
                continue;
            }
            let idle = self.workers[index].run.is_none();
            if at > end && idle {
                return;
            }
            self.now = at;
            self.act(index);
        }
    }

    fn act(&mut self, index: usize) {
        let now_ms = self.now;
        let worker = &mut self.workers[index];
        let now = worker.clock(now_ms);
        if worker.run.is_none() {
            // A new call: the lock-free look first, as the transports do.
            let checked = check(
                self.store.memory.load(KEY),
                &worker.settings,
                KEY,
                KeptToken::Bot,
                now,
            );
            match checked {
                Ok(Some(token)) => {
                    worker.results.push(Ok(token.expose().to_owned()));
                    worker.next = now_ms + self.poll;
                    return;
                }
                Err(e) => {
                    worker.results.push(Err(e));
                    worker.next = now_ms + self.poll;
                    return;
                }
                Ok(None) => {}
            }
            let slot = worker.slot.take().expect("the slot is home between runs");
            worker.run = Some(Machine::new(
                slot,
                &worker.settings,
                KEY,
                KeptToken::Bot,
                false,
            ));
        }
        let machine = worker.run.as_mut().unwrap();
        if let Some(outcome) = worker.pending.take() {
            machine.handle(outcome, now);
        }
        let outcome = match machine.step() {
            Step::Load => self.store.load(),
            Step::Swap { from, value, lease } => self.store.swap(from, value, lease),
            Step::Call(request) => {
                // Slack acts on arrival; the answer comes back `latency` later.
                worker.pending = Some(Outcome::Called(self.slack.serve(request)));
                worker.next = now_ms + self.latency;
                return;
            }
            Step::Wait(pause) => {
                worker.pending = Some(Outcome::Waited);
                worker.next = now_ms + u64::try_from(pause.as_millis()).unwrap().max(1);
                return;
            }
            Step::Done(result) => {
                let machine = worker.run.take().unwrap();
                worker.slot = Some(machine.into_state());
                worker.results.push(result.map(|t| t.expose().to_owned()));
                worker.next = now_ms + self.poll;
                return;
            }
        };
        // Store calls take a millisecond.
        worker.pending = Some(outcome);
        worker.next = now_ms + 1;
    }

    fn results(&self, worker: usize) -> &[Result<String, KeeperError>] {
        &self.workers[worker].results
    }

    fn all_results(&self) -> impl Iterator<Item = &Result<String, KeeperError>> {
        self.workers.iter().flat_map(|w| w.results.iter())
    }

    fn due(&mut self) -> u64 {
        World::at(LIFETIME - Installation::DEFAULT_REFRESH_MARGIN)
    }

    /// Puts a lease by `holder` on the stored record.
    fn lease(&mut self, holder: &str) {
        let record = self.store.stored();
        let lease = Lease {
            holder: holder.into(),
            expires_at: START + LIFETIME,
        };
        let swapped = self.store.memory.compare_and_swap(
            KEY,
            Some(record.version),
            &record.value,
            Some(&lease),
        );
        assert!(matches!(swapped, Ok(Swap::Stored { .. })));
    }
}

fn ok(result: &Result<String, KeeperError>) -> &str {
    match result {
        Ok(token) => token,
        Err(e) => panic!("expected a token, got {e}"),
    }
}

fn starting_at(world: &mut World, at: u64) {
    for worker in &mut world.workers {
        worker.next = at;
    }
}

#[test]
fn fresh_token_is_used_without_a_lock_or_a_refresh() {
    let mut world = World::new(&[0]);
    world.run_until(World::at(10));
    assert_eq!(ok(&world.results(0)[0]), Slack::token(0));
    assert_eq!(world.slack.refreshes, 0);
    assert_eq!(world.store.stored().lease, None);
}

#[test]
fn due_token_is_refreshed_and_stored_under_a_lease() {
    let mut world = World::new(&[0]);
    let due = world.due();
    starting_at(&mut world, due);
    world.run_until(due + 10_000);
    assert_eq!(ok(&world.results(0)[0]), Slack::token(1));
    assert_eq!(world.slack.refreshes, 1);
    let stored = world.store.stored();
    assert_eq!(stored.lease, None, "the write-back drops the lease");
    assert_eq!(world.store.bot(), (Slack::token(1), "xoxe-1-R1".into()));
}

#[test]
fn abandoned_lease_is_taken_over_after_a_lease_of_own_waiting() {
    let mut world = World::new(&[0]);
    let due = world.due();
    world.lease("a process that died");
    starting_at(&mut world, due);
    world.run_until(due + 300_000);
    assert_eq!(ok(&world.results(0)[0]), Slack::token(1));
    assert_eq!(world.slack.refreshes, 1);
    assert_eq!(world.store.stored().lease, None);
    // Not before it had waited a whole lease itself, although the lease's `expires_at` is far
    // in the future on every clock.
    let lease = Duration::from_secs(Settings::DEFAULT_LEASE);
    let waited = Duration::from_millis(world.now - due);
    assert!(waited >= lease, "{waited:?}");
    // Plus a millisecond per look at the store, a refresh and a write.
    assert!(waited < lease + Duration::from_secs(5), "{waited:?}");
}

#[test]
fn busy_is_decided_by_the_waits_asked_for() {
    let mut world = World::new(&[0]);
    let due = world.due();
    world.lease("a live process");
    world.workers[0].settings.wait = Duration::from_secs(1);
    starting_at(&mut world, due);
    world.run_until(due + 60_000);
    assert!(matches!(world.results(0)[0], Err(KeeperError::Busy { .. })));
    assert!(world.results(0)[0].as_ref().unwrap_err().is_retryable());
    // The waits add up to the budget (plus a millisecond per store load).
    let elapsed = world.now - due;
    assert!((1_000..1_200).contains(&elapsed), "{elapsed}");
    assert_eq!(world.slack.refreshes, 0);
}

#[test]
fn reinstall_during_refresh_wins() {
    let mut world = World::new(&[0]);
    let due = world.due();
    world.latency = 5_000;
    starting_at(&mut world, due);
    // The workspace reinstalls while the refresh is in flight.
    world.meddle(due + 2_000, |store| {
        let answer: AccessResponse = serde_json::from_str(
            r#"{"access_token":"xoxe.xoxb-1-REINSTALLED","token_type":"bot","expires_in":43200,
            "refresh_token":"xoxe-1-REINSTALLED","team":{"id":"T1"}}"#,
        )
        .unwrap();
        let fresh = Installation::from_access(answer, START + LIFETIME - 3600).unwrap();
        store.memory.put(KEY, &fresh).unwrap();
    });
    world.run_until(due + 30_000);
    assert_eq!(ok(&world.results(0)[0]), "xoxe.xoxb-1-REINSTALLED");
    assert_eq!(world.store.bot().0, "xoxe.xoxb-1-REINSTALLED");
    assert_eq!(
        world.slack.refreshes, 1,
        "no second refresh after losing the swap"
    );
}

#[test]
fn unrelated_change_during_refresh_is_merged() {
    let mut world = World::new(&[0]);
    let due = world.due();
    world.latency = 5_000;
    starting_at(&mut world, due);
    world.meddle(due + 2_000, |store| {
        let mut record = store.stored();
        record.value.team_name = Some("Renamed Team".into());
        let lease = record.lease.clone();
        let swapped =
            store
                .memory
                .compare_and_swap(KEY, Some(record.version), &record.value, lease.as_ref());
        assert!(matches!(swapped, Ok(Swap::Stored { .. })));
    });
    world.run_until(due + 30_000);
    assert_eq!(ok(&world.results(0)[0]), Slack::token(1));
    let stored = world.store.stored();
    assert_eq!(stored.value.team_name.as_deref(), Some("Renamed Team"));
    assert_eq!(world.store.bot().0, Slack::token(1));
    assert_eq!(stored.lease, None);
}

#[test]
fn transient_failure_releases_the_lease() {
    let mut world = World::new(&[0]);
    let due = world.due();
    world.slack.faults.push(Fault::RateLimited);
    world.workers[0].polling = true;
    world.poll = 1_000;
    starting_at(&mut world, due);
    world.run_until(due + 1_500);
    let failure = world.results(0)[0].as_ref().unwrap_err();
    assert!(
        failure.is_retryable() && !failure.needs_reinstall(),
        "{failure}"
    );
    assert_eq!(failure.code().map(|c| c.as_str()), Some("ratelimited"));
    // Released at once, so the next ask (a second later) refreshes without waiting.
    assert_eq!(ok(&world.results(0)[1]), Slack::token(1));
    assert_eq!(world.store.stored().lease, None);
}

#[test]
fn spent_refresh_token_needs_reinstall() {
    let mut world = World::new(&[0]);
    let due = world.due();
    // Someone with a stale copy refreshed behind the store's back.
    world.slack.live = "xoxe-1-ELSEWHERE".into();
    starting_at(&mut world, due);
    world.run_until(due + 10_000);
    let failure = world.results(0)[0].as_ref().unwrap_err();
    assert!(failure.needs_reinstall(), "{failure}");
    assert!(!failure.is_retryable());
    assert_eq!(
        failure.code().map(|c| c.as_str()),
        Some("invalid_refresh_token")
    );
    assert!(!failure.to_string().contains("xoxe-1-R0"), "{failure}");
    let stored = world.store.stored();
    assert_eq!(stored.lease, None, "the failed refresh released its lease");
    assert_eq!(world.store.bot().1, "xoxe-1-R0");
}

/// A bot-token pair as Slack's `oauth.v2.access` answer gives it, received at `at`.
fn pair(access: &str, refresh: &str, at: u64) -> Installation {
    let answer: AccessResponse = serde_json::from_str(&format!(
        r#"{{"access_token":"{access}","token_type":"bot","expires_in":{LIFETIME},
        "refresh_token":"{refresh}","team":{{"id":"T1"}}}}"#
    ))
    .unwrap();
    Installation::from_access(answer, at).unwrap()
}

/// A world whose stored refresh token Slack has already seen spent (someone with a stale copy
/// refreshed behind the store's back), with one worker asking every 10 s from the due time.
fn spent_world() -> (World, u64) {
    let mut world = World::new(&[0]);
    let due = world.due();
    world.slack.live = "xoxe-1-ELSEWHERE".into();
    world.workers[0].polling = true;
    world.poll = 10_000;
    starting_at(&mut world, due);
    (world, due)
}

fn assert_needs_reinstall(result: &Result<String, KeeperError>) {
    let failure = result.as_ref().unwrap_err();
    assert!(failure.needs_reinstall(), "{failure}");
    assert_eq!(
        failure.code().map(|c| c.as_str()),
        Some("invalid_refresh_token")
    );
}

#[test]
fn a_refused_refresh_token_is_not_presented_again() {
    let (mut world, due) = spent_world();
    world.run_until(due + 5_000);
    assert_eq!(world.results(0).len(), 1);
    assert_needs_reinstall(&world.results(0)[0]);
    assert_eq!(world.slack.refused, 1);
    let after_first = world.store.stored();
    assert_eq!(after_first.lease, None);
    let slot = world.workers[0].slot.as_ref().unwrap();
    assert!(slot.has_refused() && slot.is_worth_keeping());
    let shown = format!("{slot:?}");
    assert!(!shown.contains("xoxe"), "{shown}");

    // Three more calls: the same error at once, from the slot.
    let loads = world.store.loads;
    world.run_until(due + 35_000);
    assert_eq!(world.results(0).len(), 4);
    for result in world.results(0) {
        assert_needs_reinstall(result);
    }
    assert_eq!(world.slack.refused, 1, "no second call to Slack");
    assert_eq!(world.slack.refreshes, 0);
    assert_eq!(
        world.store.stored(),
        after_first,
        "no lease written, nothing changed"
    );
    // Each call: the lock-free look, and one load under the lock.
    assert_eq!(world.store.loads, loads + 3);
}

#[test]
fn a_reinstall_after_a_refusal_is_refreshed_as_usual() {
    let (mut world, due) = spent_world();
    // The reinstall's refresh token is the one Slack accepts; its token is due already.
    world.slack.live = "xoxe-1-REINSTALLED".into();
    world.meddle(due + 15_000, |store| {
        let fresh = pair("xoxe.xoxb-1-REINSTALLED", "xoxe-1-REINSTALLED", START);
        store.memory.put(KEY, &fresh).unwrap();
    });
    world.run_until(due + 25_000);
    let results = world.results(0);
    assert_eq!(results.len(), 3);
    assert_needs_reinstall(&results[0]);
    assert_needs_reinstall(&results[1]);
    assert_eq!(ok(&results[2]), Slack::token(1));
    assert_eq!(world.slack.refused, 1);
    assert_eq!(world.slack.refreshes, 1);
    assert_eq!(world.store.bot(), (Slack::token(1), "xoxe-1-R1".into()));
    assert!(!world.workers[0].slot.as_ref().unwrap().has_refused());
}

#[test]
fn another_process_refreshing_after_a_refusal_is_used() {
    let (mut world, due) = spent_world();
    // The process that spent the token writes its pair after all, still due (a late write).
    world.meddle(due + 15_000, |store| {
        let mut record = store.stored();
        let answer = pair("xoxe.xoxb-1-OTHER", "xoxe-1-ELSEWHERE", START);
        record.value.bot = answer.bot;
        let swapped = store
            .memory
            .compare_and_swap(KEY, Some(record.version), &record.value, None);
        assert!(matches!(swapped, Ok(Swap::Stored { .. })));
    });
    // And later a fresh pair, used as stored.
    world.meddle(due + 35_000, |store| {
        let mut record = store.stored();
        record.value.bot = pair("xoxe.xoxb-1-LATER", "xoxe-1-LATER", START + LIFETIME).bot;
        store.memory.put(KEY, &record.value).unwrap();
    });
    world.run_until(due + 45_000);
    let results = world.results(0);
    assert_eq!(results.len(), 5);
    assert_needs_reinstall(&results[0]);
    assert_needs_reinstall(&results[1]);
    // Its refresh token is the one Slack accepts: refreshed as usual.
    assert_eq!(ok(&results[2]), Slack::token(1));
    assert_eq!(ok(&results[3]), Slack::token(1));
    assert_eq!(ok(&results[4]), "xoxe.xoxb-1-LATER");
    assert_eq!(world.slack.refused, 1);
    assert_eq!(world.slack.refreshes, 1);
    assert!(!world.workers[0].slot.as_ref().unwrap().has_refused());
}

#[test]
fn skew_beyond_the_lease_between_two_holders_refreshes_once() {
    // 300 s apart, more than the 120 s lease: judged by local waiting, no lease looks lapsed.
    // The holder's clock is behind: on the other's clock, its lease's `expires_at` has passed
    // the moment it is written.
    let mut world = World::new(&[150, -150]);
    let due = world.due();
    world.latency = 20_000;
    starting_at(&mut world, due + 151_000);
    world.workers[1].next = due + 150_000;
    world.run_until(due + 300_000);
    assert_eq!(world.slack.refreshes, 1);
    assert_eq!(world.slack.refused, 0);
    for worker in 0..2 {
        assert_eq!(ok(&world.results(worker)[0]), Slack::token(1));
    }
}

#[test]
fn store_error_on_write_back_keeps_the_answer_for_the_next_call() {
    let mut world = World::new(&[0]);
    let due = world.due();
    world.store.failing_writes = 100;
    world.workers[0].polling = true;
    world.poll = 10_000;
    starting_at(&mut world, due);
    world.run_until(due + 5_000);
    let failure = world.results(0)[0].as_ref().unwrap_err();
    assert!(matches!(failure, KeeperError::Unsaved { .. }), "{failure}");
    assert!(failure.is_retryable() && !failure.needs_reinstall());
    assert!(world.workers[0].slot.as_ref().unwrap().has_unsaved());
    // The store still has the spent refresh token.
    assert_eq!(world.store.bot().1, "xoxe-1-R0");

    // The store heals; the next call writes the kept answer before anything else.
    world.store.failing_writes = 0;
    world.run_until(due + 12_000);
    assert_eq!(ok(&world.results(0)[1]), Slack::token(1));
    assert_eq!(world.store.bot(), (Slack::token(1), "xoxe-1-R1".into()));
    assert_eq!(world.slack.refreshes, 1);
    assert_eq!(world.slack.refused, 0);
    assert!(!world.workers[0].slot.as_ref().unwrap().has_unsaved());
}

#[test]
fn brief_store_errors_on_write_back_are_retried() {
    let mut world = World::new(&[0]);
    let due = world.due();
    world.store.failing_writes = 2;
    starting_at(&mut world, due);
    world.run_until(due + 10_000);
    assert_eq!(ok(&world.results(0)[0]), Slack::token(1));
    assert_eq!(world.store.bot().0, Slack::token(1));
}

#[test]
fn a_write_that_landed_despite_an_error_is_recognised() {
    let mut world = World::new(&[0]);
    let due = world.due();
    world.store.lost_write_replies = 1;
    starting_at(&mut world, due);
    world.run_until(due + 10_000);
    assert_eq!(ok(&world.results(0)[0]), Slack::token(1));
    assert_eq!(world.store.bot().0, Slack::token(1));
    assert_eq!(world.slack.refreshes, 1);
}

#[test]
fn lease_overtaken_mid_refresh_tells_nobody_to_reinstall() {
    let mut world = World::new(&[0, 0]);
    let due = world.due();
    // Slack answers after 200 s, longer than the 120 s lease: the second worker takes the
    // lease over and refreshes with the already spent token.
    world.latency = 200_000;
    starting_at(&mut world, due);
    world.workers[1].next = due + 1_000;
    world.run_until(due + 900_000);
    assert_eq!(world.slack.refreshes, 1);
    assert_eq!(world.slack.refused, 1, "the overtaking refresh was refused");
    for worker in 0..2 {
        assert_eq!(
            ok(&world.results(worker)[0]),
            Slack::token(1),
            "worker {worker}"
        );
    }
    assert_eq!(world.store.bot(), (Slack::token(1), "xoxe-1-R1".into()));
    assert_eq!(world.store.stored().lease, None);
}

#[test]
fn unknown_outcome_is_re_read_not_resent() {
    let mut world = World::new(&[0]);
    let due = world.due();
    world.slack.faults.push(Fault::LostAnswer);
    starting_at(&mut world, due);
    world.run_until(due + 10_000);
    let failure = world.results(0)[0].as_ref().unwrap_err();
    assert!(failure.is_outcome_unknown(), "{failure}");
    assert!(!failure.needs_reinstall());
    assert!(failure.to_string().contains("may be spent"), "{failure}");
    // One call only: after the lost answer the store was read (the check, the first load,
    // then the re-read), not the token resent.
    assert_eq!(world.slack.refreshes + world.slack.refused, 1);
    assert_eq!(world.store.loads, 2);
    assert_eq!(world.store.stored().lease, None);
}

#[test]
fn unknown_outcome_then_someone_elses_write_is_used() {
    let mut world = World::new(&[0]);
    let due = world.due();
    world.slack.faults.push(Fault::LostAnswer);
    world.latency = 5_000;
    starting_at(&mut world, due);
    // While our answer is lost, another process stores a newer pair.
    world.meddle(due + 2_000, |store| {
        let mut record = store.stored();
        let answer: AccessResponse = serde_json::from_str(
            r#"{"access_token":"xoxe.xoxb-1-OTHER","token_type":"bot","expires_in":43200,
            "refresh_token":"xoxe-1-OTHER","team":{"id":"T1"}}"#,
        )
        .unwrap();
        record
            .value
            .apply_refresh(TokenType::Bot, &answer, START + LIFETIME - 3600)
            .unwrap();
        store.memory.put(KEY, &record.value).unwrap();
    });
    world.run_until(due + 30_000);
    assert_eq!(ok(&world.results(0)[0]), "xoxe.xoxb-1-OTHER");
}

#[test]
fn eight_skewed_workers_through_twelve_lifetimes_refresh_twelve_times() {
    let offsets = [-150, -107, -64, -21, 21, 64, 107, 150];
    let mut world = World::new(&offsets);
    world.latency = 2_000;
    world.poll = 30_000;
    for (n, worker) in world.workers.iter_mut().enumerate() {
        worker.polling = true;
        // Spread the asks over the poll interval.
        worker.next += n as u64 * 3_700;
    }
    // Refreshes come every lifetime minus margin; stop halfway to the thirteenth.
    let period = LIFETIME - Installation::DEFAULT_REFRESH_MARGIN;
    world.run_until(World::at(12 * period + period / 2));
    assert_eq!(world.slack.refreshes, 12);
    assert_eq!(world.slack.refused, 0);
    let mut asked = 0;
    for result in world.all_results() {
        asked += 1;
        if let Err(e) = result {
            assert!(!e.needs_reinstall(), "{e}");
            panic!("a caller failed: {e}");
        }
    }
    assert!(asked > 8 * 12 * 100, "{asked}");
    assert_eq!(world.store.bot().0, Slack::token(12));
}

#[test]
fn an_installation_keeper_has_no_configuration_token() {
    let mut slot = KeyState::<Installation>::new();
    let settings = Settings::new("w");
    let machine = Machine::new(&mut slot, &settings, KEY, KeptToken::Configuration, false);
    assert!(matches!(
        machine.step(),
        Step::Done(Err(KeeperError::WrongToken {
            token: KeptToken::Configuration,
            ..
        }))
    ));
}

#[test]
fn a_queue_keeps_a_key_whose_slot_is_worth_keeping() {
    let queue = std::sync::Arc::new(Queue::<KeyLock<KeyState<Installation>>>::new());
    drop(queue.enter(KEY));
    assert_eq!(queue.len(), 0, "an idle key's entry goes away");
    let place = queue.enter(KEY);
    place.keep(true);
    drop(place);
    assert_eq!(queue.len(), 1, "kept for the next call");
    let place = queue.enter(KEY);
    place.keep(false);
    drop(place);
    assert_eq!(queue.len(), 0);
}

/// Drives one run against `store` and a Slack that refuses every refresh token; counts the
/// calls it makes.
fn run_refused(
    store: &MemoryStore<Installation>,
    slot: &mut KeyState<Installation>,
    token: KeptToken,
    calls: &mut u64,
) -> Result<String, KeeperError> {
    let settings = Settings::new("w");
    let now = START + LIFETIME;
    let mut machine = Machine::new(slot, &settings, KEY, token, false);
    loop {
        let outcome = match machine.step() {
            Step::Load => Outcome::loaded(store.load(KEY)),
            Step::Swap { from, value, lease } => {
                Outcome::swapped(store.compare_and_swap(KEY, Some(from), value, lease))
            }
            Step::Call(_) => {
                *calls += 1;
                let response = http::Response::new(
                    br#"{"ok":false,"error":"invalid_refresh_token"}"#.to_vec(),
                );
                Outcome::Called(Err(transport::Error::Response(
                    parse::<Access, _>(&response).unwrap_err(),
                )))
            }
            Step::Wait(_) => Outcome::Waited,
            Step::Done(result) => return result.map(|t| t.expose().to_owned()),
        };
        machine.handle(outcome, now);
    }
}

#[test]
fn refusals_of_both_tokens_of_one_record_are_both_remembered() {
    let answer: AccessResponse = serde_json::from_str(&format!(
        r#"{{"access_token":"xoxe.xoxb-1-B","token_type":"bot","expires_in":{LIFETIME},
        "refresh_token":"xoxe-1-B","team":{{"id":"T1"}},
        "authed_user":{{"id":"U1","access_token":"xoxe.xoxp-1-U","token_type":"user",
        "expires_in":{LIFETIME},"refresh_token":"xoxe-1-U"}}}}"#
    ))
    .unwrap();
    let store = MemoryStore::new();
    store
        .put(KEY, &Installation::from_access(answer, START).unwrap())
        .unwrap();
    let (mut slot, mut calls) = (KeyState::new(), 0);
    for token in [KeptToken::Bot, KeptToken::User] {
        let failure = run_refused(&store, &mut slot, token, &mut calls).unwrap_err();
        assert!(failure.needs_reinstall(), "{failure}");
    }
    assert_eq!(calls, 2);
    // The user token's lease and release did not make the bot token's refusal forgotten.
    let stored = store.load(KEY).unwrap().unwrap();
    for token in [KeptToken::Bot, KeptToken::User, KeptToken::Bot] {
        let failure = run_refused(&store, &mut slot, token, &mut calls).unwrap_err();
        assert!(failure.needs_reinstall(), "{failure}");
        assert!(matches!(failure, KeeperError::Refresh { token: t, .. } if t == token));
    }
    assert_eq!(calls, 2, "no refused refresh token presented again");
    assert_eq!(store.load(KEY).unwrap().unwrap(), stored);
    let shown = format!("{slot:?}");
    assert!(!shown.contains("xoxe"), "{shown}");
}
