//! The system clock a keeper reads unless given another, and a cheap reading never behind it.

use std::sync::{Arc, LazyLock};
use std::time::SystemTime;

use slack_oauth_core::keeper::Clock;
use slack_oauth_core::unix_seconds;

/// The default clock of every keeper: Unix seconds of the system clock. One shared value,
/// so that a keeper can tell it from a clock set with `with_clock`: only for this one may
/// [`not_behind`] stand in.
pub(crate) static SYSTEM: LazyLock<Clock> =
    LazyLock::new(|| Arc::new(|| unix_seconds(SystemTime::now())));

/// Seconds added to the coarse clock: it lags the exact one by at most a few timer ticks
/// (milliseconds; the kernel takes over the update when a tick stalls), far below this.
#[cfg(any(target_os = "linux", target_os = "android"))]
const SLACK: u64 = 2;

/// Unix seconds that [`SYSTEM`] has not passed: the kernel's `CLOCK_REALTIME_COARSE`
/// (clock_gettime(2): the system clock as of the last timer tick, read from memory the
/// kernel maps into the process, without the exact clock's hardware counter) plus
/// [`SLACK`]. About a seventh of the exact clock's cost, which dominates a fresh-token call;
/// a token fresh beyond this second is fresh on the exact clock too. `None` where the
/// system has no such clock.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn not_behind() -> Option<u64> {
    use rustix::time::{clock_gettime, ClockId};
    let coarse = clock_gettime(ClockId::RealtimeCoarse).tv_sec;
    u64::try_from(coarse).ok().map(|seconds| seconds + SLACK)
}

/// No coarse clock here: the exact clock decides every call.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn not_behind() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coarse_bound_is_never_behind_the_system_clock() {
        // Across two turns of the second, where a lagging coarse clock would show. The
        // exact clock is read after the bound, so it can only have moved on.
        let start = SYSTEM();
        while SYSTEM() < start + 2 {
            let bound = not_behind();
            let exact = SYSTEM();
            if let Some(bound) = bound {
                assert!(bound >= exact, "{bound} < {exact}");
                assert!(bound <= exact + SLACK, "{bound} far ahead of {exact}");
            }
        }
    }

    #[test]
    fn a_cached_token_is_never_handed_out_once_its_margin_begins() {
        use slack_oauth_core::oauth_v2::Access;
        use slack_oauth_core::{parse, Api, ClientCredentials, Installation, KeeperError};
        use slack_oauth_core::{MemoryStore, Store};

        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let start = SYSTEM();
        let answer = br#"{"ok":true,"access_token":"xoxe.xoxb-1-A","token_type":"bot",
            "expires_in":4,"refresh_token":"xoxe-1-R","team":{"id":"T1"}}"#;
        let answer = parse::<Access, _>(&http::Response::new(answer))
            .unwrap()
            .value;
        let until = start + 3; // expires at start + 4, the margin is 1 s
        let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
        let store = std::sync::Arc::new(MemoryStore::new());
        let keeper = crate::Keeper::new(crate::Client::new(api), std::sync::Arc::clone(&store));
        let keeper = keeper.with_margin(1);
        let installed = Installation::from_access(answer, start).unwrap();
        runtime.block_on(async {
            keeper.save("T1", &installed).await.unwrap();
            assert!(
                keeper.bot_token("T1").await.is_ok(),
                "cached by the first call"
            );
            // Behind the keeper's back: from now on only the cache can answer.
            store.delete("T1").unwrap();
            loop {
                let before = SYSTEM();
                match keeper.bot_token("T1").await {
                    Ok(_) => assert!(
                        before < until,
                        "handed out at {before}, fresh until {until}"
                    ),
                    Err(KeeperError::NotFound { .. }) => break,
                    Err(other) => panic!("{other}"),
                }
            }
        });
        assert!(SYSTEM() >= until, "forgotten before its margin began");
    }
}
