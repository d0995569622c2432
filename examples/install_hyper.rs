//! The install flow and events endpoint on bare hyper, to show that another framework needs
//! only core's `web` functions (the axum adapter does the same in `slack-oauth-axum`).
//!
//! ```bash
//! cargo run --example install_hyper --features hyper   # against the simulator
//! ```
//!
//! It prints the URL to open; `INSTALL_SERVER_EXIT_AFTER=SECONDS` stops it after that long.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use slack_oauth::hyper::{Client, Keeper};
use slack_oauth::web::{Event, ForgetStep, InstallFlow, SigningSecret, Verifier, MAX_EVENT_BODY};
use slack_oauth::{
    keeper::KeeperError, secret::StateKey, unix_seconds, Api, AsyncStore, AuthorizeUrl,
    ClientCredentials, Installation, MemoryStore,
};
use slack_oauth_sim::{AppConfig, Server, Sim};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// What the routes run on (public for `tests/install_hyper.rs`, which serves it).
pub struct App {
    /// The install page, Slack's redirect and the pages.
    pub flow: InstallFlow,
    /// Checks the events' signatures.
    pub verifier: Verifier,
    /// Calls Slack and stores the installations.
    pub keeper: Keeper<Installation, Arc<MemoryStore<Installation>>>,
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    getrandom::fill(&mut bytes).expect("the OS random source");
    bytes
}

fn now() -> u64 {
    unix_seconds(SystemTime::now())
}

async fn handle(
    app: Arc<App>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let head = Request::from_parts(parts, ());
    let response = match (head.method().as_str(), head.uri().path()) {
        ("GET", "/slack/install") => app.flow.install_page(&head, now(), &random()),
        ("GET", "/slack/oauth_redirect") => match complete(&app, &head).await {
            Ok(response) => response,
            Err(failure) => app.flow.failure(&failure),
        },
        ("POST", "/slack/events") => match Limited::new(body, MAX_EVENT_BODY).collect().await {
            Ok(body) => {
                events(
                    &app,
                    Request::from_parts(head.into_parts().0, body.to_bytes().to_vec()),
                )
                .await
            }
            Err(_) => status(413),
        },
        _ => status(404),
    };
    Ok(response.map(|body| Full::new(Bytes::from(body))))
}

/// Slack's redirect: exchange the code, ask `auth.test`, store, show the success page.
async fn complete(
    app: &App,
    head: &Request<()>,
) -> Result<Response<Vec<u8>>, slack_oauth::web::InstallFailure> {
    let exchange = app.flow.redirect(head, now())?;
    let client = app.keeper.client();
    let answer = client.call(exchange.access()).await;
    let check = exchange.exchanged(answer, now())?;
    let test = match check.auth_test() {
        Some(method) => Some(client.call(&method).await),
        None => None,
    };
    let installed = check.finish(test);
    app.keeper
        .install(&installed.installation)
        .await
        .map_err(|_| slack_oauth::web::InstallFailure::Store)?;
    println!("installed: {}", installed.key);
    Ok(app.flow.success(&installed))
}

/// Slack's events: verify, forget what was uninstalled or revoked, answer at once.
async fn events(app: &App, request: Request<Vec<u8>>) -> Response<Vec<u8>> {
    let event = match Event::from_request(&app.verifier, &request, now()) {
        Ok(event) => event,
        Err(refused) => return refused.response(),
    };
    // What `app_uninstalled` / `tokens_revoked` delete: core plans it, one store step at a time.
    let mut forget = event.forget();
    while let Some(step) = forget.next_step() {
        let done = match step {
            ForgetStep::List(prefix) => {
                let keys = AsyncStore::keys(app.keeper.store(), &prefix).await;
                keys.map(|keys| forget.listed(keys))
                    .map_err(KeeperError::store)
            }
            ForgetStep::Load(key) => forget.loaded(app.keeper.load(&key).await),
            ForgetStep::Delete(key) => app.keeper.delete(&key).await.map(drop),
            ForgetStep::Save(key, left) => app.keeper.save(&key, &left).await,
        };
        if done.is_err() {
            return status(500); // Slack retries.
        }
    }
    event.response()
}

fn status(code: u16) -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = hyper::StatusCode::from_u16(code).unwrap_or_default();
    response
}

fn main() -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve())
}

async fn serve() -> Result<(), Error> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let signing_secret = SigningSecret::from_random_bytes(&random::<16>());
    let (app, sim) = app(&addr.to_string(), signing_secret)?;
    println!(
        "Open http://{addr}/slack/install (Slack simulator on {}).",
        sim.url()
    );
    let exit_after = std::env::var("INSTALL_SERVER_EXIT_AFTER")
        .ok()
        .and_then(|s| s.parse().ok());
    let deadline = tokio::time::sleep(Duration::from_secs(exit_after.unwrap_or(u64::MAX / 4)));
    tokio::select! {
        served = accept(listener, app) => served,
        () = deadline => Ok(()),
    }
}

/// The app served at `host` (`127.0.0.1:PORT`), against a simulator it starts.
pub fn app(host: &str, signing_secret: SigningSecret) -> Result<(Arc<App>, Server), Error> {
    let redirect_uri = format!("http://{host}/slack/oauth_redirect");
    let sim = Server::start(Sim::new())?;
    sim.sim().register_app(
        AppConfig::new("1111.2222", "client-secret")
            .redirect_uri(&redirect_uri)
            .bot_scopes("chat:write"),
    );
    let api = Api::new()
        .with_base_url(&sim.base_url())?
        .with_credentials(ClientCredentials::new("1111.2222", "client-secret"));
    let authorize = AuthorizeUrl::new("1111.2222")
        .with_base_url(&sim.url())?
        .bot_scopes(["chat:write"]);
    let app = Arc::new(App {
        flow: InstallFlow::new(
            authorize,
            redirect_uri,
            StateKey::from_random_bytes(&random::<32>())?,
        )?,
        verifier: Verifier::new(signing_secret),
        keeper: Keeper::new(Client::new(api), Arc::new(MemoryStore::new())),
    });
    Ok((app, sim))
}

/// Serves `app` on every connection `listener` accepts.
pub async fn accept(listener: tokio::net::TcpListener, app: Arc<App>) -> Result<(), Error> {
    loop {
        let (stream, _) = listener.accept().await?;
        let app = app.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| handle(app.clone(), request));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
