//! The system clock the keepers of slack-oauth's transports read unless given another, and a
//! cheap reading never behind it. `slack-oauth-core` reads no clock (its keeper protocol takes
//! the time as an argument); the transports' keepers read this one, so it lives once, here.
//!
//! ```
//! let (now, bound) = (slack_oauth_clock::system(), slack_oauth_clock::not_behind());
//! assert!(bound.is_none_or(|bound| bound >= now));
//! ```

#![forbid(unsafe_code)]

use std::time::SystemTime;

#[cfg(any(target_os = "linux", target_os = "android"))]
use rustix::time::{clock_gettime, ClockId};
use slack_oauth_core::unix_seconds;

/// The default clock of every transport's keeper: Unix seconds of the system clock.
pub fn system() -> u64 {
    unix_seconds(SystemTime::now())
}

/// A reading never behind [`system`], for a client's `not_behind` (the cheap reading a keeper
/// tries first on its fresh path): Linux's coarse clock through [`coarse_bound`]; elsewhere
/// `None`, and the exact clock decides every call.
pub fn not_behind() -> Option<u64> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return coarse_bound(clock_gettime(ClockId::RealtimeCoarse).tv_sec);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    None
}

/// [`not_behind`]'s reading from the seconds of Linux's `CLOCK_REALTIME_COARSE`
/// (clock_gettime(2)): the system clock as of the last timer tick, read from memory the kernel
/// maps into the process without the exact clock's hardware counter, at a fraction of its
/// cost. It lags the exact clock by at most a few ticks (milliseconds), so 2 seconds more are
/// never behind it. `None` for a time before 1970.
pub fn coarse_bound(coarse_seconds: i64) -> Option<u64> {
    /// Far above the coarse clock's lag of a few timer ticks.
    const SLACK: u64 = 2;
    u64::try_from(coarse_seconds).ok()?.checked_add(SLACK)
}

// The README's Rust examples run as doctests of this crate (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coarse_bound_is_never_behind_the_system_clock() {
        // Across two turns of the second, where a lagging coarse clock would show. The
        // exact clock is read after the bound, so it can only have moved on.
        let start = system();
        while system() < start + 2 {
            let bound = not_behind();
            let exact = system();
            if let Some(bound) = bound {
                assert!(bound >= exact, "{bound} < {exact}");
                assert!(bound <= exact + 2, "{bound} far ahead of {exact}");
            }
        }
    }

    #[test]
    fn the_coarse_bound_adds_its_slack() {
        assert_eq!(coarse_bound(1_700_000_000), Some(1_700_000_002));
        assert_eq!(coarse_bound(-1), None);
        assert_eq!(coarse_bound(i64::MAX), Some(i64::MAX as u64 + 2));
    }
}
