//! One interface over both keepers, so the suite is written once and run for each transport.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use slack_oauth::{Api, ConfigTokens, Installation, MemoryStore, Store, TokenType};
use slack_oauth_sim::Sim;

/// Any store of installations, so tests can wrap the memory store to meddle with it.
pub type DynStore = Arc<dyn Store<Installation, Error = Infallible> + Send + Sync>;

/// A keeper error reduced to what the suite asserts, the same for both transports.
#[derive(Debug, Clone)]
pub struct Failure {
    /// `not_found`, `installation`, `refresh`, `store`, `busy`, `cancelled`.
    pub kind: &'static str,
    pub needs_reinstall: bool,
    pub retryable: bool,
    /// Slack's error code, when Slack answered.
    pub code: Option<String>,
    /// `Display` and `Debug` of the original error, to check that no secret leaks.
    pub text: String,
}

/// A keeper of installations under test, plus whatever it needs to run.
pub trait Harness: Clone + Send + Sync + Sized + 'static {
    /// A keeper over `store` whose clock is the simulator's.
    fn new(api: Api, store: DynStore, sim: &Sim) -> Self;
    fn with_wait(self, wait: Duration) -> Self;
    fn with_lease(self, seconds: u64) -> Self;
    fn token(&self, key: &str, token_type: TokenType) -> Result<String, Failure>;
    /// Forgets what the keeper knows of `key` in this process.
    fn invalidate(&self, key: &str);
    /// `callers` threads or tasks, released together, each asking one of `keepers` in turn.
    fn many(
        keepers: &[Self],
        callers: usize,
        key: &str,
        token_type: TokenType,
    ) -> Vec<Result<String, Failure>>;
    /// `callers` concurrent askers for the configuration token under `key`, through one
    /// config-token keeper over `store`.
    fn config_tokens(
        api: Api,
        store: Arc<MemoryStore<ConfigTokens>>,
        sim: &Sim,
        callers: usize,
        key: &str,
    ) -> Vec<Result<String, Failure>>;
}

/// Both keepers report failures with core's shared `KeeperError`.
impl From<slack_oauth::keeper::KeeperError> for Failure {
    fn from(e: slack_oauth::keeper::KeeperError) -> Failure {
        use slack_oauth::keeper::KeeperError as E;
        let kind = match &e {
            E::NotFound { .. } => "not_found",
            E::Installation { .. } => "installation",
            E::Refresh { .. } => "refresh",
            E::Store(_) => "store",
            E::Busy { .. } => "busy",
            _ => "cancelled",
        };
        Failure {
            kind,
            needs_reinstall: e.needs_reinstall(),
            retryable: e.is_retryable(),
            code: e
                .slack()
                .and_then(|s| s.code())
                .map(|c| c.as_str().to_owned()),
            text: format!("{e} / {e:?}"),
        }
    }
}

#[cfg(feature = "ureq")]
pub use self::ureq_harness::Ureq;

#[cfg(feature = "ureq")]
mod ureq_harness {
    use super::*;
    use slack_oauth::ureq::{Client, Keeper};
    use std::sync::Barrier;

    #[derive(Clone)]
    pub struct Ureq(pub Keeper<Installation, DynStore>);

    impl Harness for Ureq {
        fn new(api: Api, store: DynStore, sim: &Sim) -> Self {
            let sim = sim.clone();
            Ureq(Keeper::new(Client::new(api), store).with_clock(move || sim.now()))
        }

        fn with_wait(self, wait: Duration) -> Self {
            Ureq(self.0.with_wait(wait))
        }

        fn with_lease(self, seconds: u64) -> Self {
            Ureq(self.0.with_lease(seconds))
        }

        fn token(&self, key: &str, token_type: TokenType) -> Result<String, Failure> {
            Ok(self.0.token(key, token_type)?.into_exposed())
        }

        fn invalidate(&self, key: &str) {
            self.0.invalidate(key);
        }

        fn many(
            keepers: &[Self],
            callers: usize,
            key: &str,
            token_type: TokenType,
        ) -> Vec<Result<String, Failure>> {
            let start = Barrier::new(callers);
            std::thread::scope(|s| {
                let threads: Vec<_> = (0..callers)
                    .map(|i| {
                        let (keeper, start) = (&keepers[i % keepers.len()], &start);
                        s.spawn(move || {
                            start.wait();
                            keeper.token(key, token_type)
                        })
                    })
                    .collect();
                threads.into_iter().map(|t| t.join().unwrap()).collect()
            })
        }

        fn config_tokens(
            api: Api,
            store: Arc<MemoryStore<ConfigTokens>>,
            sim: &Sim,
            callers: usize,
            key: &str,
        ) -> Vec<Result<String, Failure>> {
            let sim = sim.clone();
            let keeper = Keeper::new(Client::new(api), store).with_clock(move || sim.now());
            let start = Barrier::new(callers);
            std::thread::scope(|s| {
                let threads: Vec<_> = (0..callers)
                    .map(|_| {
                        let (keeper, start) = (&keeper, &start);
                        s.spawn(move || {
                            start.wait();
                            Ok(keeper.config_token(key)?.into_exposed())
                        })
                    })
                    .collect();
                threads.into_iter().map(|t| t.join().unwrap()).collect()
            })
        }
    }
}

#[cfg(feature = "hyper")]
pub use self::hyper_harness::{runtime, Hyper};

#[cfg(feature = "hyper")]
mod hyper_harness {
    use super::*;
    use slack_oauth::hyper::{Client, Keeper};
    use slack_oauth::store::Blocking;
    use std::sync::OnceLock;
    use tokio::runtime::Runtime;
    use tokio::sync::Barrier;

    /// One multi-thread runtime for the whole test binary: clients and keepers made in one
    /// test can be used from any of its tasks.
    pub fn runtime() -> &'static Runtime {
        static RUNTIME: OnceLock<Runtime> = OnceLock::new();
        RUNTIME.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(4)
                .enable_all()
                .build()
                .unwrap()
        })
    }

    // The suite's stores are blocking ones that never wait (memory, meddled with).
    #[derive(Clone)]
    pub struct Hyper(pub Keeper<Installation, Blocking<DynStore>>);

    impl Harness for Hyper {
        fn new(api: Api, store: DynStore, sim: &Sim) -> Self {
            let sim = sim.clone();
            let _inside = runtime().enter();
            Hyper(Keeper::new(Client::new(api), Blocking(store)).with_clock(move || sim.now()))
        }

        fn with_wait(self, wait: Duration) -> Self {
            Hyper(self.0.with_wait(wait))
        }

        fn with_lease(self, seconds: u64) -> Self {
            Hyper(self.0.with_lease(seconds))
        }

        fn token(&self, key: &str, token_type: TokenType) -> Result<String, Failure> {
            runtime().block_on(async { Ok(self.0.token(key, token_type).await?.into_exposed()) })
        }

        fn invalidate(&self, key: &str) {
            self.0.invalidate(key);
        }

        fn many(
            keepers: &[Self],
            callers: usize,
            key: &str,
            token_type: TokenType,
        ) -> Vec<Result<String, Failure>> {
            let start = Arc::new(Barrier::new(callers));
            let tasks: Vec<_> = (0..callers)
                .map(|i| {
                    let keeper = keepers[i % keepers.len()].0.clone();
                    let (start, key) = (Arc::clone(&start), key.to_owned());
                    runtime().spawn(async move {
                        start.wait().await;
                        Ok(keeper.token(&key, token_type).await?.into_exposed())
                    })
                })
                .collect();
            runtime().block_on(async {
                let mut results = Vec::new();
                for task in tasks {
                    results.push(task.await.unwrap());
                }
                results
            })
        }

        fn config_tokens(
            api: Api,
            store: Arc<MemoryStore<ConfigTokens>>,
            sim: &Sim,
            callers: usize,
            key: &str,
        ) -> Vec<Result<String, Failure>> {
            let sim = sim.clone();
            let _inside = runtime().enter();
            let keeper = Keeper::new(Client::new(api), store).with_clock(move || sim.now());
            let start = Arc::new(Barrier::new(callers));
            let tasks: Vec<_> = (0..callers)
                .map(|_| {
                    let keeper = keeper.clone();
                    let (start, key) = (Arc::clone(&start), key.to_owned());
                    runtime().spawn(async move {
                        start.wait().await;
                        Ok(keeper.config_token(&key).await?.into_exposed())
                    })
                })
                .collect();
            runtime().block_on(async {
                let mut results = Vec::new();
                for task in tasks {
                    results.push(task.await.unwrap());
                }
                results
            })
        }
    }
}
