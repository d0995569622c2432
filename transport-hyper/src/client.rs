//! [`Client`]: sends core's requests with hyper-util's pooled client and hands the answers
//! back to core.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Body as _;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::{ClientConfig, RootCertStore};
use slack_oauth_core::transport::{
    localhost_addrs, mark_sensitive, AsyncHttpClient, Config, Error, Setup,
};
use slack_oauth_core::{error::BuildError, method::BaseUrl, Api, Method, Reply};
use tower_service::Service;

use crate::error::{from_body, from_client};

type Pool = hyper_util::client::legacy::Client<
    HttpsConnector<HttpConnector<Pinned<GaiResolver>>>,
    Full<Bytes>,
>;

/// How long an unused pooled connection is kept.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// An async Slack client: an [`Api`] plus a connection-reusing hyper client.
///
/// Cheap to clone (clones share the connection pool). Must be used inside a Tokio runtime;
/// its futures are `Send`, so calls can run in `tokio::spawn`ed tasks and web handlers.
///
/// ```no_run
/// use slack_oauth_core::{Api, ClientCredentials, oauth_v2::Access};
/// use slack_oauth_hyper::Client;
///
/// # async fn run() -> Result<(), slack_oauth_hyper::Error> {
/// let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
/// let client = Client::new(api);
/// let reply = client.call(&Access::code("the-code").redirect_uri("https://example.com/cb")).await?;
/// println!("installed in {:?}", reply.value.installation_id());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    setup: Setup,
    pool: Pool,
}

impl Client {
    /// A client for `api` with the default [`Config`]; its calls run inside a Tokio runtime.
    pub fn new(api: Api) -> Client {
        let setup = Setup::with_defaults(api);
        Client {
            pool: pool(setup.config(), webpki_roots()),
            setup,
        }
    }

    /// A client for `api` with `config`.
    ///
    /// Fails when the user agent suffix is not a valid header value or
    /// [`Config::proxy_from_env`] is set (this client has no proxy support) ([`Error::Build`]),
    /// or custom TLS roots hold no usable certificate ([`Error::Tls`]).
    pub fn with_config(api: Api, config: Config) -> Result<Client, Error> {
        if config.proxy_from_env {
            return Err(Error::Build(BuildError::InvalidArgument {
                name: "proxy_from_env",
                reason: "slack-oauth-hyper does not support proxies; use slack-oauth-ureq",
            }));
        }
        let (setup, pool) = Setup::connect(api, config, |config, roots| {
            Ok(pool(
                config,
                roots.map_or_else(|| Ok(webpki_roots()), custom_roots)?,
            ))
        })?;
        Ok(Client { setup, pool })
    }

    /// The [`Setup`] the client was built from: [`Api`] and
    /// [`Config`].
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// Calls `method` (its request built with [`Client::api`]) and reads Slack's answer into
    /// its typed result.
    pub async fn call<M: Method + Sync>(&self, method: &M) -> Result<Reply<M::Response>, Error> {
        AsyncHttpClient::call(self, method).await
    }

    /// The [`Api`] its requests are built with.
    pub fn api(&self) -> &Api {
        self.setup.api()
    }

    /// Sends any request and returns the response as it came: every status (a 4xx, 5xx or
    /// redirect is a response, not an error), every header, and the body bytes.
    ///
    /// Refuses a URL [`BaseUrl::check_request`] refuses (plain `http` to a host that is not
    /// loopback, a port out of range, ...) before any I/O, connects to `localhost` without
    /// asking the system resolver, never follows a redirect, and stops reading a body larger
    /// than [`Config::max_body`]. One [`Config::timeout`] covers connecting, sending and
    /// reading the whole body.
    pub async fn send(&self, mut request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Error> {
        BaseUrl::check_request(request.uri())?;
        mark_sensitive(request.headers_mut());
        let request = request.map(|body| Full::new(Bytes::from(body)));
        match tokio::time::timeout(self.setup.config().timeout, self.exchange(request)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(Error::Timeout),
        }
    }

    async fn exchange(&self, request: Request<Full<Bytes>>) -> Result<Response<Vec<u8>>, Error> {
        let limit = self.setup.config().max_body;
        let response = self.pool.request(request).await.map_err(from_client)?;
        let (parts, body) = response.into_parts();
        // A declared oversize body is refused before a byte of it is read; dropping it closes
        // the connection rather than returning it to the pool.
        if body.size_hint().lower() > limit {
            return Err(Error::BodyTooLarge { limit });
        }
        let cap = usize::try_from(limit).unwrap_or(usize::MAX);
        let body = Limited::new(body, cap)
            .collect()
            .await
            .map_err(|e| from_body(e, limit))?
            .to_bytes();
        Ok(Response::from_parts(parts, Vec::from(body)))
    }
}

/// The client trait core's [`AsyncKeeper`](slack_oauth_core::keeper::AsyncKeeper) refreshes
/// through, on Tokio: [`Client::send`], the system clock ([`slack_oauth_clock`]),
/// `tokio::time::sleep`, and `tokio::spawn` for refresh tasks, so that a refresh whose caller
/// was dropped still finishes and stores Slack's answer.
impl AsyncHttpClient for Client {
    fn api(&self) -> &Api {
        self.setup.api()
    }

    fn send(
        &self,
        request: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, Error>> + Send {
        Client::send(self, request)
    }

    fn now(&self) -> u64 {
        slack_oauth_clock::system()
    }

    fn not_behind(&self) -> Option<u64> {
        slack_oauth_clock::not_behind()
    }

    fn sleep(&self, pause: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(pause)
    }

    fn spawn<T: Send + 'static>(
        &self,
        task: impl Future<Output = T> + Send + 'static,
    ) -> impl Future<Output = Option<T>> + Send {
        let task = tokio::spawn(task); // started now, not when first polled
        async move {
            match task.await {
                Ok(output) => Some(output),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_cancelled) => None,
            }
        }
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Base URL and config; the pool's internals say nothing useful.
        let setup = &self.setup;
        f.debug_tuple("Client").field(setup).finish()
    }
}

fn pool(config: &Config, roots: RootCertStore) -> Pool {
    let mut http = HttpConnector::new_with_resolver(Pinned(GaiResolver::new()));
    // The https connector below wraps this one and handles the scheme check itself.
    http.enforce_http(false);
    http.set_connect_timeout(Some(config.connect_timeout));
    http.set_nodelay(true);
    // ring, chosen here: never a process-wide default, which would panic in programs that
    // link a second provider.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let https = HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .pool_idle_timeout(IDLE_TIMEOUT)
        .pool_timer(TokioTimer::new())
        .build(https)
}

/// Answers `localhost` itself (127.0.0.1 and ::1, [`localhost_addrs`]) and asks `R` (the
/// system resolver) for every other name; IP literals never reach a resolver.
///
/// Plain http is allowed to `localhost` as loopback, so the name must not be resolved by
/// `/etc/hosts` to another machine.
#[derive(Debug, Clone)]
struct Pinned<R>(R);

type Addrs = std::vec::IntoIter<SocketAddr>;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<R> Service<Name> for Pinned<R>
where
    R: Service<Name>,
    R::Response: Iterator<Item = SocketAddr>,
    R::Error: Into<BoxError>,
    R::Future: Send + 'static,
{
    type Response = Addrs;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Addrs, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.0.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, name: Name) -> Self::Future {
        if let Some(ips) = localhost_addrs(name.as_str()) {
            // Port 0: the connector puts the request's port in.
            let addrs: Vec<SocketAddr> = ips.iter().map(|&ip| SocketAddr::new(ip, 0)).collect();
            return Box::pin(std::future::ready(Ok(addrs.into_iter())));
        }
        let lookup = self.0.call(name);
        Box::pin(async move {
            let addrs = lookup.await.map_err(Into::into)?;
            Ok(addrs.collect::<Vec<_>>().into_iter())
        })
    }
}

fn webpki_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

fn custom_roots(ders: &[Vec<u8>]) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore::empty();
    let (added, _ignored) = store.add_parsable_certificates(
        ders.iter()
            .map(|der| rustls::pki_types::CertificateDer::from(der.clone())),
    );
    if added == 0 {
        return Err(Error::unusable_roots());
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn proxies_are_refused_not_ignored() {
        let config = Config::default().proxy_from_env(true);
        assert!(matches!(
            Client::with_config(Api::new(), config),
            Err(Error::Build(BuildError::InvalidArgument { .. }))
        ));
    }

    /// A resolver that believes a hostile `/etc/hosts`: every name is 192.0.2.1.
    #[derive(Clone)]
    struct Hostile;

    impl Service<Name> for Hostile {
        type Response = Addrs;
        type Error = io::Error;
        type Future = std::future::Ready<Result<Addrs, io::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), io::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Name) -> Self::Future {
            std::future::ready(Ok(vec![SocketAddr::from(([192, 0, 2, 1], 0))].into_iter()))
        }
    }

    #[tokio::test]
    async fn localhost_never_reaches_the_system_resolver() {
        let mut resolver = Pinned(Hostile);
        for name in ["localhost", "LOCALHOST", "localhost."] {
            let addrs: Vec<_> = resolver
                .call(name.parse().unwrap())
                .await
                .unwrap()
                .collect();
            assert!(!addrs.is_empty(), "{name}");
            assert!(
                addrs.iter().all(|a| a.ip().is_loopback()),
                "{name}: {addrs:?}"
            );
        }
        let other: Vec<_> = resolver
            .call("slack.com".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert_eq!(other, [SocketAddr::from(([192, 0, 2, 1], 0))]);
    }
}
