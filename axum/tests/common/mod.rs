//! A Slack app served by `SlackRoutes` on 127.0.0.1:0 against the simulator, and a small
//! cookie-keeping "browser" that follows redirects by hand.

#![allow(dead_code)] // Each test file uses part of it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use slack_oauth_axum::SlackRoutes;
use slack_oauth_core::web::{InstallFlow, SigningSecret, Verifier};
use slack_oauth_core::{
    keeper::KeeperError, secret::StateKey, unix_seconds, Api, AuthorizeUrl, ClientCredentials,
    Installation, MemoryStore,
};
use slack_oauth_hyper::{Client, Keeper};
use slack_oauth_sim::{AppConfig, Server, Sim};

pub const CLIENT_ID: &str = "1111.2222";
pub const CLIENT_SECRET: &str = "e2e-client-secret";
/// Slack's format: 32 lowercase hex characters.
pub const SIGNING_SECRET: &str = "8e2f1a77c0b94d3e9a6b5c4d3e2f1a0b";
pub const APP_ID: &str = "A0ACME";
pub const TEAM_ID: &str = "T0ACME";
pub const TEAM_NAME: &str = "Acme & Co";

pub type Store = Arc<MemoryStore<Installation>>;

/// The simulator, the app's server and what the app stores.
pub struct App {
    pub sim: Server,
    pub addr: SocketAddr,
    pub store: Store,
    pub keeper: Keeper<Installation, Store>,
    pub runtime: tokio::runtime::Runtime,
    pub installs: Arc<std::sync::Mutex<Vec<String>>>,
    /// The `event.type` of every event handed to the app's `on_event` hook.
    pub events: Arc<std::sync::Mutex<Vec<String>>>,
    /// Where used states are recorded, when the app was started with single-use states.
    pub used_states: Arc<MemoryStore<slack_oauth_core::web::UsedState>>,
}

impl App {
    /// Starts both servers; `configure` may change the flow (PKCE, page mode, ...).
    pub fn start(configure: impl FnOnce(InstallFlow) -> InstallFlow) -> App {
        App::start_with(configure, false)
    }

    /// Like [`App::start`]; with `sim_events`, the simulator sends its signed events to the
    /// app's `/slack/events`, and the app and its keeper read the simulator's clock (the
    /// events are signed at simulated time).
    pub fn start_with(configure: impl FnOnce(InstallFlow) -> InstallFlow, sim_events: bool) -> App {
        App::start_all(configure, sim_events, false)
    }

    /// Like [`App::start`], with single-use states recorded in [`App::used_states`].
    pub fn start_single_use(configure: impl FnOnce(InstallFlow) -> InstallFlow) -> App {
        App::start_all(configure, false, true)
    }

    fn start_all(
        configure: impl FnOnce(InstallFlow) -> InstallFlow,
        sim_events: bool,
        single_use: bool,
    ) -> App {
        let sim = Sim::new();
        let server = Server::start(sim.clone()).expect("the simulator starts");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a port");
        let addr = listener.local_addr().expect("an address");
        let redirect_uri = format!("http://{addr}/slack/oauth_redirect");
        let mut config = AppConfig::new(CLIENT_ID, CLIENT_SECRET);
        if sim_events {
            config = config
                .event_request_url(format!("http://{addr}/slack/events"))
                .signing_secret(SIGNING_SECRET);
        }
        sim.register_app(
            config
                .app_id(APP_ID)
                .team(TEAM_ID, TEAM_NAME)
                .redirect_uri(&redirect_uri)
                .token_rotation(true)
                .pkce(true)
                .bot_scopes("chat:write,commands")
                .user_scopes("search:read"),
        );
        let api = Api::new()
            .with_base_url(&server.base_url())
            .expect("a loopback base URL")
            .with_credentials(ClientCredentials::new(CLIENT_ID, CLIENT_SECRET));
        let store: Store = Arc::new(MemoryStore::new());
        let mut keeper = Keeper::new(Client::new(api), store.clone());
        let clock = sim.clone();
        if sim_events {
            keeper = keeper.with_clock(move || clock.now());
        }
        let flow = InstallFlow::new(
            AuthorizeUrl::new(CLIENT_ID)
                .with_base_url(&server.url())
                .expect("a loopback web URL")
                .bot_scopes(["chat:write", "commands"])
                .user_scopes(["search:read"]),
            redirect_uri,
            StateKey::from_random_bytes(&[42; 32]).expect("a key"),
        )
        .expect("a flow")
        .with_app_name("Acme Bot");
        let installs = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = installs.clone();
        let events = Arc::new(std::sync::Mutex::new(Vec::new()));
        let heard = events.clone();
        let routes = SlackRoutes::new(
            configure(flow),
            Verifier::new(SigningSecret::new(SIGNING_SECRET).expect("Slack's format")),
            keeper.clone(),
        )
        .on_install(move |installed| {
            let seen = seen.clone();
            async move { seen.lock().unwrap().push(installed.key) }
        })
        .on_event(move |event| {
            let heard = heard.clone();
            async move {
                if let slack_oauth_core::web::Payload::Other { event_type, .. } = event.payload {
                    heard.lock().unwrap().push(event_type.unwrap_or_default());
                }
            }
        });
        let clock = sim.clone();
        let routes = if sim_events {
            routes.with_clock(move || clock.now())
        } else {
            routes
        };
        let used_states = Arc::new(MemoryStore::new());
        let routes = if single_use {
            routes.with_single_use_states(used_states.clone())
        } else {
            routes
        };
        let router: axum::Router = routes.router();
        runtime.spawn(async move { axum::serve(listener, router).await });
        App {
            sim: server,
            addr,
            store,
            keeper,
            runtime,
            installs,
            events,
            used_states,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What the keeper says about the bot token stored under `key`.
    pub fn bot_token(&self, key: &str) -> Result<String, KeeperError> {
        self.runtime
            .block_on(self.keeper.find_bot_token(
                &slack_oauth_core::installation::InstallationKey::new(APP_ID).with_team(key),
            ))
            .map(|t| t.expose().to_owned())
    }

    pub fn stored(&self) -> Option<Installation> {
        // The bot record a keeper's install writes (see `InstallationKey`).
        let key = slack_oauth_core::installation::InstallationKey::new(APP_ID).with_team(TEAM_ID);
        slack_oauth_core::Store::load(&*self.store, &key.bot_record())
            .expect("memory never fails")
            .map(|record| record.value)
    }

    /// The installing user's own record (see `InstallationKey`), holding their user token.
    pub fn stored_user(&self) -> Option<Installation> {
        let team = slack_oauth_core::installation::InstallationKey::new(APP_ID).with_team(TEAM_ID);
        let keys = slack_oauth_core::Store::keys(&*self.store, &team.prefix())
            .expect("memory never fails");
        let user = keys.into_iter().find(|key| key.contains("/user/"))?;
        slack_oauth_core::Store::load(&*self.store, &user)
            .expect("memory never fails")
            .map(|record| record.value)
    }

    /// POSTs an event body to /slack/events, signed at `timestamp` with `secret`.
    pub fn post_event(&self, body: &str, secret: &str, timestamp: u64) -> Page {
        self.post_retry(body, secret, timestamp, None)
    }

    /// [`App::post_event`], as Slack's `retry`th redelivery after a timeout when `Some`.
    pub fn post_retry(&self, body: &str, secret: &str, timestamp: u64, retry: Option<u32>) -> Page {
        let signature = Verifier::new(SigningSecret::new(secret).expect("a test secret"))
            .sign(timestamp, body.as_bytes());
        let mut request = http::Request::post(self.url("/slack/events"))
            .header("content-type", "application/json")
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header("x-slack-signature", signature);
        if let Some(num) = retry {
            request = request
                .header("x-slack-retry-num", num.to_string())
                .header("x-slack-retry-reason", "http_timeout");
        }
        Browser::new().send(request.body(body.as_bytes().to_vec()).unwrap())
    }
}

pub fn now() -> u64 {
    unix_seconds(SystemTime::now())
}

/// A response with its body as text.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
    pub url: String,
}

impl Page {
    pub fn location(&self) -> Option<String> {
        self.headers
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
    }

    /// The `href` of the element with this id.
    pub fn href(&self, id: &str) -> String {
        let marker = format!("id=\"{id}\" href=\"");
        let start = self.body.find(&marker).expect("the element") + marker.len();
        let end = start + self.body[start..].find('"').unwrap();
        self.body[start..end].replace("&amp;", "&")
    }
}

/// Keeps cookies (name, value, path) like a browser, for 127.0.0.1 only, and follows
/// redirects when asked.
pub struct Browser {
    agent: ureq::Agent,
    cookies: Vec<(String, String, String)>,
}

impl Browser {
    pub fn new() -> Browser {
        Browser {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_global(Some(Duration::from_secs(20)))
                .build()
                .into(),
            cookies: Vec::new(),
        }
    }

    pub fn cookie_names(&self) -> Vec<String> {
        self.cookies.iter().map(|c| c.0.clone()).collect()
    }

    /// The raw `name=value` pairs held, e.g. to hand to another client.
    pub fn cookie_header(&self, path: &str) -> String {
        self.cookies
            .iter()
            .filter(|(_, _, p)| path.starts_with(p.as_str()))
            .map(|(n, v, _)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn set_cookie(&mut self, name: &str, value: &str, path: &str) {
        self.cookies.retain(|(n, _, p)| !(n == name && p == path));
        self.cookies.push((name.into(), value.into(), path.into()));
    }

    pub fn get(&mut self, url: &str) -> Page {
        let uri: http::Uri = url.parse().expect("a URL");
        let cookie = self.cookie_header(uri.path());
        let mut request = http::Request::get(url);
        if !cookie.is_empty() {
            request = request.header("cookie", cookie);
        }
        let page = self.send(request.body(Vec::new()).unwrap());
        for value in page.headers.get_all("set-cookie") {
            let text = value.to_str().unwrap();
            let mut parts = text.split(';').map(str::trim);
            let (name, value) = parts.next().unwrap().split_once('=').unwrap();
            let mut path = "/".to_owned();
            let mut remove = false;
            for attribute in parts {
                if let Some(p) = attribute.strip_prefix("Path=") {
                    path = p.to_owned();
                }
                remove |= attribute == "Max-Age=0";
            }
            self.cookies.retain(|(n, _, p)| !(n == name && *p == path));
            if !remove {
                self.cookies.push((name.into(), value.into(), path));
            }
        }
        page
    }

    /// GETs `url` and follows redirects to http(s) URLs; stops at a non-redirect or at a
    /// redirect elsewhere (e.g. `slack://`).
    pub fn follow(&mut self, url: &str) -> Page {
        let mut url = url.to_owned();
        for _ in 0..10 {
            let page = self.get(&url);
            match page.location() {
                Some(next) if (300..400).contains(&page.status) && next.starts_with("http") => {
                    url = next
                }
                _ => return page,
            }
        }
        panic!("too many redirects from {url}");
    }

    pub fn send(&self, request: http::Request<Vec<u8>>) -> Page {
        let url = request.uri().to_string();
        let response = self.agent.run(request).expect("an HTTP answer");
        let (parts, mut body) = response.into_parts();
        Page {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: body.read_to_string().expect("a text body"),
            url,
        }
    }
}
