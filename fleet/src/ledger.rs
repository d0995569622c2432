//! What the workers' marker files say: every refresh taken, answered, stored or failed, per
//! rotation window; and, after a kill, whether the kill cost an installation.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use slack_oauth_core::{Installation, Store, TokenType};
use slack_oauth_store::AnyStore;

use crate::installation_key;
use crate::simulator::Simulator;

/// A refresh a process has in flight: key, token type, expiry replaced, answer read.
pub(crate) type InFlight = (String, TokenType, u64, bool);

/// What the markers say so far.
#[derive(Default)]
pub(crate) struct Ledger {
    /// (key, token type, expiry replaced) → (stored, failed, lost to a kill).
    pub(crate) windows: HashMap<(String, TokenType, u64), [u64; 3]>,
    /// (key, token type) → refreshes stored.
    pub(crate) stored: HashMap<(String, TokenType), u64>,
    /// Installations a keeper said need a reinstall.
    reinstall: HashSet<String>,
    /// Per marker file: bytes read, the unfinished line, the refresh in flight.
    pub(crate) files: HashMap<PathBuf, (u64, String, Option<InFlight>)>,
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
    pub(crate) fn read(&mut self, path: &Path) {
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

    pub(crate) fn in_flight(&self, path: &Path) -> Option<InFlight> {
        self.files.get(path).and_then(|e| e.2.clone())
    }

    pub(crate) fn done(&self, installations: usize, windows: usize, user: bool) -> bool {
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
pub(crate) struct Kill {
    worker: usize,
    /// `idle` (no refresh in flight), `in_flight_unanswered` (Slack never spent the refresh
    /// token), `landed` (the write landed), `after_answer` (answer read, write not stored),
    /// `answer_unread` (Slack answered, the process died before reading it), `unjudged`
    /// (the simulator could not be asked whether the stored refresh token is spent),
    /// `already_lost` (the refresh was of a window an earlier kill had already cost).
    pub(crate) outcome: &'static str,
    pub(crate) key: Option<String>,
    pub(crate) cost: usize,
}

/// After a kill: was a refresh in flight, and did Slack spend its refresh token without the
/// store getting the new pair?
pub(crate) fn judge_kill(
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
