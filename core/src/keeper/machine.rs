//! [`Machine`]: one keeper call (load → lease → refresh → write back → merge) as a state
//! machine its caller drives.

use std::borrow::BorrowMut;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::decision::Decision;
use crate::keeper::{KeeperError, KeptToken, Renewable, Settings, StoreError};
use crate::method_trait::Method;
use crate::response::Reply;
use crate::secrets::RefreshToken;
use crate::store_traits::{Lease, Record, Swap};
use crate::transport;

/// The first pause while waiting for another holder's lease; pauses double up to
/// [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(2);
const MAX_PAUSE: Duration = Duration::from_millis(50);
/// The first pause before writing a refresh answer again after a store error; pauses double.
const FIRST_WRITE_PAUSE: Duration = Duration::from_millis(50);

/// What the driver must do next for a [`Machine`].
#[derive(Debug)]
pub enum Step<'a, R: Renewable> {
    /// Load the record under [`Machine::key`]; hand back [`Outcome::Loaded`].
    Load,
    /// Compare-and-swap the record under [`Machine::key`] from version `from`
    /// (`expected: Some(from)` in [`Store::compare_and_swap`](crate::Store::compare_and_swap));
    /// hand back [`Outcome::Swapped`].
    Swap {
        /// The version the record must be at.
        from: u64,
        /// What to write.
        value: &'a R,
        /// The lease to write with it (`None` drops any).
        lease: Option<&'a Lease>,
    },
    /// Send this refresh request to Slack; hand back [`Outcome::Called`].
    Call(&'a R::Refresh),
    /// Sleep this long; hand back [`Outcome::Waited`].
    Wait(Duration),
    /// The run is over: hand this to the caller. Asking again gives the same result.
    Done(Result<R::Token, KeeperError>),
}

/// What came of a [`Step`], handed back with [`Machine::handle`].
pub enum Outcome<R: Renewable> {
    /// The answer to [`Step::Load`].
    Loaded(Result<Option<Record<R>>, StoreError>),
    /// The answer to [`Step::Swap`].
    Swapped(Result<Swap, StoreError>),
    /// The answer to [`Step::Call`].
    Called(Result<Reply<<R::Refresh as Method>::Response>, transport::Error>),
    /// [`Step::Wait`] is over.
    Waited,
}

impl<R: Renewable> Outcome<R> {
    /// [`Outcome::Loaded`] of a store's answer.
    pub fn loaded<E>(loaded: Result<Option<Record<R>>, E>) -> Outcome<R>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Outcome::Loaded(loaded.map_err(crate::keeper::store_error))
    }

    /// [`Outcome::Swapped`] of a store's answer.
    pub fn swapped<E>(swapped: Result<Swap, E>) -> Outcome<R>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Outcome::Swapped(swapped.map_err(crate::keeper::store_error))
    }
}

/// What a key carries between runs, kept with the key's in-process lock: a refresh answer
/// not yet stored, the last run's failure, what is known of another holder's lease, and
/// the record version whose refresh token Slack refused.
pub struct KeyState<R: Renewable> {
    unsaved: Option<Unsaved<R>>,
    failure: Option<(KeptToken, KeeperError)>,
    watch: Option<Watch>,
    refused: Vec<Refused>,
}

impl<R: Renewable> KeyState<R> {
    /// An empty state.
    pub fn new() -> KeyState<R> {
        KeyState {
            unsaved: None,
            failure: None,
            watch: None,
            refused: Vec::new(),
        }
    }

    /// Whether it holds a refresh answer Slack gave but the store has not taken yet.
    pub fn has_unsaved(&self) -> bool {
        self.unsaved.is_some()
    }

    /// Whether it remembers a refresh token Slack refused, for a record not changed since:
    /// runs for that token end with the same needs-reinstall error without a lease or a
    /// refresh call, until the record changes.
    pub fn has_refused(&self) -> bool {
        !self.refused.is_empty()
    }

    /// Whether the next run for the key needs what it holds (an unsaved answer, a refused
    /// record): a keeper keeps the key's lock, and this state with it, while it does.
    pub fn is_worth_keeping(&self) -> bool {
        self.has_unsaved() || self.has_refused()
    }
}

impl<R: Renewable> Default for KeyState<R> {
    fn default() -> Self {
        KeyState::new()
    }
}

impl<R: Renewable> fmt::Debug for KeyState<R> {
    /// Never shows the unsaved answer (it holds tokens).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyState")
            .field("unsaved", &self.unsaved.is_some())
            .field("failure", &self.failure)
            .field("refused", &self.refused)
            .finish_non_exhaustive()
    }
}

/// A refresh answer Slack gave, to be written until the store takes it or shows newer tokens.
struct Unsaved<R: Renewable> {
    token: KeptToken,
    answer: <R::Refresh as Method>::Response,
    received_at: u64,
    /// The refresh token the refresh spent: while the store still holds it, ours goes in.
    spent: Option<RefreshToken>,
    /// The refresh token the answer brought: finding it stored means our write landed.
    fresh: Option<RefreshToken>,
    /// The new token, for the caller.
    new_token: R::Token,
    /// Store errors in a row while writing it.
    failures: u32,
}

/// Slack refused the refresh token of this `token` in the record at `version`, and the
/// machine concluded a reinstall is needed. Versions never repeat for a key
/// ([`Record::version`]), so while the store still has this version, the same spent refresh
/// token is all there is to present: no need to present it again. Holds no token.
#[derive(Debug)]
struct Refused {
    token: KeptToken,
    version: u64,
    error: KeeperError,
}

/// Another holder's lease, as first seen, and how long this process has waited on it since.
///
/// A lease is judged by local waiting only, never by comparing its `expires_at` with this
/// machine's clock, so clocks that disagree cannot make a live lease look lapsed.
#[derive(Debug)]
struct Watch {
    version: u64,
    holder: String,
    waited: Duration,
}

/// Why the machine asked for a load.
enum Load {
    /// The plain read at the start of a run, or after a wait.
    Fresh,
    /// Re-reading to write the unsaved answer (after a conflict, a store error or a resume).
    WriteBack,
    /// Slack refused the refresh token: did someone else refresh it?
    Refused {
        refused: Option<RefreshToken>,
        error: Arc<transport::Error>,
        /// The version the run leased, and the version its lease wrote.
        from: u64,
        leased: u64,
        took_over: bool,
        /// How long we have waited since for the lease's earlier holder.
        waited: Duration,
    },
    /// The refresh may or may not have reached Slack.
    Unknown {
        sent: Option<RefreshToken>,
        error: Arc<transport::Error>,
    },
}

enum State<R: Renewable> {
    Loading(Load),
    Taking {
        record: Record<R>,
        request: R::Refresh,
        lease: Lease,
        took_over: bool,
    },
    Calling {
        record: Record<R>,
        leased: u64,
        request: R::Refresh,
        took_over: bool,
    },
    Writing {
        expected: u64,
        next: R,
    },
    Releasing {
        expected: u64,
        value: R,
        then: KeeperError,
        /// Whether `then` concludes that the record's refresh token is spent (remembered
        /// in the [`KeyState`] once the release is done).
        refused: bool,
        /// The version other tokens' refusals were remembered at, to move to the released
        /// version: only our own lease was written since.
        carry: Option<u64>,
    },
    Waiting {
        pause: Duration,
        then: Load,
    },
    Done(Result<R::Token, KeeperError>),
}

/// One keeper call for one token of one key, as a sans-IO state machine: it asks for store
/// loads, compare-and-swaps, the refresh call and waits ([`Machine::step`]), takes each
/// outcome back with the time ([`Machine::handle`]), and ends with the token or a
/// [`KeeperError`].
///
/// Drive it with the key's in-process lock held (its [`KeyState`] lives under that lock), so
/// that one run per key and process is in flight. What it guarantees:
/// - a token not due is handed out as stored;
/// - a due token is refreshed under a [`Lease`] taken by compare-and-swap, so processes
///   sharing the store refresh it once; the others wait and use the stored result;
/// - a successful refresh answer is never dropped: a conflicting write is merged onto the
///   newer record (unless that record has newer tokens), a failing store is retried with
///   bounded backoff, and an answer still unsaved stays in the [`KeyState`], written first by the
///   next run for the key;
/// - after `invalid_refresh_token` the record is read again: `needs_reinstall` only when
///   the stored refresh token is still the refused one and nobody else holds a lease;
/// - a refresh whose outcome is unknown (timeout, broken connection) is not resent: the
///   record is re-read and the error says the token may be spent;
/// - another holder's lease is taken over only after this process has seen it unchanged
///   for [`Settings::lease`] of its own waits: no clock comparison, so any clock skew
///   between machines is tolerated;
/// - [`KeeperError::Busy`] once the waits asked for add up to [`Settings::wait`].
pub struct Machine<R: Renewable, B: BorrowMut<KeyState<R>> = KeyState<R>> {
    key_state: B,
    settings: Settings,
    key: String,
    token: KeptToken,
    state: State<R>,
    waited: Duration,
    pause: Duration,
}

impl<R: Renewable, B: BorrowMut<KeyState<R>>> Machine<R, B> {
    /// A run for the `token` of `key`, carrying the key's `key_state` (a `&mut KeyState` under the
    /// key's lock, or an owned one taken back with [`Machine::into_state`]).
    ///
    /// `after_other_run`: whether another run for this key finished while this caller
    /// queued for the lock; if that run failed for the same token, its failure is shared
    /// instead of repeating the call (a spent refresh token, a rate limit).
    pub fn new(
        mut key_state: B,
        settings: &Settings,
        key: &str,
        token: KeptToken,
        after_other_run: bool,
    ) -> Machine<R, B> {
        let carried = key_state.borrow_mut();
        let state = if !R::TOKENS.contains(&token) {
            State::Done(Err(KeeperError::WrongToken {
                key: key.to_owned(),
                token,
            }))
        } else if let Some((_, failure)) = carried
            .failure
            .as_ref()
            .filter(|(failed, _)| after_other_run && *failed == token)
        {
            State::Done(Err(failure.clone()))
        } else if carried.unsaved.is_some() {
            State::Loading(Load::WriteBack)
        } else {
            State::Loading(Load::Fresh)
        };
        Machine {
            key_state,
            settings: settings.clone(),
            key: key.to_owned(),
            token,
            state,
            waited: Duration::ZERO,
            pause: FIRST_PAUSE,
        }
    }

    /// Starts the run from `record`, loaded by the caller just before it took the key's lock
    /// (a due token in [`check`](crate::keeper::check)), instead of loading it again.
    ///
    /// Ignored unless the run would begin with a plain load (no unsaved answer to write
    /// first, no failure shared); call it only when no other run for the key finished while
    /// the caller queued, or the record is likely stale. A stale record costs nothing in
    /// safety: the lease is taken by compare-and-swap, which fails on it and makes the run
    /// load again.
    pub fn start_from(&mut self, record: Record<R>, now: u64) {
        if matches!(self.state, State::Loading(Load::Fresh)) {
            self.handle(Outcome::Loaded(Ok(Some(record))), now);
        }
    }

    /// The key's state, to carry to the key's next run.
    pub fn into_state(self) -> B {
        self.key_state
    }

    /// The key this run is for: every load and swap is of this key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The sum of the waits asked for so far.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// What to do next.
    pub fn step(&self) -> Step<'_, R> {
        match &self.state {
            State::Loading(_) => Step::Load,
            State::Taking { record, lease, .. } => Step::Swap {
                from: record.version,
                value: &record.value,
                lease: Some(lease),
            },
            State::Calling { request, .. } => Step::Call(request),
            State::Writing { expected, next } => Step::Swap {
                from: *expected,
                value: next,
                lease: None,
            },
            State::Releasing {
                expected, value, ..
            } => Step::Swap {
                from: *expected,
                value,
                lease: None,
            },
            State::Waiting { pause, .. } => Step::Wait(*pause),
            State::Done(result) => Step::Done(result.clone()),
        }
    }

    /// Takes the outcome of the last [`Step`], at `now` (Unix seconds of the driver's clock).
    /// An outcome that does not answer the last step is ignored, and the step stays.
    pub fn handle(&mut self, outcome: Outcome<R>, now: u64) {
        let state = std::mem::replace(&mut self.state, State::Loading(Load::Fresh));
        self.state = match (state, outcome) {
            (State::Loading(load), Outcome::Loaded(loaded)) => self.loaded(load, loaded, now),
            (
                State::Taking {
                    record,
                    request,
                    took_over,
                    ..
                },
                Outcome::Swapped(Ok(Swap::Stored { version })),
            ) => State::Calling {
                record,
                leased: version,
                request,
                took_over,
            },
            (State::Taking { .. }, Outcome::Swapped(Ok(Swap::Conflict))) => {
                // Someone wrote just now: look again shortly.
                self.wait(Load::Fresh, true)
            }
            (State::Taking { .. }, Outcome::Swapped(Err(e))) => {
                self.done(Err(KeeperError::Store(e)))
            }
            (
                State::Calling {
                    record,
                    leased,
                    took_over,
                    ..
                },
                Outcome::Called(called),
            ) => self.called(record, leased, took_over, called, now),
            (State::Writing { .. }, Outcome::Swapped(Ok(Swap::Stored { .. }))) => self.saved(),
            (State::Writing { .. }, Outcome::Swapped(Ok(Swap::Conflict))) => {
                State::Loading(Load::WriteBack)
            }
            (State::Writing { .. }, Outcome::Swapped(Err(e))) => self.write_failed(e),
            (
                State::Releasing {
                    then,
                    refused,
                    carry,
                    ..
                },
                Outcome::Swapped(swapped),
            ) => {
                if let (true, Ok(Swap::Stored { version })) = (refused, swapped) {
                    // Only once our lease is gone: a lease left behind must not outlive the
                    // next call's attempt to drop it.
                    self.remember_refused(version, carry, &then);
                }
                // Best effort: a lease left behind is taken over once seen long enough.
                self.done(Err(then))
            }
            (State::Waiting { pause, then }, Outcome::Waited) => {
                self.waited += pause;
                if let (Load::Fresh, Some(watch)) = (&then, &mut self.key_state.borrow_mut().watch)
                {
                    watch.waited += pause;
                }
                State::Loading(then)
            }
            (state, _) => state,
        };
    }

    fn loaded(
        &mut self,
        load: Load,
        loaded: Result<Option<Record<R>>, StoreError>,
        now: u64,
    ) -> State<R> {
        let record = match loaded {
            Ok(Some(record)) => record,
            Ok(None) => {
                // Deleted (uninstalled) meanwhile: an unsaved answer has nowhere to go.
                let carried = self.key_state.borrow_mut();
                carried.unsaved = None;
                carried.refused.clear();
                return self.done(Err(KeeperError::NotFound {
                    key: self.key.clone(),
                }));
            }
            Err(e) => {
                return match load {
                    Load::WriteBack => self.write_failed(e),
                    // Not knowing whether someone else refreshed, never say "reinstall".
                    Load::Fresh | Load::Refused { .. } => self.done(Err(KeeperError::Store(e))),
                    Load::Unknown { error, .. } => self.done(Err(self.refresh_error(error))),
                };
            }
        };
        match load {
            Load::Fresh => self.consider(record, now),
            Load::WriteBack => self.merge(record, now),
            Load::Refused {
                refused,
                error,
                from,
                leased,
                took_over,
                waited,
            } => {
                if R::refresh_token(&record.value, self.token) != refused.as_ref()
                    || self.foreign_lease(&record)
                {
                    // Someone else refreshed (or reinstalled), or is refreshing: their
                    // tokens, not a reinstall.
                    return self.consider(record, now);
                }
                if took_over && waited < self.settings.lease_duration() {
                    // We took the lease over from a holder that may still be writing the
                    // answer its refresh got: give it a lease's time before concluding.
                    let pause = self.next_pause();
                    return State::Waiting {
                        pause,
                        then: Load::Refused {
                            refused,
                            error,
                            from,
                            leased,
                            took_over,
                            waited: waited + pause,
                        },
                    };
                }
                let error = self.refresh_error(error);
                self.conclude_refused(record, from, leased, error)
            }
            Load::Unknown { sent, error } => {
                if R::refresh_token(&record.value, self.token) != sent.as_ref()
                    || self.foreign_lease(&record)
                {
                    return self.consider(record, now);
                }
                let error = self.refresh_error(error);
                self.release_if_ours(record, error)
            }
        }
    }

    /// Hands out the stored token, or refreshes it under a lease, or waits for another's.
    fn consider(&mut self, record: Record<R>, now: u64) -> State<R> {
        // A changed record (a reinstall, another's refresh) has a new version.
        let current = record.version;
        self.key_state
            .borrow_mut()
            .refused
            .retain(|r| r.version == current);
        let request = match record
            .value
            .decide(&self.key, self.token, now, self.settings.margin)
        {
            Err(e) => return self.done(Err(e)),
            Ok(Decision::Use(token)) => {
                self.key_state.borrow_mut().watch = None;
                return self.done(Ok(token));
            }
            Ok(Decision::Refresh(request)) => request,
        };
        if let Some(error) = self.still_refused(record.version) {
            // The same spent refresh token again: Slack would refuse it again.
            return self.done(Err(error));
        }
        let foreign = record
            .lease
            .as_ref()
            .filter(|l| l.holder != self.settings.holder);
        let took_over = foreign.is_some();
        if let Some(lease) = foreign {
            let watch = &mut self.key_state.borrow_mut().watch;
            let same = watch
                .as_ref()
                .is_some_and(|w| w.version == record.version && w.holder == lease.holder);
            if !same {
                *watch = Some(Watch {
                    version: record.version,
                    holder: lease.holder.clone(),
                    waited: Duration::ZERO,
                });
            }
            let seen = watch.as_ref().map_or(Duration::ZERO, |w| w.waited);
            if seen < self.settings.lease_duration() {
                return self.wait(Load::Fresh, true);
            }
            // Unchanged for a whole lease of our own waiting: its holder died or hung.
        }
        self.key_state.borrow_mut().watch = None;
        let lease = Lease {
            holder: self.settings.holder.clone(),
            expires_at: now.saturating_add(self.settings.lease),
        };
        State::Taking {
            record,
            request,
            lease,
            took_over,
        }
    }

    fn called(
        &mut self,
        record: Record<R>,
        leased: u64,
        took_over: bool,
        called: Result<Reply<<R::Refresh as Method>::Response>, transport::Error>,
        now: u64,
    ) -> State<R> {
        let spent = R::refresh_token(&record.value, self.token).cloned();
        let answer = match called {
            Ok(reply) => reply.value,
            Err(error) => {
                let error = Arc::new(error);
                if error.slack().is_some_and(|e| e.needs_reinstall()) {
                    return State::Loading(Load::Refused {
                        refused: spent,
                        error,
                        from: record.version,
                        leased,
                        took_over,
                        waited: Duration::ZERO,
                    });
                }
                if matches!(*error, transport::Error::Timeout | transport::Error::Io(_)) {
                    return State::Loading(Load::Unknown { sent: spent, error });
                }
                let error = self.refresh_error(error);
                return self.release(leased, record.value, error);
            }
        };
        let mut next = record.value.clone();
        match next.apply(&self.key, self.token, &answer, now) {
            Ok(new_token) => {
                self.key_state.borrow_mut().unsaved = Some(Unsaved {
                    token: self.token,
                    fresh: R::refresh_token(&next, self.token).cloned(),
                    answer,
                    received_at: now,
                    spent,
                    new_token,
                    failures: 0,
                });
                State::Writing {
                    expected: leased,
                    next,
                }
            }
            Err(e) => self.release(leased, record.value, e),
        }
    }

    /// Writes the unsaved answer onto `current`, unless the store already has it or newer
    /// tokens.
    fn merge(&mut self, current: Record<R>, now: u64) -> State<R> {
        let Some(unsaved) = &mut self.key_state.borrow_mut().unsaved else {
            return self.consider(current, now);
        };
        let stored = R::refresh_token(&current.value, unsaved.token);
        if stored.is_some() && stored == unsaved.fresh.as_ref() {
            // An earlier write that reported an error did land.
            return self.saved();
        }
        if stored != unsaved.spent.as_ref() {
            // Refreshed by someone else or reinstalled meanwhile: the store's tokens win.
            self.key_state.borrow_mut().unsaved = None;
            return self.consider(current, now);
        }
        // Only other fields changed (the other token, say): ours still goes in.
        let mut next = current.value.clone();
        match next.apply(
            &self.key,
            unsaved.token,
            &unsaved.answer,
            unsaved.received_at,
        ) {
            Ok(new_token) => {
                unsaved.new_token = new_token;
                State::Writing {
                    expected: current.version,
                    next,
                }
            }
            Err(e) => {
                self.key_state.borrow_mut().unsaved = None;
                self.done(Err(e))
            }
        }
    }

    /// The unsaved answer is stored: hand out its token, or go on with this run's own token.
    fn saved(&mut self) -> State<R> {
        match self.key_state.borrow_mut().unsaved.take() {
            Some(unsaved) if unsaved.token == self.token => self.done(Ok(unsaved.new_token)),
            _ => State::Loading(Load::Fresh),
        }
    }

    fn write_failed(&mut self, error: StoreError) -> State<R> {
        let Some(unsaved) = &mut self.key_state.borrow_mut().unsaved else {
            return self.done(Err(KeeperError::Store(error)));
        };
        unsaved.failures += 1;
        if unsaved.failures > self.settings.write_retries {
            // Kept in the carried: the next run for this key starts by writing it.
            unsaved.failures = 0;
            return self.done(Err(KeeperError::Unsaved {
                key: self.key.clone(),
                error,
            }));
        }
        let pause = FIRST_WRITE_PAUSE.saturating_mul(1 << (unsaved.failures - 1).min(16));
        State::Waiting {
            pause,
            then: Load::WriteBack,
        }
    }

    /// Drops our lease from the leased version so others need not wait for it, and ends
    /// with `error`.
    fn release(&mut self, expected: u64, value: R, error: KeeperError) -> State<R> {
        State::Releasing {
            expected,
            value,
            then: error,
            refused: false,
            carry: None,
        }
    }

    /// Ends with `error` (Slack refused `record`'s refresh token, and nobody else has
    /// refreshed it), dropping our lease if `record` holds it, and remembers the refusal.
    ///
    /// `from` is the version the run leased, `leased` the version its lease wrote: when
    /// `record` is still at `leased`, only our lease changed it, so refusals of other tokens
    /// remembered at `from` still hold.
    fn conclude_refused(
        &mut self,
        record: Record<R>,
        from: u64,
        leased: u64,
        error: KeeperError,
    ) -> State<R> {
        let carry = (record.version == leased).then_some(from);
        let ours = record
            .lease
            .as_ref()
            .is_some_and(|l| l.holder == self.settings.holder);
        if ours {
            State::Releasing {
                expected: record.version,
                value: record.value,
                then: error,
                refused: true,
                carry,
            }
        } else {
            self.remember_refused(record.version, carry, &error);
            self.done(Err(error))
        }
    }

    /// Remembers that Slack refused this run's refresh token in the record at `version`,
    /// moving other tokens' refusals remembered at `carry` to it and forgetting any others.
    fn remember_refused(&mut self, version: u64, carry: Option<u64>, error: &KeeperError) {
        let token = self.token;
        let refused = &mut self.key_state.borrow_mut().refused;
        refused.retain(|r| r.token != token && Some(r.version) == carry);
        for r in refused.iter_mut() {
            r.version = version;
        }
        if error.needs_reinstall() {
            refused.push(Refused {
                token,
                version,
                error: error.clone(),
            });
        }
    }

    /// The needs-reinstall error of an earlier refusal of this token's refresh token in
    /// the record at `version`.
    fn still_refused(&self, version: u64) -> Option<KeeperError> {
        self.key_state
            .borrow()
            .refused
            .iter()
            .find(|r| r.token == self.token && r.version == version)
            .map(|r| r.error.clone())
    }

    /// [`Machine::release`] when `record` holds our lease; else just ends with `error`.
    fn release_if_ours(&mut self, record: Record<R>, error: KeeperError) -> State<R> {
        let ours = record
            .lease
            .as_ref()
            .is_some_and(|l| l.holder == self.settings.holder);
        if ours {
            self.release(record.version, record.value, error)
        } else {
            self.done(Err(error))
        }
    }

    fn wait(&mut self, then: Load, busy_after_budget: bool) -> State<R> {
        if busy_after_budget && self.waited >= self.settings.wait {
            return self.done(Err(KeeperError::Busy {
                key: self.key.clone(),
            }));
        }
        let pause = self.next_pause();
        State::Waiting { pause, then }
    }

    fn next_pause(&mut self) -> Duration {
        let pause = self.pause;
        self.pause = (self.pause * 2).min(MAX_PAUSE);
        pause
    }

    fn foreign_lease(&self, record: &Record<R>) -> bool {
        record
            .lease
            .as_ref()
            .is_some_and(|l| l.holder != self.settings.holder)
    }

    fn refresh_error(&self, error: Arc<transport::Error>) -> KeeperError {
        KeeperError::Refresh {
            key: self.key.clone(),
            token: self.token,
            error,
        }
    }

    fn finish(&mut self, result: &Result<R::Token, KeeperError>) {
        self.key_state.borrow_mut().failure =
            result.as_ref().err().map(|e| (self.token, e.clone()));
    }

    fn done(&mut self, result: Result<R::Token, KeeperError>) -> State<R> {
        self.finish(&result);
        State::Done(result)
    }
}
