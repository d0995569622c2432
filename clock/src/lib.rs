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
#[cfg(any(target_os = "linux", target_os = "android"))]
use slack_oauth_core::keeper::coarse_bound;
use slack_oauth_core::unix_seconds;

/// The default clock of every transport's keeper: Unix seconds of the system clock.
pub fn system() -> u64 {
    unix_seconds(SystemTime::now())
}

/// A reading never behind [`system`], for a keeper's [`Parts::with_bound`]: Linux's coarse clock
/// through [`coarse_bound`]; elsewhere `None`, and the exact clock decides every call.
///
/// [`Parts::with_bound`]: slack_oauth_core::keeper::Parts::with_bound
pub fn not_behind() -> Option<u64> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return coarse_bound(clock_gettime(ClockId::RealtimeCoarse).tv_sec);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    None
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
}
