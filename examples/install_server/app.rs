//! The install server itself: configuration from the environment, the simulator when no
//! Slack credentials are given, and axum serving `SlackRoutes`.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use slack_oauth::axum::{axum, SlackRoutes};
use slack_oauth::hyper::{Client, Keeper};
use slack_oauth::web::{InstallFlow, SigningSecret, Verifier};
use slack_oauth::{
    secret::StateKey, Api, AsyncStore, AuthorizeUrl, ClientCredentials, Installation, MemoryStore,
};
use slack_oauth_sim::{AppConfig, Clock, Server, Sim};

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Where installations are kept by default: a MemoryStore forgets them when the process ends.
/// `SLACK_OAUTH_STORE=sqlite:PATH` (with `--features axum,sqlite`; or a `postgres://` or
/// `redis://` URL with those features) keeps them in a durable store instead: anything that
/// implements `AsyncStore<Installation>` works unchanged in [`routes`].
type Installations = Arc<MemoryStore<Installation>>;

fn installations() -> Installations {
    Arc::new(MemoryStore::new())
}

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "redis"))]
async fn durable_routes(settings: Settings, url: &str) -> Result<axum::Router> {
    let store = slack_oauth::stores::AsyncAnyStore::<Installation>::open(url).await?;
    // The URL may hold a password: name only the kind of store.
    let kind = url.split(':').next().unwrap_or("durable");
    println!("Installations are kept in the {kind} store (it holds tokens: keep it secret).");
    routes(settings, store)
}

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "redis")))]
async fn durable_routes(_: Settings, _: &str) -> Result<axum::Router> {
    Err(
        "SLACK_OAUTH_STORE needs a store feature: --features axum,sqlite (or postgres, redis)"
            .into(),
    )
}

/// The app's settings: from the environment for real Slack, made up for the simulator.
pub struct Settings {
    pub client_id: String,
    pub client_secret: String,
    pub signing_secret: String,
    pub api: Api,
    pub authorize: AuthorizeUrl,
    pub redirect_uri: String,
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random bytes: {e}"))?;
    Ok(bytes)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Serves until `INSTALL_SERVER_EXIT_AFTER` seconds pass (or forever), printing the URL.
pub async fn main() -> Result<()> {
    let exit_after = env("INSTALL_SERVER_EXIT_AFTER")
        .map(|s| s.parse::<u64>())
        .transpose()
        .map_err(|_| "INSTALL_SERVER_EXIT_AFTER must be a number of seconds")?;
    let real = env("SLACK_CLIENT_ID").is_some();
    let default_port = if real { 3000 } else { 0 };
    let port = env("PORT")
        .map(|p| {
            p.parse::<u16>()
                .map_err(|_| format!("PORT must be a port number (0 to 65535), not {p:?}"))
        })
        .transpose()?;
    let listener =
        tokio::net::TcpListener::bind(("127.0.0.1", port.unwrap_or(default_port))).await?;
    let addr = listener.local_addr()?;

    // Kept alive for as long as the server runs.
    let mut simulator = None;
    let settings = if real {
        real_slack(addr.port())?
    } else {
        let (server, settings) = simulated_slack(&format!("http://{addr}/slack/oauth_redirect"))?;
        println!(
            "Slack simulator on {} (it approves every install)",
            server.url()
        );
        // A throw-away made for this run, printed so the events endpoint can be tried by hand.
        println!(
            "Signing secret (the simulator's, for this run only): {}",
            settings.signing_secret
        );
        simulator = Some(server);
        settings
    };
    let redirect_uri = settings.redirect_uri.clone();
    let router = match env("SLACK_OAUTH_STORE") {
        Some(url) => durable_routes(settings, &store_url(&url)).await?,
        None => routes(settings, installations())?,
    };

    // One host name in everything printed: the redirect URI's, which the state cookie is
    // bound to (a browser on another name for this host would not send it back).
    let origin = origin(&redirect_uri);
    println!("Open {origin}/slack/install to install the app.");
    println!("Slack's events go to {origin}/slack/events (signed with the signing secret).");
    let serve = axum::serve(listener, router.into_make_service());
    match exit_after {
        Some(seconds) => {
            let stop = tokio::time::sleep(Duration::from_secs(seconds));
            serve.with_graceful_shutdown(stop).await?;
        }
        None => serve.await?,
    }
    drop(simulator);
    Ok(())
}

/// The routes for `settings`, storing in `store`.
pub fn routes<S>(settings: Settings, store: S) -> Result<axum::Router>
where
    S: AsyncStore<Installation> + Send + Sync + 'static,
{
    let state_key = match env("SLACK_STATE_KEY") {
        Some(key) => StateKey::new(key),
        None => StateKey::from_random_bytes(&random::<32>()?)?,
    };
    let api = settings.api.with_credentials(ClientCredentials::new(
        settings.client_id,
        settings.client_secret,
    ));
    let keeper = Keeper::new(Client::new(api), store);
    let flow = InstallFlow::new(settings.authorize, settings.redirect_uri, state_key)?
        .with_pkce(true)
        .with_app_name("the install_server example");
    let verifier = Verifier::new(SigningSecret::new(settings.signing_secret)?);
    let slack = SlackRoutes::new(flow, verifier, keeper)
        .on_install(|installed| async move {
            // Secrets are never printed: the key and the bot's id only.
            let bot = installed.bot_id.as_deref().unwrap_or("(no bot id)");
            println!("installed: {} (bot {bot})", installed.key);
        })
        .on_event(|event| async move {
            let id = event.event_id.as_deref().unwrap_or("-");
            let retry = event.retry.map(|r| format!(" (retry {})", r.num));
            println!(
                "event {id}{}: {:?}",
                retry.unwrap_or_default(),
                event.payload
            );
        });
    // `GET /` is the install page's address a person types first.
    let home = axum::routing::get(|| async { axum::response::Redirect::to("/slack/install") });
    Ok(axum::Router::new().route("/", home).merge(slack.router()))
}

/// `scheme://host[:port]` of `uri`.
fn origin(uri: &str) -> String {
    let parsed: Option<http::Uri> = uri.parse().ok();
    let parts = parsed
        .as_ref()
        .and_then(|u| Some((u.scheme_str()?, u.authority()?)));
    parts.map_or_else(|| uri.to_owned(), |(s, a)| format!("{s}://{a}"))
}

/// A relative `sqlite:` path goes under `target/`, so a token database never lands in the
/// source tree (and `*.db` is in `.gitignore` besides).
fn store_url(url: &str) -> String {
    match url.strip_prefix("sqlite:") {
        Some(path)
            if !path.starts_with('/') && !path.starts_with(':') && !path.starts_with("target/") =>
        {
            let moved = format!("sqlite:target/{path}");
            println!("A relative SQLite path goes under target/: {moved}");
            moved
        }
        _ => url.to_owned(),
    }
}

fn scopes() -> Vec<String> {
    env("SLACK_SCOPES")
        .unwrap_or_else(|| "chat:write".into())
        .split(',')
        .map(|s| s.trim().to_owned())
        .collect()
}

fn real_slack(port: u16) -> Result<Settings> {
    let need = |name: &str| env(name).ok_or_else(|| format!("{name} is not set"));
    let client_id = need("SLACK_CLIENT_ID")?;
    // `localhost`, as printed: a browser keeps cookies per host name.
    let redirect_uri = env("SLACK_REDIRECT_URI")
        .unwrap_or_else(|| format!("http://localhost:{port}/slack/oauth_redirect"));
    Ok(Settings {
        authorize: AuthorizeUrl::new(client_id.clone()).bot_scopes(scopes()),
        client_id,
        client_secret: need("SLACK_CLIENT_SECRET")?,
        signing_secret: need("SLACK_SIGNING_SECRET")?,
        api: Api::new(),
        redirect_uri,
    })
}

/// The simulator on 127.0.0.1 with an app registered for `redirect_uri`.
pub fn simulated_slack(redirect_uri: &str) -> Result<(Server, Settings)> {
    let client_id = "1111.2222".to_owned();
    let client_secret = URL_SAFE_NO_PAD.encode(random::<16>()?);
    // On the wall clock, so the events it signs are fresh by the app's system clock.
    let server = Server::start(Sim::with_clock(Clock::Wall))?;
    let signing_secret = SigningSecret::from_random_bytes(&random::<16>()?)
        .expose()
        .to_owned();
    server.sim().register_app(
        AppConfig::new(&client_id, &client_secret)
            .redirect_uri(redirect_uri)
            // `apps.uninstall` (or the simulator's uninstall) delivers a signed app_uninstalled.
            .event_request_url(format!("{}/slack/events", origin(redirect_uri)))
            .signing_secret(&signing_secret)
            .token_rotation(true)
            .pkce(true)
            .bot_scopes("chat:write,commands"),
    );
    let settings = Settings {
        authorize: AuthorizeUrl::new(client_id.clone())
            .with_base_url(&server.url())?
            .bot_scopes(scopes()),
        api: Api::new().with_base_url(&server.base_url())?,
        client_id,
        client_secret,
        // Slack's format: 32 lowercase hex characters.
        signing_secret,
        redirect_uri: redirect_uri.to_owned(),
    };
    Ok((server, settings))
}
