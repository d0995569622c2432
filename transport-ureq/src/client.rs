//! [`Client`]: sends core's requests with a ureq `Agent` and hands the answers back to core.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use http::{Request, Response};
use slack_oauth_core::transport::{
    localhost_addrs, mark_sensitive, Config, Error, HttpClient, Setup,
};
use slack_oauth_core::{method::BaseUrl, Api, Method, Reply};
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};
use ureq::Agent;

use crate::error::from_ureq;

/// A blocking Slack client: an [`Api`] plus a connection-reusing ureq agent.
///
/// Cheap to clone (clones share the connection pool) and safe to use from many threads.
///
/// ```no_run
/// use slack_oauth_core::{Api, ClientCredentials, oauth_v2::Access};
/// use slack_oauth_ureq::Client;
///
/// let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
/// let client = Client::new(api);
/// let reply = client.call(&Access::code("the-code").redirect_uri("https://example.com/cb"))?;
/// println!("installed in {:?}", reply.value.installation_id());
/// # Ok::<(), slack_oauth_ureq::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    setup: Setup,
    agent: Agent,
}

impl Client {
    /// A client for `api` with the default [`Config`].
    pub fn new(api: Api) -> Client {
        let setup = Setup::with_defaults(api);
        let agent = agent(setup.config(), RootCerts::WebPki);
        Client { setup, agent }
    }

    /// The [`Api`] requests are built with.
    pub fn api(&self) -> &Api {
        self.setup.api()
    }

    /// A client for `api` with `config`.
    ///
    /// Fails when the user agent suffix is not a valid header value
    /// ([`Error::Build`]) or custom TLS roots hold no usable certificate ([`Error::Tls`]).
    pub fn with_config(api: Api, config: Config) -> Result<Client, Error> {
        let (setup, agent) = Setup::connect(api, config, |config, roots| {
            Ok(agent(
                config,
                roots.map_or(Ok(RootCerts::WebPki), custom_roots)?,
            ))
        })?;
        Ok(Client { setup, agent })
    }

    /// What the client was built from: its [`Api`] and its
    /// transport [`Config`].
    pub fn setup(&self) -> &Setup {
        &self.setup
    }

    /// Calls `method` and reads Slack's answer into its typed result.
    pub fn call<M: Method>(&self, method: &M) -> Result<Reply<M::Response>, Error> {
        HttpClient::call(self, method)
    }

    /// Sends any request and returns the response as it came: every status (a 4xx, 5xx or
    /// redirect is a response, not an error), every header, and the body bytes.
    ///
    /// Refuses a URL [`BaseUrl::check_request`] refuses (plain `http` to a host that is not
    /// loopback, a port out of range, ...) before any I/O, connects to `localhost` without
    /// asking the system resolver, never follows a redirect, and stops reading a body larger
    /// than [`Config::max_body`].
    pub fn send(&self, mut request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Error> {
        BaseUrl::check_request(request.uri())?;
        mark_sensitive(request.headers_mut());
        let limit = self.setup.config().max_body;
        let response = self.agent.run(request).map_err(|e| from_ureq(e, limit))?;
        let (parts, mut body) = response.into_parts();
        // Refuse a declared oversize body without reading a byte of it; dropping the body
        // closes the connection instead of draining it into the pool.
        if body.content_length().is_some_and(|len| len > limit) {
            return Err(Error::BodyTooLarge { limit });
        }
        let bytes = body
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| from_ureq(e, limit))?;
        Ok(Response::from_parts(parts, bytes))
    }
}

/// The client trait core's [`Keeper`](slack_oauth_core::keeper::Keeper) refreshes through:
/// [`Client::send`], the system clock ([`slack_oauth_clock`]) and a thread's sleep.
impl HttpClient for Client {
    fn api(&self) -> &Api {
        self.setup.api()
    }

    fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, Error> {
        Client::send(self, request)
    }

    fn now(&self) -> u64 {
        slack_oauth_clock::system()
    }

    fn not_behind(&self) -> Option<u64> {
        slack_oauth_clock::not_behind()
    }

    fn sleep(&self, pause: std::time::Duration) {
        std::thread::sleep(pause);
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The setup (base URL, config), never the agent's internals.
        f.debug_tuple("Client").field(&self.setup).finish()
    }
}

fn agent(config: &Config, roots: RootCerts) -> Agent {
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        // Chosen here, not taken from a process-wide default some other crate may install.
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .root_certs(roots)
        .build();
    let proxy = if config.proxy_from_env {
        ureq::Proxy::try_from_env()
    } else {
        None
    };
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(config.timeout))
        .timeout_connect(Some(config.connect_timeout))
        .proxy(proxy)
        .tls_config(tls)
        .user_agent(Api::USER_AGENT)
        .build();
    Agent::with_parts(
        config,
        DefaultConnector::new(),
        Pinned(DefaultResolver::default()),
    )
}

/// Answers IP literals and `localhost` itself; asks `R` (the system resolver) for other names.
///
/// `localhost` is pinned to 127.0.0.1 and ::1 ([`localhost_addrs`]): plain http is allowed
/// to it as loopback, so the name must not be resolved by `/etc/hosts` to another machine.
/// An IP address needs no lookup either, and ureq would otherwise resolve it on a new thread
/// (its total timeout makes every lookup threaded), a third of a loopback round trip.
#[derive(Debug)]
struct Pinned<R>(R);

impl<R: Resolver> Resolver for Pinned<R> {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or_default();
        let pinned: Vec<IpAddr> = match host.trim_start_matches('[').trim_end_matches(']').parse() {
            Ok(ip) => vec![ip],
            Err(_) => localhost_addrs(host).map(Vec::from).unwrap_or_default(),
        };
        let port = uri.port_u16().or(match uri.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        });
        match (pinned.is_empty(), port) {
            (false, Some(port)) => {
                let mut addrs = self.empty();
                for ip in pinned {
                    addrs.push(SocketAddr::new(ip, port));
                }
                Ok(addrs)
            }
            _ => self.0.resolve(uri, config, timeout),
        }
    }
}

fn custom_roots(ders: &[Vec<u8>]) -> Result<RootCerts, Error> {
    let mut store = rustls::RootCertStore::empty();
    let (added, _ignored) = store.add_parsable_certificates(
        ders.iter()
            .map(|der| rustls::pki_types::CertificateDer::from(der.as_slice())),
    );
    if added == 0 {
        return Err(Error::unusable_roots());
    }
    let certs: Vec<Certificate<'static>> = ders
        .iter()
        .map(|der| Certificate::from_der(der).to_owned())
        .collect();
    Ok(RootCerts::new_with_certs(&certs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A resolver that believes a hostile `/etc/hosts`: every name is 192.0.2.1.
    #[derive(Debug)]
    struct Hostile;

    impl Resolver for Hostile {
        fn resolve(
            &self,
            uri: &http::Uri,
            _: &ureq::config::Config,
            _: NextTimeout,
        ) -> Result<ResolvedSocketAddrs, ureq::Error> {
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(
                [192, 0, 2, 1].into(),
                uri.port_u16().unwrap_or(80),
            ));
            Ok(addrs)
        }
    }

    #[test]
    fn localhost_never_reaches_the_system_resolver() {
        let config = Agent::config_builder().build();
        let resolver = Pinned(Hostile);
        let resolve = |url: &str| {
            let timeout = NextTimeout {
                after: std::time::Duration::from_secs(1).into(),
                reason: ureq::Timeout::Global,
                per_read: None,
                per_write: None,
            };
            let addrs = resolver.resolve(&url.parse().unwrap(), &config, timeout);
            addrs.unwrap().to_vec()
        };
        for url in [
            "http://localhost:8080/api/x",
            "http://LOCALHOST:8080/api/x",
            "http://localhost.:8080/api/x",
        ] {
            let addrs = resolve(url);
            assert!(!addrs.is_empty(), "{url}");
            assert!(
                addrs
                    .iter()
                    .all(|a| a.ip().is_loopback() && a.port() == 8080),
                "{url}: {addrs:?}"
            );
        }
        assert_eq!(
            resolve("http://127.0.0.1/x"),
            ["127.0.0.1:80".parse().unwrap()]
        );
        // Other names are the system resolver's (here, the hostile one).
        assert_eq!(
            resolve("https://slack.com/x"),
            ["192.0.2.1:80".parse().unwrap()]
        );
    }
}
