//! The simulator a fleet runs against: one this process starts, or one already running at
//! `--sim URL`, configured through its admin endpoints (`POST /_sim/config`,
//! `GET /_sim/clock`, `GET /_sim/stats`; see docs/simulator.md, "The program").

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;
use serde_json::{json, Value};
use slack_oauth_core::auth::Revoke;
use slack_oauth_core::{ErrorCode, Installation, TokenType};
use slack_oauth_sim::{AppConfig, Clock, Server, Sim, TokenStatus};
use slack_oauth_ureq::Client;

use crate::{CLIENT_ID, CLIENT_SECRET, REDIRECT_URI};

const BOT_SCOPES: &str = "chat:write";
const USER_SCOPES: &str = "search:read";

/// How far (seconds) a running simulator's wall clock may be from ours: the keepers read
/// the system clock, so a simulator moved with `/_sim/advance` would expire tokens early.
const CLOCK_SLACK: u64 = 2;

/// What the simulator answered, per method and outcome, since the fleet began using it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SimStats {
    /// Method name → outcome → count.
    #[serde(default)]
    pub methods: BTreeMap<String, BTreeMap<String, u64>>,
    /// Refresh tokens presented after they were spent.
    #[serde(default)]
    pub refresh_token_reuse: u64,
}

impl SimStats {
    /// How many answers of `method` had this outcome.
    pub fn count(&self, method: &str, outcome: &str) -> u64 {
        self.methods
            .get(method)
            .and_then(|m| m.get(outcome))
            .copied()
            .unwrap_or(0)
    }

    /// These counts less `earlier`'s: what happened after `earlier` was read.
    fn since(mut self, earlier: &SimStats) -> SimStats {
        for (method, outcomes) in &mut self.methods {
            for (outcome, n) in outcomes.iter_mut() {
                *n = n.saturating_sub(earlier.count(method, outcome));
            }
            outcomes.retain(|_, n| *n > 0);
        }
        self.methods.retain(|_, outcomes| !outcomes.is_empty());
        self.refresh_token_reuse = self
            .refresh_token_reuse
            .saturating_sub(earlier.refresh_token_reuse);
        self
    }
}

/// The simulator of one fleet run.
pub enum Simulator {
    /// Started by this process on a free loopback port; stops when dropped.
    Own { sim: Sim, server: Server },
    /// Already running at `origin` (`http://127.0.0.1:PORT`); its stats are read less what
    /// they were when the fleet began.
    Running {
        origin: String,
        client: Box<Client>,
        baseline: SimStats,
    },
}

impl Simulator {
    /// Starts one on the wall clock with the fleet's app, whose rotating tokens live `ttl`
    /// seconds.
    pub fn start(ttl: u64) -> Result<Simulator, String> {
        let sim = Sim::with_clock(Clock::Wall);
        sim.try_register_app(
            AppConfig::new(CLIENT_ID, CLIENT_SECRET)
                .redirect_uri(REDIRECT_URI)
                .token_rotation(true)
                .token_expires_in(ttl)
                .bot_scopes(BOT_SCOPES)
                .user_scopes(USER_SCOPES),
        )
        .map_err(|e| format!("registering the fleet's app: {e}"))?;
        let server =
            Server::start(sim.clone()).map_err(|e| format!("starting the simulator: {e}"))?;
        Ok(Simulator::Own { sim, server })
    }

    /// Uses the simulator running at `url` (loopback only): registers the fleet's app there
    /// and puts its clock on the wall clock through `POST /_sim/config`. A simulator that
    /// refuses is still used if its clock already is the wall clock; the first install then
    /// checks the app's tokens (see [`Simulator::check_install`]).
    pub fn connect(url: &str, ttl: u64) -> Result<Simulator, String> {
        let origin = loopback_origin(url)?;
        let client = Box::new(Client::new(crate::worker_api(&format!("{origin}/api"))));
        let clock = read_clock(&client, &origin, url)?;
        let mut config = json!({"apps": [app_json(ttl)]});
        if clock.mode != "wall" || clock.skew > CLOCK_SLACK {
            // A switch to the wall clock also drops an offset `/_sim/advance` added.
            config["clock"] = json!("wall");
        }
        let refused = post_json(&client, &format!("{origin}/_sim/config"), &config).err();
        let clock = read_clock(&client, &origin, url)?;
        if clock.mode != "wall" || clock.skew > CLOCK_SLACK {
            return Err(format!(
                "the simulator at {url} keeps a {} clock {} s away from the system clock, \
                 and the keepers read the system clock{}; start it with --clock wall and \
                 do not move it with /_sim/advance",
                clock.mode,
                clock.skew,
                refused
                    .as_deref()
                    .map(|why| format!(" (POST /_sim/config was refused: {why})"))
                    .unwrap_or_default(),
            ));
        }
        if let Some(why) = &refused {
            eprintln!(
                "slack-oauth-fleet: the simulator at {url} refused POST /_sim/config ({why}); \
                 using its app {CLIENT_ID} as it is, if its tokens live --ttl {ttl} s"
            );
        }
        let baseline = get_json(&client, &format!("{origin}/_sim/stats"))
            .and_then(|v| serde_json::from_value(v).map_err(|e| e.to_string()))
            .map_err(|e| format!("reading {origin}/_sim/stats: {e}"))?;
        Ok(Simulator::Running {
            origin,
            client,
            baseline,
        })
    }

    /// `http://127.0.0.1:PORT`: where the authorize page is.
    pub fn origin(&self) -> String {
        match self {
            Simulator::Own { server, .. } => server.url(),
            Simulator::Running { origin, .. } => origin.clone(),
        }
    }

    /// `http://127.0.0.1:PORT/api`: the Web API base URL for the clients.
    pub fn api(&self) -> String {
        match self {
            Simulator::Own { server, .. } => server.base_url(),
            Simulator::Running { origin, .. } => format!("{origin}/api"),
        }
    }

    /// For the summary: which simulator, and where.
    pub fn describe(&self) -> Value {
        match self {
            Simulator::Own { .. } => json!({"started_by_fleet": true, "url": self.origin()}),
            Simulator::Running { .. } => json!({"started_by_fleet": false, "url": self.origin()}),
        }
    }

    /// What the simulator answered since the fleet began.
    pub fn stats(&self) -> Result<SimStats, String> {
        match self {
            Simulator::Own { sim, .. } => {
                let stats = sim.stats();
                Ok(SimStats {
                    methods: stats.methods,
                    refresh_token_reuse: stats.refresh_token_reuse,
                })
            }
            Simulator::Running {
                origin,
                client,
                baseline,
            } => {
                let now: SimStats = get_json(client, &format!("{origin}/_sim/stats"))
                    .and_then(|v| serde_json::from_value(v).map_err(|e| e.to_string()))
                    .map_err(|e| format!("reading {origin}/_sim/stats: {e}"))?;
                Ok(now.since(baseline))
            }
        }
    }

    /// Whether Slack has spent (or revoked) this refresh token. A running simulator is asked
    /// with `auth.revoke` and `test=true`, which revokes nothing and answers `invalid_auth`
    /// for a refresh token that is used or revoked; `None` when it cannot be asked.
    pub fn refresh_token_spent(&self, token: &str) -> Option<bool> {
        match self {
            Simulator::Own { sim, .. } => Some(sim.token_status(token) == TokenStatus::Spent),
            Simulator::Running { client, .. } => {
                match client.call(&Revoke::new(token).test(true)) {
                    Ok(_) => Some(false),
                    Err(e) if e.code() == Some(&ErrorCode::InvalidAuth) => Some(true),
                    Err(_) => None,
                }
            }
        }
    }

    /// Checks that an install got what the fleet needs: rotating bot and user tokens that
    /// live `ttl` seconds. A running simulator that did not take the fleet's app config is
    /// refused here, naming what differs.
    pub fn check_install(
        &self,
        installation: &Installation,
        now: u64,
        ttl: u64,
    ) -> Result<(), String> {
        for which in [TokenType::Bot, TokenType::User] {
            let name = if which == TokenType::Bot {
                "bot"
            } else {
                "user"
            };
            let Some(set) = installation.token(which) else {
                return Err(self.app_mismatch(&format!("the install has no {name} token")));
            };
            if set.refresh_token.is_none() {
                return Err(self.app_mismatch(&format!(
                    "its {name} token does not rotate (no refresh token)"
                )));
            }
            let lives = set.expires_at.map(|at| at.saturating_sub(now));
            // One second either way: the install's answer and our clock read straddle a tick.
            if lives.is_none_or(|l| l.abs_diff(ttl) > 1) {
                return Err(self.app_mismatch(&format!(
                    "its {name} token lives {} s, not --ttl {ttl} s",
                    lives.map_or("forever".to_owned(), |l| l.to_string())
                )));
            }
        }
        Ok(())
    }

    fn app_mismatch(&self, what: &str) -> String {
        // The app's settings without its secret (the fleet's own fake, in fleet/src/main.rs):
        // secrets stay out of messages.
        let mut app = app_json(0);
        app["client_secret"] = json!("(CLIENT_SECRET of fleet/src/main.rs)");
        format!(
            "the simulator at {} does not run the fleet's app as it needs: {what}; start it \
             with --clock wall and a --config file whose apps hold {app} with \
             token_expires_in set to --ttl, or let the fleet configure it through \
             POST /_sim/config",
            self.origin()
        )
    }
}

/// The fleet's app as `POST /_sim/config` takes it (`token_expires_in` 0: left out).
fn app_json(ttl: u64) -> Value {
    let mut app = json!({
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [REDIRECT_URI],
        "token_rotation": true,
        "bot_scopes": BOT_SCOPES,
        "user_scopes": USER_SCOPES,
    });
    if ttl > 0 {
        app["token_expires_in"] = json!(ttl);
    }
    app
}

/// `http://HOST:PORT` of a simulator URL whose host is a loopback address (`127.0.0.1`,
/// `[::1]`, `localhost`); the path may be empty, `/` or `/api`. Anything else is refused:
/// the fleet sends traffic to loopback only.
pub fn loopback_origin(url: &str) -> Result<String, String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|_| format!("--sim {url}: not a URL (try http://127.0.0.1:PORT)"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "--sim {url}: the simulator speaks plain http (http://127.0.0.1:PORT)"
        ));
    }
    let Some(authority) = uri.authority() else {
        return Err(format!("--sim {url}: no host (try http://127.0.0.1:PORT)"));
    };
    let host = authority.host();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(format!(
            "--sim {url}: {host} is not a loopback address; the fleet sends traffic only to \
             127.0.0.1 (or [::1], localhost)"
        ));
    }
    if authority.as_str().contains('@') {
        return Err(format!("--sim {url}: no user information in the URL"));
    }
    if authority.port_u16().is_none() {
        return Err(format!(
            "--sim {url}: name the port (http://127.0.0.1:PORT)"
        ));
    }
    if !matches!(uri.path(), "" | "/" | "/api" | "/api/") || uri.query().is_some() {
        return Err(format!(
            "--sim {url}: give the simulator's address (http://127.0.0.1:PORT), without a path"
        ));
    }
    Ok(format!("http://{authority}"))
}

struct ClockReading {
    mode: String,
    /// Seconds between the simulator's `now` and the system clock.
    skew: u64,
}

fn read_clock(client: &Client, origin: &str, url: &str) -> Result<ClockReading, String> {
    let answer = get_json(client, &format!("{origin}/_sim/clock")).map_err(|e| {
        format!("--sim {url}: GET /_sim/clock did not answer as slack-oauth-sim does ({e}); is the simulator running there?")
    })?;
    let (Some(mode), Some(now)) = (answer["clock"].as_str(), answer["now"].as_u64()) else {
        return Err(format!(
            "--sim {url}: GET /_sim/clock answered without clock and now; is it slack-oauth-sim?"
        ));
    };
    let ours = slack_oauth_core::unix_seconds(std::time::SystemTime::now());
    Ok(ClockReading {
        mode: mode.to_owned(),
        skew: now.abs_diff(ours),
    })
}

fn get_json(client: &Client, url: &str) -> Result<Value, String> {
    let request = http::Request::get(url)
        .body(Vec::new())
        .map_err(|e| e.to_string())?;
    answer_json(client, request)
}

fn post_json(client: &Client, url: &str, body: &Value) -> Result<Value, String> {
    let request = http::Request::post(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(body.to_string().into_bytes())
        .map_err(|e| e.to_string())?;
    answer_json(client, request)
}

/// The JSON body of a 200 answer with `"ok": true`; otherwise what went wrong.
fn answer_json(client: &Client, request: http::Request<Vec<u8>>) -> Result<Value, String> {
    let response = client.send(request).map_err(|e| e.to_string())?;
    let status = response.status();
    let body: Option<Value> = serde_json::from_slice(response.body()).ok();
    match body {
        Some(v) if status.is_success() && v["ok"] == true => Ok(v),
        Some(v) => Err(format!(
            "HTTP {status}: {}",
            v.get("detail").or(v.get("error")).unwrap_or(&v)
        )),
        None => Err(format!("HTTP {status}, not a JSON answer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_are_taken() {
        assert_eq!(
            loopback_origin("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            loopback_origin("http://127.0.0.1:8080/api").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            loopback_origin("http://[::1]:9/").unwrap(),
            "http://[::1]:9"
        );
        assert!(loopback_origin("http://localhost:1").is_ok());
        for bad in [
            "http://10.0.0.1:8080",
            "http://slack.com:80",
            "https://127.0.0.1:8080",
            "http://127.0.0.1",
            "http://127.0.0.1:8080/other",
            "http://user@127.0.0.1:8080",
            "127.0.0.1:8080",
            "not a url",
        ] {
            let why = loopback_origin(bad).unwrap_err();
            assert!(why.contains("--sim"), "{bad}: {why}");
        }
        assert!(loopback_origin("http://10.0.0.1:8080")
            .unwrap_err()
            .contains("not a loopback address"));
    }

    #[test]
    fn stats_since_a_baseline() {
        let before: SimStats = serde_json::from_value(json!({"ok": true,
            "methods": {"auth.test": {"ok": 5}, "oauth.v2.access": {"ok": 2}},
            "refresh_token_reuse": 1}))
        .unwrap();
        let after: SimStats = serde_json::from_value(json!({"ok": true,
            "methods": {"auth.test": {"ok": 9, "invalid_auth": 1}, "oauth.v2.access": {"ok": 2}},
            "refresh_token_reuse": 1, "events": {}}))
        .unwrap();
        let since = after.since(&before);
        assert_eq!(since.count("auth.test", "ok"), 4);
        assert_eq!(since.count("auth.test", "invalid_auth"), 1);
        assert!(!since.methods.contains_key("oauth.v2.access"));
        assert_eq!(since.refresh_token_reuse, 0);
    }
}
