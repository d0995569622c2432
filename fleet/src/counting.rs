//! [`Counting`]: a store wrapper that counts round trips and writes the refresh markers the
//! conductor reads to account for every refresh, and for kills that land mid-refresh.
//!
//! The keeper's refresh shows in its store traffic: a compare-and-swap that takes a lease
//! (the refresh request goes out next), then a compare-and-swap without a lease over the
//! leased version. That second write carries a new refresh token when Slack answered (the
//! write-back) and the old one when the refresh failed (the lease is released). The wrapper
//! writes one marker line before and after each of these, unbuffered, so a `SIGKILL` cannot
//! lose a line the process got to write (the kernel holds it):
//!
//! - `L key type exp ms`: lease taken; the refresh request is about to be sent.
//! - `A key type exp ms`: Slack's answer is in hand; the write-back is about to be sent.
//! - `S key type exp ms`: the write-back is stored.
//! - `F key type exp ms`: the refresh failed and the lease was released.
//! - `X key type 0 ms`: the keeper said the installation needs a reinstall.
//!
//! `exp` is the expiry of the token being replaced: it names the rotation window, so two
//! refreshes of one window share it.

use std::cell::Cell;
use std::fs::File;
use std::io::Write;
use std::sync::Mutex;

use slack_oauth_core::{
    store::{Lease, Record, Swap},
    Installation, Store, TokenType,
};

thread_local! {
    static TRIPS: Cell<u64> = const { Cell::new(0) };
    static LEASED: Cell<bool> = const { Cell::new(false) };
}

/// Store round trips made on this thread so far.
pub fn trips() -> u64 {
    TRIPS.with(Cell::get)
}

/// Whether this thread took a refresh lease since the last [`take_leased`], and clears it.
pub fn take_leased() -> bool {
    LEASED.with(|l| l.replace(false))
}

/// Marks this thread's current call as one that refreshed (the naive path takes no lease).
pub fn set_leased() {
    LEASED.with(|l| l.set(true));
}

fn trip() {
    TRIPS.with(|t| t.set(t.get() + 1));
}

/// Milliseconds since the Unix epoch, for marker lines.
pub fn unix_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// The marker file of one process: lines appended with one `write` each.
pub struct Markers(Mutex<File>);

impl Markers {
    /// Appends to `file`.
    pub fn new(file: File) -> Markers {
        Markers(Mutex::new(file))
    }

    /// Writes one marker line (see the module docs).
    pub fn mark(&self, tag: char, key: &str, which: TokenType, exp: u64) {
        let line = format!("{tag} {key} {} {exp} {}\n", which.as_str(), unix_ms());
        let mut file = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // One write per line: a kill leaves whole lines behind, never half of one.
        let _ = file.write_all(line.as_bytes());
    }
}

/// The refresh this process has in flight: what the leased record held.
struct InFlight {
    key: String,
    which: TokenType,
    version: u64,
    exp: u64,
    refresh_token: Option<String>,
}

/// Counts every round trip to `S` (per thread) and marks the keeper's refreshes.
pub struct Counting<S> {
    inner: S,
    markers: Markers,
    /// The token type the current keeper call asks for, set by the caller.
    which: Mutex<TokenType>,
    in_flight: Mutex<Option<InFlight>>,
}

impl<S> Counting<S> {
    /// Wraps `inner`, writing markers to `markers`.
    pub fn new(inner: S, markers: Markers) -> Counting<S> {
        Counting {
            inner,
            markers,
            which: Mutex::new(TokenType::Bot),
            in_flight: Mutex::new(None),
        }
    }

    /// Says which token the next keeper call asks for (the store does not see it).
    pub fn asking_for(&self, which: TokenType) {
        *self.which.lock().unwrap_or_else(|e| e.into_inner()) = which;
    }

    /// The markers, for the worker's own lines.
    pub fn markers(&self) -> &Markers {
        &self.markers
    }
}

fn exp_of(value: &Installation, which: TokenType) -> u64 {
    value.token(which).and_then(|t| t.expires_at).unwrap_or(0)
}

fn refresh_of(value: &Installation, which: TokenType) -> Option<String> {
    value
        .token(which)
        .and_then(|t| t.refresh_token.as_ref())
        .map(|r| r.expose().to_owned())
}

impl<S: Store<Installation>> Store<Installation> for Counting<S> {
    type Error = S::Error;

    fn load(&self, key: &str) -> Result<Option<Record<Installation>>, S::Error> {
        trip();
        self.inner.load(key)
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &Installation,
        lease: Option<&Lease>,
    ) -> Result<Swap, S::Error> {
        trip();
        let which = *self.which.lock().unwrap_or_else(|e| e.into_inner());
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if lease.is_some() {
            let swap = self.inner.compare_and_swap(key, expected, value, lease)?;
            if let Swap::Stored { version } = swap {
                let exp = exp_of(value, which);
                self.markers.mark('L', key, which, exp);
                LEASED.with(|l| l.set(true));
                *in_flight = Some(InFlight {
                    key: key.to_owned(),
                    which,
                    version,
                    exp,
                    refresh_token: refresh_of(value, which),
                });
            }
            return Ok(swap);
        }
        let ours = in_flight
            .as_ref()
            .filter(|f| f.key == key && f.which == which);
        let Some(flight) = ours else {
            return self.inner.compare_and_swap(key, expected, value, lease);
        };
        let answered = refresh_of(value, which) != flight.refresh_token;
        let exp = flight.exp;
        if answered {
            self.markers.mark('A', key, which, exp);
        }
        let swap = self.inner.compare_and_swap(key, expected, value, lease)?;
        if let Swap::Stored { .. } = swap {
            self.markers
                .mark(if answered { 'S' } else { 'F' }, key, which, exp);
            *in_flight = None;
        } else if expected == Some(flight.version) && !answered {
            // A release that lost: the lease lapsed and someone else wrote.
            self.markers.mark('F', key, which, exp);
            *in_flight = None;
        }
        Ok(swap)
    }

    fn delete(&self, key: &str) -> Result<bool, S::Error> {
        trip();
        self.inner.delete(key)
    }

    fn put(&self, key: &str, value: &Installation) -> Result<u64, S::Error> {
        trip();
        self.inner.put(key, value)
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>, S::Error> {
        trip();
        self.inner.keys(prefix)
    }
}
