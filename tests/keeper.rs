//! Token keepers of both transports against the simulator on 127.0.0.1: one suite
//! (`keeper/suite.rs`), run once per transport enabled by features, plus what only the async
//! keeper has (cancellation, async stores).
//!
//! `cargo test --test keeper` runs it for ureq; add `--features hyper` (or `--all-features`)
//! for hyper too.

#[path = "keeper/harness.rs"]
mod harness;
#[path = "keeper/suite.rs"]
mod suite;

#[path = "keeper/tests_for.rs"]
#[macro_use]
mod tests_for;

/// One `#[test]` per suite function for the harness `$h`.
macro_rules! transport_suite {
    ($h:ty) => {
        macro_rules! with_harness {
            ($name:ident) => {
                crate::suite::$name::<$h>()
            };
        }

        tests_for!(with_harness:
            fresh_token_needs_no_refresh,
            thirty_two_callers_share_one_refresh,
            two_keepers_one_store_one_refresh,
            spent_refresh_token_needs_reinstall,
            bot_and_user_rotate_independently,
            config_tokens_rotate_once,
            live_lease_waits_and_watched_lease_is_taken_over,
            reinstall_during_refresh_wins,
            unrelated_change_during_refresh_is_merged,
            transient_failure_releases_the_lease,
            unknown_key_is_not_found,
            fresh_user_token_by_bot_key_is_a_cache_hit,
        );
    };
}

#[cfg(feature = "ureq")]
mod ureq {
    transport_suite!(crate::harness::Ureq);

    use std::io;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    use slack_oauth::ureq::{Client, Keeper};
    use slack_oauth::{
        keeper::KeeperError,
        store::{Lease, Record, Swap},
        Installation, MemoryStore, Store,
    };

    use crate::suite::World;

    /// A memory store whose write-backs (leaseless swaps of an existing record) fail while
    /// `failing` is above zero, as a store connection that keeps resetting would.
    struct Flaky {
        inner: Arc<MemoryStore<Installation>>,
        failing: AtomicU32,
    }

    impl Store<Installation> for Flaky {
        type Error = io::Error;

        fn load(&self, key: &str) -> io::Result<Option<Record<Installation>>> {
            Ok(self.inner.load(key).unwrap())
        }

        fn compare_and_swap(
            &self,
            key: &str,
            expected: Option<u64>,
            value: &Installation,
            lease: Option<&Lease>,
        ) -> io::Result<Swap> {
            let write_back = lease.is_none() && expected.is_some();
            if write_back && self.failing.load(Ordering::Relaxed) > 0 {
                self.failing.fetch_sub(1, Ordering::Relaxed);
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "store reset",
                ));
            }
            Ok(self
                .inner
                .compare_and_swap(key, expected, value, lease)
                .unwrap())
        }

        fn delete(&self, key: &str) -> io::Result<bool> {
            Ok(self.inner.delete(key).unwrap())
        }

        fn keys(&self, prefix: &str) -> io::Result<Vec<String>> {
            Ok(self.inner.keys(prefix).unwrap())
        }
    }

    /// Slack's answer to a refresh is the only copy of the new pair: when the store keeps
    /// failing its write, the call says so, and the next call (made after the first one has
    /// returned, with nobody waiting in between) writes that answer first instead of sending
    /// the spent refresh token again.
    #[test]
    fn an_unsaved_answer_is_written_by_the_next_call() {
        let world = World::new();
        let store = Arc::new(Flaky {
            inner: world.memory.clone(),
            // More than the keeper's write retries: the first call gives up on the write.
            failing: AtomicU32::new(100),
        });
        let sim = world.sim.clone();
        let keeper = Keeper::new(Client::new(world.api.clone()), Arc::clone(&store))
            .with_clock(move || sim.now());
        world.make_due();
        let before = world.stored();

        let unsaved = keeper.bot_token(&world.key).unwrap_err();
        assert!(
            matches!(unsaved, KeeperError::Unsaved { .. }),
            "{unsaved:?}"
        );
        assert_eq!(world.refreshes(), 1);
        // The store still holds the spent pair, under the lease of the call that refreshed.
        assert_eq!(world.stored().value.bot, before.value.bot);

        store.failing.store(0, Ordering::Relaxed);
        let token = keeper.bot_token(&world.key).unwrap();
        assert_eq!(
            world.refreshes(),
            1,
            "the spent refresh token was sent again"
        );
        let stored = world.stored();
        let bot = stored.value.bot.as_ref().unwrap();
        assert_eq!(bot.token.expose(), token.expose());
        assert_ne!(stored.value.bot, before.value.bot);
        assert_eq!(stored.lease, None);
    }
}

#[cfg(feature = "hyper")]
mod hyper {
    transport_suite!(crate::harness::Hyper);

    use std::convert::Infallible;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    use slack_oauth::hyper::{Client, Keeper};
    use slack_oauth::{
        store::{Lease, Record, Swap},
        AsyncStore, Installation, MemoryStore, Store,
    };
    use slack_oauth_sim::{Fault, TokenStatus};

    use crate::harness::runtime;
    use crate::suite::World;

    /// A caller that gives up mid-refresh (a request timeout, a dropped handler) must not
    /// lose the refresh: its refresh token is spent either way.
    #[test]
    fn cancelled_caller_does_not_lose_the_refresh() {
        let world = World::new();
        let sim = world.sim.clone();
        let keeper = {
            let _inside = runtime().enter();
            Keeper::new(Client::new(world.api.clone()), world.memory.clone())
                .with_clock(move || sim.now())
        };
        world.make_due();
        world.sim.inject(
            "oauth.v2.access",
            Fault::Delay(Duration::from_millis(300)),
            1,
        );
        runtime().block_on(async {
            let gave_up =
                tokio::time::timeout(Duration::from_millis(50), keeper.bot_token(&world.key)).await;
            assert!(gave_up.is_err(), "the caller should have timed out");
            // The next caller waits for the refresh already in flight instead of starting
            // another with the spent refresh token.
            let token = keeper.bot_token(&world.key).await.unwrap();
            assert_eq!(world.refreshes(), 1);
            assert_eq!(world.sim.token_status(token.expose()), TokenStatus::Active);
            let stored = world.stored();
            assert_eq!(stored.value.bot.as_ref().unwrap().token, token);
            assert_eq!(stored.lease, None);
        });
    }

    /// A store with an async client of its own (here: one that yields before every
    /// operation and counts them) plugs straight into the async keeper.
    struct YieldingStore {
        inner: MemoryStore<Installation>,
        operations: AtomicU64,
    }

    impl AsyncStore<Installation> for YieldingStore {
        type Error = Infallible;

        async fn load(&self, key: &str) -> Result<Option<Record<Installation>>, Infallible> {
            self.operations.fetch_add(1, Ordering::Relaxed);
            tokio::task::yield_now().await;
            Store::load(&self.inner, key)
        }

        async fn compare_and_swap(
            &self,
            key: &str,
            expected: Option<u64>,
            value: &Installation,
            lease: Option<&Lease>,
        ) -> Result<Swap, Infallible> {
            self.operations.fetch_add(1, Ordering::Relaxed);
            tokio::task::yield_now().await;
            Store::compare_and_swap(&self.inner, key, expected, value, lease)
        }

        async fn delete(&self, key: &str) -> Result<bool, Infallible> {
            tokio::task::yield_now().await;
            Store::delete(&self.inner, key)
        }

        async fn put(&self, key: &str, value: &Installation) -> Result<u64, Infallible> {
            tokio::task::yield_now().await;
            Store::put(&self.inner, key, value)
        }

        async fn keys(&self, prefix: &str) -> Result<Vec<String>, Infallible> {
            tokio::task::yield_now().await;
            Store::keys(&self.inner, prefix)
        }
    }

    #[test]
    fn async_store_of_ones_own() {
        let world = World::new();
        let store = YieldingStore {
            inner: MemoryStore::new(),
            operations: AtomicU64::new(0),
        };
        let sim = world.sim.clone();
        let keeper = {
            let _inside = runtime().enter();
            Keeper::new(Client::new(world.api.clone()), store).with_clock(move || sim.now())
        };
        runtime().block_on(async {
            // The bot record's key, as the keeper stores an installation.
            let key = keeper.install(&world.installed).await.unwrap();
            world.make_due();
            let tasks: Vec<_> = (0..32)
                .map(|_| {
                    let (keeper, key) = (keeper.clone(), key.clone());
                    tokio::spawn(async move { keeper.bot_token(&key).await })
                })
                .collect();
            let mut tokens = Vec::new();
            for task in tasks {
                tokens.push(task.await.unwrap().unwrap());
            }
            assert!(tokens.iter().all(|t| *t == tokens[0]));
            assert_eq!(world.refreshes(), 1);
            assert!(keeper.store().operations.load(Ordering::Relaxed) >= 32);
            assert_eq!(
                keeper.load(&key).await.unwrap().bot.unwrap().token,
                tokens[0]
            );
            assert!(keeper.delete(&key).await.unwrap());
            assert!(keeper.bot_token(&key).await.is_err());
        });
    }
}
