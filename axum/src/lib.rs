//! The web side of a Slack app for [axum]: the install page, the OAuth redirect and the
//! Events API endpoint, mounted on an app's router.
//!
//! Every decision comes from `slack_oauth_core::web` (what each page shows, the state
//! cookie, signature checks, what an event deletes); this crate reads axum's requests,
//! sends the two Slack calls through the [`Keeper`]'s client and stores the installation.
//!
//! ```no_run
//! use std::sync::Arc;
//! use slack_oauth_axum::SlackRoutes;
//! use slack_oauth_core::web::{InstallFlow, SigningSecret, Verifier};
//! use slack_oauth_core::{Api, AuthorizeUrl, ClientCredentials, Installation, MemoryStore, secret::StateKey};
//! use slack_oauth_hyper::{Client, Keeper};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let api = Api::new().with_credentials(ClientCredentials::new("111.222", "client-secret"));
//! let keeper = Keeper::new(Client::new(api), Arc::new(MemoryStore::<Installation>::new()));
//! let flow = InstallFlow::new(
//!     AuthorizeUrl::new("111.222").bot_scopes(["chat:write"]),
//!     "https://app.example.com/slack/oauth_redirect",
//!     StateKey::new("a base64url key of at least 32 random bytes, kept secret"),
//! )?;
//! // Slack's 32 hex characters: an empty or short secret is an error here.
//! let verifier = Verifier::new(SigningSecret::new(std::env::var("SLACK_SIGNING_SECRET")?)?);
//! let slack = SlackRoutes::new(flow, verifier, keeper)
//!     .on_install(|installed| async move { println!("installed in {}", installed.key) });
//! let app: axum::Router = axum::Router::new().merge(slack.router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! What the routes answer, all decided in `slack_oauth_core::web`:
//!
//! - the install path shows the "Add to Slack" page and sets the state cookie (in the
//!   `__Host-` form on https); with `?installed=…` (where a successful redirect sends the
//!   browser, a 303) it shows the success page, which a reload shows again; with `?restart`
//!   it goes straight on to Slack. Set the app's *Direct Install URL* to this path.
//! - the redirect path exchanges the code and stores the installation; a redirect with a code
//!   but neither state nor cookie (an install started at Slack) restarts the flow at the
//!   install path instead of failing.
//! - the events path verifies the signature and forgets what `app_uninstalled` and
//!   `tokens_revoked` name, except records installed after the event happened (Slack delivers
//!   late and again; see `slack_oauth_core::web::LATE_EVENT_TOLERANCE`), always answering 200
//!   so Slack stops retrying; other events go to [`SlackRoutes::on_event`] with their
//!   `event_id`, `event_time` and retry headers.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use slack_oauth_core::web::{
    Event, ForgetStep, InstallFailure, InstallFlow, Installed, Payload, UsedState, Verifier,
    INSTALL_RANDOM_BYTES, MAX_EVENT_BODY,
};
use slack_oauth_core::{keeper::KeeperError, store::Swap, unix_seconds, AsyncStore, Installation};
use slack_oauth_hyper::Keeper;

/// The axum these routes are built with, for `axum::serve` and the app's own routes.
pub use axum;

type Hook<T> = Arc<dyn Fn(T) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Creates a [`UsedState`] record if absent: `Err(())` when the store failed.
type Claim = Arc<
    dyn Fn(String, UsedState) -> Pin<Box<dyn Future<Output = Result<Swap, ()>> + Send>>
        + Send
        + Sync,
>;

/// The three routes and what they run on: the install flow, the signing secret's verifier,
/// the keeper (its client calls Slack, its store keeps installations), and the app's hooks.
pub struct SlackRoutes<S> {
    flow: InstallFlow,
    verifier: Verifier,
    keeper: Keeper<Installation, S>,
    paths: [String; 3],
    clock: Arc<dyn Fn() -> u64 + Send + Sync>,
    on_install: Option<Hook<Installed>>,
    on_event: Option<Hook<Event>>,
    claim: Option<Claim>,
}

impl<S> SlackRoutes<S>
where
    S: AsyncStore<Installation> + Send + Sync + 'static,
{
    /// Routes at `/slack/install`, `/slack/oauth_redirect` and `/slack/events`, on the system
    /// clock. The redirect path must be the path of the flow's redirect URI.
    pub fn new(flow: InstallFlow, verifier: Verifier, keeper: Keeper<Installation, S>) -> Self {
        SlackRoutes {
            flow,
            verifier,
            keeper,
            paths: ["/slack/install", "/slack/oauth_redirect", "/slack/events"].map(String::from),
            clock: Arc::new(|| unix_seconds(SystemTime::now())),
            on_install: None,
            on_event: None,
            claim: None,
        }
    }

    /// Serves the install page, Slack's redirect and the events endpoint at these paths.
    pub fn paths(mut self, install: &str, redirect: &str, events: &str) -> Self {
        self.paths = [install, redirect, events].map(String::from);
        self.flow = self.flow.with_install_path(install);
        self
    }

    /// Reads the time (Unix seconds) from `clock` instead of the system clock.
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Makes every state single-use across all the app's servers: the nonce of each state
    /// that reaches the code exchange is recorded in `store` ([`UsedState`], under
    /// `slack-oauth/used-state/…`, created only if absent) until the state expires, and a
    /// second redirect with the same state, on any server sharing `store`, is refused
    /// (`state_used`) before its code is sent to Slack. Off by default: the state's cookie
    /// binding already makes it single-use per browser; this also refuses a replay by
    /// someone holding both the state and the cookie. Records whose `expires_at` has passed
    /// may be deleted (the state is refused as expired by then); a store failure refuses the
    /// install with `storage_failed`, spending nothing.
    pub fn with_single_use_states<U>(mut self, store: U) -> Self
    where
        U: AsyncStore<UsedState> + Send + Sync + 'static,
    {
        let store = Arc::new(store);
        self.claim = Some(Arc::new(move |key, used| {
            let store = store.clone();
            Box::pin(async move {
                let swapped = AsyncStore::compare_and_swap(&*store, &key, None, &used, None);
                swapped.await.map_err(drop)
            })
        }));
        self
    }

    /// Runs `hook` after each successful install, once the installation is stored and before
    /// the success page is sent.
    pub fn on_install<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Installed) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_install = Some(Arc::new(move |i| Box::pin(hook(i))));
        self
    }

    /// Hands every verified event other than `url_verification`, `app_uninstalled` and
    /// `tokens_revoked` to `hook`, in a task of its own: Slack has its 200 at once.
    ///
    /// The [`Event`] carries Slack's `event_id` and `event_time` and, on a redelivery, the
    /// retry headers ([`Event::retry`]): Slack delivers an event again when the 200 was late
    /// or lost, so a hook that must act once remembers the `event_id`s it has handled.
    pub fn on_event<F, Fut>(mut self, hook: F) -> Self
    where
        F: Fn(Event) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_event = Some(Arc::new(move |e| Box::pin(hook(e))));
        self
    }

    /// The routes, to merge into the app's router (any router state).
    pub fn router<T: Clone + Send + Sync + 'static>(self) -> Router<T> {
        let [install, redirect, events] = self.paths.clone();
        let routes = Arc::new(self);
        let (r1, r2, r3) = (routes.clone(), routes.clone(), routes);
        Router::new()
            .route(
                &install,
                get(move |req: Request| async move { r1.install(req) }),
            )
            .route(
                &redirect,
                get(move |req: Request| async move { r2.redirect(req).await }),
            )
            .route(
                &events,
                post(move |req: Request| async move { r3.events(req).await }),
            )
    }

    fn install(&self, request: Request) -> Response {
        let mut random = [0u8; INSTALL_RANDOM_BYTES];
        if getrandom::fill(&mut random).is_err() {
            return status(StatusCode::INTERNAL_SERVER_ERROR, "no random source\n");
        }
        into_axum(self.flow.install_page(&request, (self.clock)(), &random))
    }

    async fn redirect(&self, request: Request) -> Response {
        // Only the URL and the cookies matter; the body (not `Sync`) stays behind.
        let (parts, _) = request.into_parts();
        let request = axum::http::Request::from_parts(parts, ());
        match self.complete(&request).await {
            Ok(installed) => into_axum(self.flow.success(&installed)),
            Err(failure) => into_axum(self.flow.failure(&failure)),
        }
    }

    async fn complete(
        &self,
        request: &axum::http::Request<()>,
    ) -> Result<Installed, InstallFailure> {
        let mut exchange = self.flow.redirect(request, (self.clock)())?;
        if let Some(claim) = &self.claim {
            let (key, used) = exchange.claim();
            exchange = exchange.claimed(claim(key, used).await)?;
        }
        let client = self.keeper.client();
        let answer = client.call(exchange.access()).await;
        let check = exchange.exchanged(answer, (self.clock)())?;
        let test = match check.auth_test() {
            Some(method) => Some(client.call(&method).await),
            None => None,
        };
        let installed = check.finish(test);
        self.keeper
            .install(&installed.installation)
            .await
            .map_err(|_| InstallFailure::Store)?;
        if let Some(hook) = &self.on_install {
            hook(installed.clone()).await;
        }
        Ok(installed)
    }

    async fn events(&self, request: Request) -> Response {
        let (parts, body) = request.into_parts();
        // One byte over the limit is enough for core to refuse the body as too large.
        let body = match axum::body::to_bytes(body, MAX_EVENT_BODY + 1).await {
            Ok(bytes) => bytes.to_vec(),
            Err(_) => return status(StatusCode::PAYLOAD_TOO_LARGE, "body too large\n"),
        };
        let request = axum::http::Request::from_parts(parts, body);
        let event = match Event::from_request(&self.verifier, &request, (self.clock)()) {
            Ok(event) => event,
            Err(e) => return into_axum(e.response()),
        };
        if self.forget(&event).await.is_err() {
            // Slack retries a failed delivery: the deletion gets another chance.
            return status(StatusCode::INTERNAL_SERVER_ERROR, "storage failed\n");
        }
        let response = into_axum(event.response());
        if let (Payload::Other { .. }, Some(hook)) = (&event.payload, &self.on_event) {
            tokio::spawn(hook(event));
        }
        response
    }

    /// Performs the store operations core plans for `app_uninstalled` / `tokens_revoked`;
    /// what is newer than the event (a late one) is left alone by core's plan.
    async fn forget(&self, event: &Event) -> Result<(), KeeperError> {
        let (mut forget, keeper) = (event.forget(), &self.keeper);
        while let Some(step) = forget.next_step() {
            match step {
                ForgetStep::List(prefix) => {
                    let keys = AsyncStore::keys(keeper.store(), &prefix).await;
                    forget.listed(keys.map_err(KeeperError::store)?);
                }
                ForgetStep::Load(key) => forget.loaded(keeper.load(&key).await)?,
                ForgetStep::Delete(key) => drop(keeper.delete(&key).await?),
                ForgetStep::Save(key, left) => keeper.save(&key, &left).await?,
            }
        }
        Ok(())
    }
}

fn into_axum(response: axum::http::Response<Vec<u8>>) -> Response {
    response.map(Body::from)
}

fn status(code: StatusCode, text: &'static str) -> Response {
    (code, text).into_response()
}

// The README's Rust examples run as doctests of this crate (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
