//! [`BaseUrl`]: the one rule for where a request may go.
//!
//! `https` anywhere; plain `http` only to a loopback host (`localhost`, `127.0.0.0/8`,
//! `[::1]`), which tests and the simulator use; never user info; a port, when given, in
//! `1..=65535`. [`Api::with_base_url`](crate::Api::with_base_url),
//! [`AuthorizeUrl::with_base_url`](crate::AuthorizeUrl::with_base_url) and every transport's
//! `send` apply this same rule.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use http::uri::{Authority, Scheme};
use http::Uri;

use crate::errors::BuildError;

/// A validated base URL such as `https://slack.com/api` or `http://127.0.0.1:8080/api`,
/// kept without a trailing slash.
///
/// ```
/// use slack_oauth_core::{method::BaseUrl, error::BuildError};
///
/// let base: BaseUrl = "http://127.0.0.1:8080/api/".parse()?;
/// assert_eq!(base.as_str(), "http://127.0.0.1:8080/api");
/// assert_eq!(base.port(), 8080);
/// // Out of range: refused instead of falling back to port 80.
/// assert!(matches!(BaseUrl::parse("http://127.0.0.1:99999/api"), Err(BuildError::InvalidUrl { .. })));
/// assert!(matches!(BaseUrl::parse("http://example.com/api"), Err(BuildError::InsecureUrl { .. })));
/// # Ok::<(), BuildError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BaseUrl {
    text: String,
    scheme: Scheme,
    authority: Authority,
    port: u16,
}

impl BaseUrl {
    /// Slack's Web API base URL.
    pub const SLACK: &'static str = "https://slack.com/api";
    /// GovSlack's Web API base URL.
    pub const GOV_SLACK: &'static str = "https://slack-gov.com/api";

    /// Validates `url`: https, or http to a loopback host; a port in range; no user info,
    /// query or fragment. A trailing slash is dropped.
    pub fn parse(url: &str) -> Result<BaseUrl, BuildError> {
        let text = url.trim_end_matches('/');
        let uri: Uri = text
            .parse()
            .map_err(|_| invalid("not a valid absolute URL"))?;
        let port = check(&uri)?;
        if uri.query().is_some() || text.contains('#') {
            return Err(invalid("a base URL takes no query or fragment"));
        }
        let parts = uri.into_parts();
        Ok(BaseUrl {
            text: text.to_owned(),
            scheme: parts.scheme.ok_or(invalid("the URL has no scheme"))?,
            authority: parts.authority.ok_or(invalid("the URL has no host"))?,
            port,
        })
    }

    /// Checks the URL of a request about to be sent (built by [`Api`](crate::Api) or by
    /// hand) by the same rule, before any I/O. Queries are allowed here.
    pub fn check_request(uri: &Uri) -> Result<(), BuildError> {
        check(uri).map(|_| ())
    }

    /// The URL as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The host and optional port, as written.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// The host (an IPv6 address in brackets).
    pub fn host(&self) -> &str {
        self.authority.host()
    }

    /// The port: the one written, or the scheme's default (443, 80).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path, without a trailing slash: `/api`, or empty.
    pub fn path(&self) -> &str {
        let after_scheme = &self.text[self.scheme.as_str().len() + "://".len()..];
        &after_scheme[self.authority.as_str().len()..]
    }
}

impl FromStr for BaseUrl {
    type Err = BuildError;

    fn from_str(url: &str) -> Result<BaseUrl, BuildError> {
        BaseUrl::parse(url)
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Validated: it holds no user info, so it is safe to show.
        fmt::Debug::fmt(&self.text, f)
    }
}

impl AsRef<str> for BaseUrl {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// Whether `host` (as found in a URI authority, IPv6 in brackets) is a loopback host.
///
/// `localhost` counts because transports never ask the system resolver for it: they connect
/// to 127.0.0.1 or ::1 directly ([`crate::transport::localhost_addrs`]), as RFC 6761 §6.3
/// allows, so an `/etc/hosts` entry cannot send plain http elsewhere.
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn invalid(reason: &'static str) -> BuildError {
    BuildError::InvalidUrl { reason }
}

/// The rule itself; returns the port the request will use.
fn check(uri: &Uri) -> Result<u16, BuildError> {
    let authority = uri.authority().ok_or(invalid("the URL has no host"))?;
    if authority.as_str().contains('@') {
        return Err(invalid(
            "user info in a URL would send credentials; use a header",
        ));
    }
    let default = match uri.scheme_str() {
        Some("https") => 443,
        Some("http") if is_loopback_host(authority.host()) => 80,
        Some("http") => {
            return Err(BuildError::InsecureUrl {
                host: authority.host().to_owned(),
            })
        }
        _ => {
            return Err(invalid(
                "the scheme must be https (or http for a loopback host)",
            ))
        }
    };
    // `Uri` accepts any digits after the colon and `port_u16` then says "none", which
    // clients read as "the default port": `:99999` would quietly become port 80.
    match authority.as_str()[authority.host().len()..].strip_prefix(':') {
        None => Ok(default),
        Some(digits) => match digits.parse::<u16>() {
            Ok(port) if port != 0 && !digits.starts_with('+') => Ok(port),
            _ => Err(invalid("the port must be a number from 1 to 65535")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            BaseUrl::parse("https://slack.com/api/").unwrap().as_str(),
            "https://slack.com/api"
        );
        for ok in [
            "http://127.0.0.1:9/api",
            "http://localhost/api",
            "http://LOCALHOST:1/api",
            "http://[::1]:80/api",
            "http://127.3.2.1/api",
            "https://slack.com:65535/api",
        ] {
            assert!(BaseUrl::parse(ok).is_ok(), "{ok}");
        }
        assert!(matches!(
            BaseUrl::parse("http://slack.com/api"),
            Err(BuildError::InsecureUrl { .. })
        ));
        for bad in [
            "ftp://x/api",
            "not a url",
            "/api",
            "https://u:p@slack.com/api",
            "https://slack.com/api?x=1",
            "https://slack.com/api#x",
            "http://10.0.0.1/api",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
        let err = BaseUrl::parse("https://user:CANARY@slack.com/api").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("CANARY"));
    }

    #[test]
    fn ports_out_of_range_are_invalid() {
        for bad in [
            "http://127.0.0.1:65536/api",
            "http://127.0.0.1:99999/api",
            "https://slack.com:65536/api",
            "https://slack.com:99999/api",
            "http://[::1]:70000/api",
            "http://localhost:0/api",
            "http://127.0.0.1:/api",
        ] {
            assert!(
                matches!(BaseUrl::parse(bad), Err(BuildError::InvalidUrl { .. })),
                "{bad}"
            );
            let uri: Uri = format!("{bad}/tooling.tokens.rotate").parse().unwrap();
            assert!(
                matches!(
                    BaseUrl::check_request(&uri),
                    Err(BuildError::InvalidUrl { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn parts() {
        let base = BaseUrl::parse("http://[::1]:8080/x/api/").unwrap();
        assert_eq!(base.host(), "[::1]");
        assert_eq!(base.port(), 8080);
        assert_eq!(base.path(), "/x/api");
        assert_eq!(BaseUrl::parse(BaseUrl::SLACK).unwrap().port(), 443);
        assert_eq!(BaseUrl::parse("http://localhost").unwrap().path(), "");
        assert_eq!(BaseUrl::parse("http://localhost").unwrap().port(), 80);
    }
}
