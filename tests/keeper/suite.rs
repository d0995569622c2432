//! The keeper suite, written once against [`Harness`] and run for each transport.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use slack_oauth::oauth_v2::Access;
use slack_oauth::{
    installation::InstallationKey,
    parse,
    store::{Lease, Record, Swap},
    Api, AuthorizeUrl, ClientCredentials, ConfigTokens, Installation, MemoryStore, Store,
    TokenType,
};
use slack_oauth_sim::{AppConfig, Fault, Server, Sim, TokenStatus};

use super::harness::{DynStore, Failure, Harness};

pub const CLIENT_ID: &str = "111.222";
pub const CLIENT_SECRET: &str = "keeper-app-secret";
/// Rotating tokens live 12 hours.
pub const LIFETIME: u64 = 43_200;
/// From here on a token is due for a refresh (the default margin before expiry).
pub const DUE: u64 = LIFETIME - Installation::DEFAULT_REFRESH_MARGIN;

/// A simulator serving on loopback with one rotating app installed (bot and user tokens),
/// and the installation kept in a memory store.
pub struct World {
    pub sim: Sim,
    /// Serves `sim` until the test ends.
    pub _server: Server,
    pub api: Api,
    pub memory: Arc<MemoryStore<Installation>>,
    pub key: String,
    pub installed: Installation,
}

impl World {
    pub fn new() -> World {
        let sim = Sim::new();
        sim.register_app(
            AppConfig::new(CLIENT_ID, CLIENT_SECRET)
                .redirect_uri("http://127.0.0.1/callback")
                .token_rotation(true)
                .bot_scopes("chat:write,commands")
                .user_scopes("search:read"),
        );
        let server = Server::start(sim.clone()).unwrap();
        let api = Api::new()
            .with_base_url(&server.base_url())
            .unwrap()
            .with_credentials(ClientCredentials::new(CLIENT_ID, CLIENT_SECRET));
        let memory = Arc::new(MemoryStore::new());
        let mut world = World {
            installed: install(&sim, &api),
            sim,
            _server: server,
            api,
            memory,
            key: String::new(),
        };
        world.key = world.installed.key();
        world.memory.put(&world.key, &world.installed).unwrap();
        world
    }

    pub fn store(&self) -> DynStore {
        self.memory.clone()
    }

    pub fn keeper<H: Harness>(&self) -> H {
        H::new(self.api.clone(), self.store(), &self.sim)
    }

    /// How many refresh grants reached the simulator.
    pub fn refreshes(&self) -> u64 {
        self.sim.calls_with("oauth.v2.access", |args| {
            args.get("grant_type") == Some("refresh_token")
        })
    }

    pub fn stored(&self) -> Record<Installation> {
        self.memory.load(&self.key).unwrap().unwrap()
    }

    /// Moves the clock to just past the point where both tokens are due.
    pub fn make_due(&self) {
        self.sim.advance(DUE + 1);
    }
}

/// A fresh install of the app, done sans-IO against the simulator.
pub fn install(sim: &Sim, api: &Api) -> Installation {
    let url = AuthorizeUrl::new(CLIENT_ID)
        .bot_scopes(["chat:write", "commands"])
        .user_scopes(["search:read"])
        .build()
        .unwrap();
    let redirect = sim.approve(&url).unwrap();
    // No state was sent (the suite is about keeping, not installing): read the code alone.
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

fn token_of(record: &Record<Installation>, token_type: TokenType) -> (String, String) {
    let set = record.value.token(token_type).unwrap();
    (
        set.token.expose().to_owned(),
        set.refresh_token.as_ref().unwrap().expose().to_owned(),
    )
}

fn all_ok(results: Vec<Result<String, Failure>>) -> Vec<String> {
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|f| panic!("a caller failed: {f:?}")))
        .collect()
}

fn one_value(tokens: &[String]) -> String {
    let distinct: HashSet<&String> = tokens.iter().collect();
    assert_eq!(distinct.len(), 1, "callers got different tokens");
    tokens[0].clone()
}

pub fn fresh_token_needs_no_refresh<H: Harness>() {
    let world = World::new();
    let keeper: H = world.keeper();
    let (bot, _) = token_of(&world.stored(), TokenType::Bot);
    world.sim.advance(DUE - 1);
    assert_eq!(keeper.token(&world.key, TokenType::Bot).unwrap(), bot);
    assert_eq!(world.refreshes(), 0);
}

pub fn thirty_two_callers_share_one_refresh<H: Harness>() {
    let world = World::new();
    let keeper: H = world.keeper();
    let (old, old_refresh) = token_of(&world.stored(), TokenType::Bot);
    world.make_due();
    let before = world.refreshes();

    let tokens = all_ok(H::many(&[keeper], 32, &world.key, TokenType::Bot));

    assert_eq!(tokens.len(), 32);
    let new = one_value(&tokens);
    assert_ne!(new, old);
    assert_eq!(
        world.refreshes() - before,
        1,
        "exactly one refresh reaches Slack"
    );
    assert_eq!(world.sim.token_status(&new), TokenStatus::Active);
    assert_eq!(world.sim.token_status(&old_refresh), TokenStatus::Spent);
    // The store holds the new pair, its refresh token unspent, and no lease.
    let stored = world.stored();
    let (stored_token, stored_refresh) = token_of(&stored, TokenType::Bot);
    assert_eq!(stored_token, new);
    assert_eq!(world.sim.token_status(&stored_refresh), TokenStatus::Active);
    assert_eq!(stored.lease, None);
    assert_eq!(
        stored.value.bot.as_ref().unwrap().expires_at,
        Some(world.sim.now() + LIFETIME)
    );
}

pub fn two_keepers_one_store_one_refresh<H: Harness>() {
    let world = World::new();
    // Two keepers share nothing but the store, like two processes sharing a database.
    let keepers: [H; 2] = [world.keeper(), world.keeper()];
    for round in 1..=2 {
        world.make_due();
        let before = world.refreshes();
        let tokens = all_ok(H::many(&keepers, 32, &world.key, TokenType::Bot));
        let new = one_value(&tokens);
        assert_eq!(world.refreshes() - before, 1, "round {round}");
        assert_eq!(token_of(&world.stored(), TokenType::Bot).0, new);
        assert_eq!(world.sim.token_status(&new), TokenStatus::Active);
    }
}

pub fn spent_refresh_token_needs_reinstall<H: Harness>() {
    let world = World::new();
    let keeper: H = world.keeper();
    let (_, refresh) = token_of(&world.stored(), TokenType::Bot);
    // Someone with a stale copy of the installation refreshed behind the store's back.
    let reply = world.sim.handle(
        &world
            .api
            .request(&Access::refresh(refresh.as_str()))
            .unwrap(),
    );
    assert!(parse::<Access, _>(&reply).is_ok());
    world.make_due();

    let results = H::many(std::slice::from_ref(&keeper), 8, &world.key, TokenType::Bot);
    for result in results {
        let failure = result.unwrap_err();
        assert_eq!(failure.kind, "refresh");
        assert!(failure.needs_reinstall, "{failure:?}");
        assert!(!failure.retryable);
        assert_eq!(failure.code.as_deref(), Some("invalid_refresh_token"));
        assert!(failure.text.contains("installed again"), "{}", failure.text);
        assert!(!failure.text.contains(&refresh), "the refresh token leaked");
    }
    // The failed refresh released its lease and changed nothing stored.
    let stored = world.stored();
    assert_eq!(stored.lease, None);
    assert_eq!(token_of(&stored, TokenType::Bot).1, refresh);
    // Later calls, one at a time, end the same way without presenting the spent token again
    // or taking a lease: the keeper remembers the refused record.
    let sent = world.refreshes();
    for _ in 0..3 {
        let failure = keeper.token(&world.key, TokenType::Bot).unwrap_err();
        assert!(failure.needs_reinstall, "{failure:?}");
        assert_eq!(failure.code.as_deref(), Some("invalid_refresh_token"));
    }
    assert_eq!(
        world.refreshes(),
        sent,
        "the spent refresh token was sent again"
    );
    assert_eq!(world.stored(), stored, "a lease was written");
    // The user token is a separate chain and still rotates.
    assert!(keeper.token(&world.key, TokenType::User).is_ok());
    assert_eq!(world.refreshes(), sent + 1);
}

pub fn bot_and_user_rotate_independently<H: Harness>() {
    let world = World::new();
    let keeper: H = world.keeper();
    let installed = world.stored();
    world.make_due();

    let user = keeper.token(&world.key, TokenType::User).unwrap();
    assert_eq!(world.refreshes(), 1);
    let after_user = world.stored();
    assert_ne!(user, token_of(&installed, TokenType::User).0);
    assert_eq!(token_of(&after_user, TokenType::User).0, user);
    assert_eq!(
        token_of(&after_user, TokenType::Bot),
        token_of(&installed, TokenType::Bot),
        "refreshing the user token leaves the bot token alone"
    );

    let bot = keeper.token(&world.key, TokenType::Bot).unwrap();
    assert_eq!(world.refreshes(), 2);
    let after_bot = world.stored();
    assert_eq!(token_of(&after_bot, TokenType::Bot).0, bot);
    assert_eq!(
        token_of(&after_bot, TokenType::User),
        token_of(&after_user, TokenType::User),
        "refreshing the bot token leaves the user token alone"
    );

    // Both fresh now: no more calls.
    assert_eq!(keeper.token(&world.key, TokenType::Bot).unwrap(), bot);
    assert_eq!(keeper.token(&world.key, TokenType::User).unwrap(), user);
    assert_eq!(world.refreshes(), 2);
}

pub fn config_tokens_rotate_once<H: Harness>() {
    let world = World::new();
    let (token, refresh) = world.sim.seed_config_token("T0SIM", "U0SIMUSER");
    let store = Arc::new(MemoryStore::new());
    store
        .put(
            "config",
            &ConfigTokens::new(token.as_str(), refresh.as_str()),
        )
        .unwrap();
    let rotations = || world.sim.calls("tooling.tokens.rotate");

    // The pair from the settings page has no known expiry: the first use rotates it.
    let first = one_value(&all_ok(H::config_tokens(
        world.api.clone(),
        store.clone(),
        &world.sim,
        32,
        "config",
    )));
    assert_ne!(first, token);
    assert_eq!(rotations(), 1);
    let stored = store.load("config").unwrap().unwrap().value;
    assert_eq!(stored.exp, world.sim.now() + LIFETIME);
    assert_eq!(stored.team_id, "T0SIM");

    world.make_due();
    let second = one_value(&all_ok(H::config_tokens(
        world.api.clone(),
        store.clone(),
        &world.sim,
        32,
        "config",
    )));
    assert_ne!(second, first);
    assert_eq!(rotations(), 2);
    assert_eq!(world.sim.token_status(&second), TokenStatus::Active);
}

pub fn live_lease_waits_and_watched_lease_is_taken_over<H: Harness>() {
    let world = World::new();
    world.make_due();
    // A process took the lease, then died.
    let record = world.stored();
    let lease = Lease {
        holder: "a process that died".into(),
        expires_at: world.sim.now() + 60,
    };
    assert!(matches!(
        world
            .memory
            .compare_and_swap(
                &world.key,
                Some(record.version),
                &record.value,
                Some(&lease)
            )
            .unwrap(),
        Swap::Stored { .. }
    ));

    let keeper = world.keeper::<H>().with_wait(Duration::from_millis(100));
    let busy = keeper.token(&world.key, TokenType::Bot).unwrap_err();
    assert_eq!(busy.kind, "busy");
    assert!(busy.retryable && !busy.needs_reinstall);
    assert_eq!(world.refreshes(), 0, "no refresh while the lease is live");

    // The lease's `expires_at` against this machine's clock does not count (clocks differ
    // between machines): only having watched it unchanged for a whole lease does.
    world.sim.advance(3600);
    let busy = keeper.token(&world.key, TokenType::Bot).unwrap_err();
    assert_eq!(busy.kind, "busy");
    assert_eq!(
        world.refreshes(),
        0,
        "a clock past the lease is not a lapse"
    );

    // A keeper whose lease is one second takes over after one second of its own waiting.
    let keeper = world.keeper::<H>().with_lease(1);
    let token = keeper.token(&world.key, TokenType::Bot).unwrap();
    assert_eq!(world.refreshes(), 1);
    let stored = world.stored();
    assert_eq!(token_of(&stored, TokenType::Bot).0, token);
    assert_eq!(stored.lease, None);
}

/// What a test does to the store behind the keeper's back.
type Meddle = Box<dyn FnOnce(&MemoryStore<Installation>) + Send>;

/// A store that lets a test act once, just before the keeper writes a refresh back, and
/// counts the keeper's round trips.
struct Meddling {
    inner: Arc<MemoryStore<Installation>>,
    before_write_back: Mutex<Option<Meddle>>,
    trips: AtomicU64,
}

impl Store<Installation> for Meddling {
    type Error = Infallible;

    fn load(&self, key: &str) -> Result<Option<Record<Installation>>, Infallible> {
        self.trips.fetch_add(1, Ordering::Relaxed);
        self.inner.load(key)
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &Installation,
        lease: Option<&Lease>,
    ) -> Result<Swap, Infallible> {
        self.trips.fetch_add(1, Ordering::Relaxed);
        // A write-back is the only leaseless swap of an existing record a keeper makes
        // after a successful refresh.
        if lease.is_none() && expected.is_some() {
            if let Some(act) = self.before_write_back.lock().unwrap().take() {
                act(&self.inner);
            }
        }
        self.inner.compare_and_swap(key, expected, value, lease)
    }

    fn delete(&self, key: &str) -> Result<bool, Infallible> {
        self.trips.fetch_add(1, Ordering::Relaxed);
        self.inner.delete(key)
    }

    fn put(&self, key: &str, value: &Installation) -> Result<u64, Infallible> {
        self.trips.fetch_add(1, Ordering::Relaxed);
        self.inner.put(key, value)
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>, Infallible> {
        self.trips.fetch_add(1, Ordering::Relaxed);
        self.inner.keys(prefix)
    }
}

fn meddling(
    world: &World,
    act: impl FnOnce(&MemoryStore<Installation>) + Send + 'static,
) -> Arc<Meddling> {
    Arc::new(Meddling {
        inner: world.memory.clone(),
        before_write_back: Mutex::new(Some(Box::new(act))),
        trips: AtomicU64::new(0),
    })
}

/// `user_token` under the bot record's key (what `install` returns) needs the bot record
/// only to learn whose record holds the user token: while the bot token is fresh, a fresh
/// user token asked for that way makes no store round trip, until the key is invalidated.
pub fn fresh_user_token_by_bot_key_is_a_cache_hit<H: Harness>() {
    let world = World::new();
    let records = world.installed.records();
    for (key, record) in &records {
        world.memory.put(key, record).unwrap();
    }
    let bot = InstallationKey::of(&world.installed).bot_record();
    assert_eq!(records[0].0, bot);
    let user = token_of(
        &world.memory.load(&records[1].0).unwrap().unwrap(),
        TokenType::User,
    );
    let store = meddling(&world, |_| {});
    let keeper = H::new(world.api.clone(), store.clone(), &world.sim);
    let trips = || store.trips.load(Ordering::Relaxed);
    assert_eq!(keeper.token(&bot, TokenType::User).unwrap(), user.0);
    assert_eq!(trips(), 2, "the bot record, then the installer's");
    for _ in 0..3 {
        assert_eq!(keeper.token(&bot, TokenType::User).unwrap(), user.0);
    }
    assert_eq!(trips(), 2, "fresh: no round trip");
    // Told that the bot record may have changed, the keeper reads it (and only it) again.
    keeper.invalidate(&bot);
    assert_eq!(keeper.token(&bot, TokenType::User).unwrap(), user.0);
    assert_eq!(trips(), 3);
    assert_eq!(world.refreshes(), 0);
}

pub fn reinstall_during_refresh_wins<H: Harness>() {
    let world = World::new();
    world.make_due();
    // The workspace reinstalls the app while our refresh is in flight.
    let reinstalled = install(&world.sim, &world.api);
    let expected = reinstalled.bot.as_ref().unwrap().token.expose().to_owned();
    let key = world.key.clone();
    let store = meddling(&world, move |memory| {
        memory.put(&key, &reinstalled).unwrap();
    });
    let keeper = H::new(world.api.clone(), store, &world.sim);

    let token = keeper.token(&world.key, TokenType::Bot).unwrap();
    assert_eq!(
        token, expected,
        "the store's newer tokens win the lost swap"
    );
    assert_eq!(token_of(&world.stored(), TokenType::Bot).0, expected);
    assert_eq!(
        world.refreshes(),
        1,
        "no second refresh after losing the swap"
    );
}

pub fn unrelated_change_during_refresh_is_merged<H: Harness>() {
    let world = World::new();
    world.make_due();
    let key = world.key.clone();
    // Another writer touches the record (here: its team name) while the bot refresh is in
    // flight; the refreshed bot token must still be stored, on top of that change.
    let store = meddling(&world, move |memory| {
        let mut record = memory.load(&key).unwrap().unwrap();
        record.value.team_name = Some("Renamed Team".into());
        assert!(matches!(
            memory
                .compare_and_swap(&key, Some(record.version), &record.value, None)
                .unwrap(),
            Swap::Stored { .. }
        ));
    });
    let keeper = H::new(world.api.clone(), store, &world.sim);

    let token = keeper.token(&world.key, TokenType::Bot).unwrap();
    let stored = world.stored();
    assert_eq!(token_of(&stored, TokenType::Bot).0, token);
    assert_eq!(stored.value.team_name.as_deref(), Some("Renamed Team"));
    assert_eq!(world.sim.token_status(&token), TokenStatus::Active);
    assert_eq!(world.refreshes(), 1);
}

pub fn transient_failure_releases_the_lease<H: Harness>() {
    let world = World::new();
    let keeper: H = world.keeper();
    world.make_due();
    world
        .sim
        .inject("oauth.v2.access", Fault::RateLimited { retry_after: 3 }, 1);

    let failure = keeper.token(&world.key, TokenType::Bot).unwrap_err();
    assert_eq!(failure.kind, "refresh");
    assert!(failure.retryable && !failure.needs_reinstall, "{failure:?}");
    assert_eq!(failure.code.as_deref(), Some("ratelimited"));
    assert_eq!(world.stored().lease, None, "the lease was released");

    // The next ask refreshes at once, without waiting for a lease to lapse.
    let token = keeper.token(&world.key, TokenType::Bot).unwrap();
    assert_eq!(token_of(&world.stored(), TokenType::Bot).0, token);
}

pub fn unknown_key_is_not_found<H: Harness>() {
    let world = World::new();
    let keeper: H = world.keeper();
    let failure = keeper.token("T0NOTHERE", TokenType::Bot).unwrap_err();
    assert_eq!(failure.kind, "not_found");
    assert!(!failure.needs_reinstall && !failure.retryable);
    assert!(failure.text.contains("T0NOTHERE"), "{}", failure.text);
}
