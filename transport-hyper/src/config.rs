//! [`Config`]: timeouts, the body cap, the user agent and TLS roots.

use std::time::Duration;

/// How a [`Client`](crate::Client) moves bytes. Every field has a documented default.
///
/// The base URL (slack.com, GovSlack or a custom one) belongs to the
/// [`Api`](slack_oauth_core::Api) the client is built with. Proxy environment variables are
/// not read: this client always connects directly.
///
/// ```
/// use std::time::Duration;
/// use slack_oauth_hyper::Config;
///
/// let config = Config::default()
///     .timeout(Duration::from_secs(10))
///     .max_body(64 * 1024)
///     .user_agent_suffix("my-app/1.0");
/// assert_eq!(config.connect_timeout, Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Total time for one request, from connecting to the last body byte. Default 30 s.
    pub timeout: Duration,
    /// Time to open the TCP connection (the TLS handshake counts against [`Config::timeout`]).
    /// Default 10 s.
    pub connect_timeout: Duration,
    /// The largest response body accepted, in bytes; a larger one is refused with
    /// [`Error::BodyTooLarge`](crate::Error::BodyTooLarge) without being read whole.
    /// A body of exactly this size is accepted. Default 1 MiB (Slack's answers are a few KiB).
    pub max_body: u64,
    /// Appended to the `User-Agent` (`slack-oauth/<version> <suffix>`). Default none.
    pub user_agent_suffix: Option<String>,
    /// Which certificate authorities are trusted. Default [`TlsRoots::WebPki`].
    pub tls_roots: TlsRoots,
}

/// Which certificate authorities a client trusts for `https`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsRoots {
    /// Mozilla's roots as shipped by the `webpki-roots` crate: the same on every machine,
    /// independent of the operating system's store.
    #[default]
    WebPki,
    /// Only these DER-encoded certificates (a private CA, a test server's self-signed
    /// certificate, an intercepting corporate proxy's CA).
    Custom(Vec<Vec<u8>>),
}

impl Default for Config {
    fn default() -> Self {
        Config {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_body: 1024 * 1024,
            user_agent_suffix: None,
            tls_roots: TlsRoots::WebPki,
        }
    }
}

impl Config {
    /// Sets [`Config::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets [`Config::connect_timeout`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`Config::max_body`].
    pub fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// Sets [`Config::user_agent_suffix`].
    pub fn user_agent_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.user_agent_suffix = Some(suffix.into());
        self
    }

    /// Sets [`Config::tls_roots`].
    pub fn tls_roots(mut self, roots: TlsRoots) -> Self {
        self.tls_roots = roots;
        self
    }
}
