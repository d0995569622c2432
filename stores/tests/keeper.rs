//! The keeper suite on every durable store, against the simulator on 127.0.0.1: 32 callers
//! share one refresh, two keepers (blocking and async, each on its own connection) share
//! one refresh, and keepers in separate processes sharing the store refresh once between
//! them. Stores are opened from their URLs, as the CLI opens them.
//!
//! The child processes are this test binary run again on [`child_keeper`], which does
//! nothing unless the parent set its environment.

#![cfg(any(
    feature = "sqlite",
    feature = "postgres",
    feature = "mysql",
    feature = "redis"
))]

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};

use slack_oauth_core::oauth_v2::Access;
use slack_oauth_core::{parse, Api, AuthorizeUrl, ClientCredentials, Installation, Store};
use slack_oauth_sim::{AppConfig, Server, Sim, TokenStatus};
use slack_oauth_store::{AnyStore, AsyncAnyStore, Options};

use common::rt;

const CLIENT_ID: &str = "111.222";
const CLIENT_SECRET: &str = "store-keeper-app-secret";
const LIFETIME: u64 = 43_200;
const DUE: u64 = LIFETIME - Installation::DEFAULT_REFRESH_MARGIN;

/// A durable store with a namespace of its own, reachable by URL.
struct Backend {
    url: String,
    namespace: String,
    _cleanup: Box<dyn std::any::Any>,
}

impl Backend {
    fn options(&self) -> Options {
        Options::new().namespace(&self.namespace)
    }

    /// A new connection (a new pool) to the store.
    fn blocking(&self) -> AnyStore<Installation> {
        AnyStore::open_with(&self.url, &self.options()).unwrap()
    }

    fn async_store(&self) -> AsyncAnyStore<Installation> {
        rt().block_on(AsyncAnyStore::open_with(&self.url, &self.options()))
            .unwrap()
    }
}

#[cfg(feature = "sqlite")]
fn sqlite() -> Option<Backend> {
    let dir = common::TempDir::new();
    Some(Backend {
        url: format!("sqlite:{}", dir.0.join("tokens.db").display()),
        namespace: "installations".into(),
        _cleanup: Box::new(dir),
    })
}

#[cfg(feature = "postgres")]
fn postgres() -> Option<Backend> {
    let pg = common::Postgres::new()?;
    Some(Backend {
        url: pg.url.clone(),
        namespace: pg.table.clone(),
        _cleanup: Box::new(pg),
    })
}

#[cfg(feature = "mysql")]
fn mysql() -> Option<Backend> {
    let my = common::MySql::new()?;
    Some(Backend {
        url: my.url.clone(),
        namespace: my.table.clone(),
        _cleanup: Box::new(my),
    })
}

#[cfg(feature = "redis")]
fn redis() -> Option<Backend> {
    let service = common::Redis::new()?;
    Some(Backend {
        url: service.url.clone(),
        namespace: service.prefix.clone(),
        _cleanup: Box::new(service),
    })
}

/// The simulator on loopback with one rotating app installed (bot and user tokens), the
/// installation saved in the backend.
struct World {
    sim: Sim,
    server: Server,
    api: Api,
    key: String,
    backend: Backend,
}

impl World {
    fn new(backend: Backend) -> World {
        let sim = Sim::new();
        sim.register_app(
            AppConfig::new(CLIENT_ID, CLIENT_SECRET)
                .redirect_uri("http://127.0.0.1/callback")
                .token_rotation(true)
                .bot_scopes("chat:write")
                .user_scopes("search:read"),
        );
        let server = Server::start(sim.clone()).unwrap();
        let api = api(&server.base_url());
        let installed = install(&sim, &api);
        let key = installed.key();
        backend.blocking().put(&key, &installed).unwrap();
        World {
            sim,
            server,
            api,
            key,
            backend,
        }
    }

    fn refreshes(&self) -> u64 {
        self.sim.calls_with("oauth.v2.access", |args| {
            args.get("grant_type") == Some("refresh_token")
        })
    }

    /// The bot token stored now, read on a new connection; checks no lease is left.
    fn stored_bot_token(&self) -> String {
        let record = self.backend.blocking().load(&self.key).unwrap().unwrap();
        assert_eq!(record.lease, None, "a lease was left behind");
        record.value.bot.unwrap().token.into_exposed()
    }

    fn ureq_keeper(&self) -> slack_oauth_ureq::Keeper<Installation, AnyStore<Installation>> {
        let sim = self.sim.clone();
        slack_oauth_ureq::Keeper::new(
            slack_oauth_ureq::Client::new(self.api.clone()),
            self.backend.blocking(),
        )
        .with_clock(move || sim.now())
    }

    fn hyper_keeper(&self) -> slack_oauth_hyper::Keeper<Installation, AsyncAnyStore<Installation>> {
        let sim = self.sim.clone();
        let store = self.backend.async_store();
        let _inside = rt().enter();
        slack_oauth_hyper::Keeper::new(slack_oauth_hyper::Client::new(self.api.clone()), store)
            .with_clock(move || sim.now())
    }

    /// Checks that all callers got one new, live token, that exactly one refresh reached
    /// Slack since `before`, and that the store holds that token.
    fn assert_one_refresh(&self, tokens: &[String], before: u64, old: &str) {
        let distinct: HashSet<&String> = tokens.iter().collect();
        assert_eq!(distinct.len(), 1, "callers got different tokens");
        assert_ne!(tokens[0], old);
        assert_eq!(
            self.refreshes() - before,
            1,
            "exactly one refresh reaches Slack"
        );
        assert_eq!(self.sim.token_status(&tokens[0]), TokenStatus::Active);
        assert_eq!(self.stored_bot_token(), tokens[0]);
    }
}

fn api(base_url: &str) -> Api {
    Api::new()
        .with_base_url(base_url)
        .unwrap()
        .with_credentials(ClientCredentials::new(CLIENT_ID, CLIENT_SECRET))
}

/// A fresh install of the app, done sans-IO against the simulator.
fn install(sim: &Sim, api: &Api) -> Installation {
    let url = AuthorizeUrl::new(CLIENT_ID)
        .bot_scopes(["chat:write"])
        .user_scopes(["search:read"])
        .build()
        .unwrap();
    let redirect = sim.approve(&url).unwrap();
    let query = redirect.split_once('?').unwrap().1;
    let code = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "code")
        .unwrap()
        .1
        .into_owned();
    let answer =
        parse::<Access, _>(&sim.handle(&api.request(&Access::code(code.as_str())).unwrap()))
            .unwrap()
            .value;
    Installation::from_access(answer, sim.now()).unwrap()
}

fn ureq_callers(
    keeper: &slack_oauth_ureq::Keeper<Installation, AnyStore<Installation>>,
    key: &str,
    callers: usize,
    start: &Barrier,
) -> Vec<String> {
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..callers)
            .map(|_| {
                s.spawn(move || {
                    start.wait();
                    keeper.bot_token(key).unwrap().into_exposed()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

fn hyper_callers(
    keeper: &slack_oauth_hyper::Keeper<Installation, AsyncAnyStore<Installation>>,
    key: &str,
    callers: usize,
    start: &Arc<Barrier>,
) -> Vec<String> {
    // The tasks wait on a std barrier: each on its own blocking thread, so they start
    // together without holding the runtime's workers.
    let tasks: Vec<_> = (0..callers)
        .map(|_| {
            let (keeper, key, start) = (keeper.clone(), key.to_owned(), Arc::clone(start));
            rt().spawn(async move {
                tokio::task::spawn_blocking(move || start.wait())
                    .await
                    .unwrap();
                keeper.bot_token(&key).await.unwrap().into_exposed()
            })
        })
        .collect();
    rt().block_on(async {
        let mut tokens = Vec::new();
        for task in tasks {
            tokens.push(task.await.unwrap());
        }
        tokens
    })
}

fn thirty_two_callers_share_one_refresh(backend: Backend) {
    let world = World::new(backend);
    let old = world.stored_bot_token();
    world.sim.advance(DUE + 1);
    let keeper = world.ureq_keeper();
    let tokens = ureq_callers(&keeper, &world.key, 32, &Barrier::new(32));
    world.assert_one_refresh(&tokens, 0, &old);

    world.sim.advance(DUE + 1);
    let (before, old) = (world.refreshes(), tokens[0].clone());
    let keeper = world.hyper_keeper();
    let tokens = hyper_callers(&keeper, &world.key, 32, &Arc::new(Barrier::new(32)));
    world.assert_one_refresh(&tokens, before, &old);
}

fn two_keepers_share_one_refresh(backend: Backend) {
    let world = World::new(backend);
    // A blocking and an async keeper, each on its own connection: like two processes.
    let (blocking, async_keeper) = (world.ureq_keeper(), world.hyper_keeper());
    let mut old = world.stored_bot_token();
    for _round in 0..2 {
        world.sim.advance(DUE + 1);
        let before = world.refreshes();
        let start = Arc::new(Barrier::new(32));
        let tokens = std::thread::scope(|s| {
            let hyper = s.spawn(|| hyper_callers(&async_keeper, &world.key, 16, &start));
            let mut tokens = ureq_callers(&blocking, &world.key, 16, &start);
            tokens.extend(hyper.join().unwrap());
            tokens
        });
        assert_eq!(tokens.len(), 32);
        world.assert_one_refresh(&tokens, before, &old);
        old = tokens[0].clone();
    }
}

/// Environment a child keeper process reads.
const CHILD: &str = "SLACK_OAUTH_STORE_TEST_CHILD";

fn keepers_in_separate_processes_share_one_refresh(backend: Backend) {
    let world = World::new(backend);
    let old = world.stored_bot_token();
    world.sim.advance(DUE + 1);
    let exe = std::env::current_exe().unwrap();
    let mut children: Vec<_> = ["ureq", "hyper"]
        .iter()
        .map(|transport| {
            Command::new(&exe)
                .args([
                    "--ignored",
                    "--exact",
                    "child_keeper",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD, transport)
                .env("CHILD_STORE", &world.backend.url)
                .env("CHILD_NAMESPACE", &world.backend.namespace)
                .env("CHILD_SIM", world.server.base_url())
                .env("CHILD_KEY", &world.key)
                .env("CHILD_NOW", world.sim.now().to_string())
                .env("CHILD_CALLERS", "16")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Each child opens the store and builds its keeper, then waits for the word.
    let mut outputs: Vec<_> = children
        .iter_mut()
        .map(|child| BufReader::new(child.stdout.take().unwrap()).lines())
        .collect();
    for output in &mut outputs {
        let ready = output
            .by_ref()
            .map(Result::unwrap)
            .any(|line| line.contains("@@READY"));
        assert!(ready, "a child died before it was ready");
    }
    for child in &mut children {
        writeln!(child.stdin.as_mut().unwrap(), "go").unwrap();
    }
    let mut tokens = Vec::new();
    for output in outputs {
        for line in output.map(Result::unwrap) {
            if let Some(at) = line.find("@@TOKEN ") {
                tokens.push(line[at + 8..].trim().to_owned());
            }
            assert!(!line.contains("@@ERROR"), "a child failed: {line}");
        }
    }
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(tokens.len(), 32);
    world.assert_one_refresh(&tokens, 0, &old);
}

/// The child process of [`keepers_in_separate_processes_share_one_refresh`]: a keeper of
/// its own on a store connection of its own, asking `CHILD_CALLERS` times at once when
/// told to go.
#[test]
#[ignore = "the entry point of the multi-process keeper tests' child processes"]
fn child_keeper() {
    let Ok(transport) = std::env::var(CHILD) else {
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap();
    let api = api(&var("CHILD_SIM"));
    let options = Options::new().namespace(var("CHILD_NAMESPACE"));
    let (key, now) = (var("CHILD_KEY"), var("CHILD_NOW").parse::<u64>().unwrap());
    let callers: usize = var("CHILD_CALLERS").parse().unwrap();
    let go = || {
        println!("\n@@READY");
        std::io::stdout().flush().unwrap();
        std::io::stdin().read_line(&mut String::new()).unwrap();
    };
    let tokens = match transport.as_str() {
        "ureq" => {
            let store = AnyStore::open_with(&var("CHILD_STORE"), &options).unwrap();
            let keeper = slack_oauth_ureq::Keeper::new(slack_oauth_ureq::Client::new(api), store)
                .with_clock(move || now);
            let start = Barrier::new(callers + 1);
            go();
            std::thread::scope(|s| {
                let callers = s.spawn(|| ureq_callers(&keeper, &key, callers, &start));
                start.wait();
                callers.join().unwrap()
            })
        }
        _ => {
            let store = rt()
                .block_on(AsyncAnyStore::open_with(&var("CHILD_STORE"), &options))
                .unwrap();
            let keeper = {
                let _inside = rt().enter();
                slack_oauth_hyper::Keeper::new(slack_oauth_hyper::Client::new(api), store)
                    .with_clock(move || now)
            };
            let start = Arc::new(Barrier::new(callers));
            go();
            hyper_callers(&keeper, &key, callers, &start)
        }
    };
    for token in tokens {
        println!("\n@@TOKEN {token}");
    }
}

#[path = "../../tests/keeper/tests_for.rs"]
#[macro_use]
mod tests_for;

/// The suite's tests in `mod $module`, each run on a fresh `$backend` (skipped when absent).
macro_rules! backend_suite {
    ($module:ident, $backend:expr) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;

            macro_rules! on_backend {
                ($name:ident) => {
                    if let Some(backend) = $backend {
                        super::$name(backend);
                    }
                };
            }

            tests_for!(on_backend:
                thirty_two_callers_share_one_refresh,
                two_keepers_share_one_refresh,
                keepers_in_separate_processes_share_one_refresh,
            );
        }
    };
}

#[cfg(feature = "sqlite")]
backend_suite!(sqlite, sqlite());
#[cfg(feature = "postgres")]
backend_suite!(postgres, postgres());
#[cfg(feature = "mysql")]
backend_suite!(mysql, mysql());
#[cfg(feature = "redis")]
backend_suite!(redis, redis());

// The keeper suite over TLS, on servers of the tests' own that take nothing else; the URLs
// carry their CA (`sslrootcert`, `ssl_ca_certs`), so the child processes open them as they
// are.
#[cfg(feature = "postgres")]
fn postgres_tls() -> Option<Backend> {
    let pg = common::Postgres::tls()?;
    Some(Backend {
        url: pg.url.clone(),
        namespace: pg.table.clone(),
        _cleanup: Box::new(pg),
    })
}

#[cfg(feature = "redis")]
fn redis_tls() -> Option<Backend> {
    let service = common::Redis::tls()?;
    Some(Backend {
        url: service.url.clone(),
        namespace: service.prefix.clone(),
        _cleanup: Box::new(service),
    })
}

#[cfg(feature = "mysql")]
fn mysql_tls() -> Option<Backend> {
    let my = common::MySql::tls()?;
    Some(Backend {
        url: my.url.clone(),
        namespace: my.table.clone(),
        _cleanup: Box::new(my),
    })
}

#[cfg(feature = "postgres")]
backend_suite!(postgres_tls, postgres_tls());
#[cfg(feature = "mysql")]
backend_suite!(mysql_tls, mysql_tls());
#[cfg(feature = "redis")]
backend_suite!(redis_tls, redis_tls());
