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
use slack_oauth_sim::{AppConfig, Server, Sim};

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
    let port = env("PORT").map(|p| p.parse::<u16>()).transpose()?;
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
        simulator = Some(server);
        settings
    };
    let router = match env("SLACK_OAUTH_STORE") {
        Some(url) => durable_routes(settings, &url).await?,
        None => routes(settings, installations())?,
    };

    println!("Open http://{addr}/slack/install to install the app.");
    println!("Slack's events go to http://{addr}/slack/events (signed with the signing secret).");
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
    let verifier = Verifier::new(SigningSecret::new(settings.signing_secret));
    let slack = SlackRoutes::new(flow, verifier, keeper).on_install(|installed| async move {
        // Secrets are never printed: the key and the bot's id only.
        let bot = installed.bot_id.as_deref().unwrap_or("(no bot id)");
        println!("installed: {} (bot {bot})", installed.key);
    });
    Ok(slack.router())
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
    let server = Server::start(Sim::new())?;
    server.sim().register_app(
        AppConfig::new(&client_id, &client_secret)
            .redirect_uri(redirect_uri)
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
        signing_secret: URL_SAFE_NO_PAD.encode(random::<16>()?),
        redirect_uri: redirect_uri.to_owned(),
    };
    Ok((server, settings))
}
