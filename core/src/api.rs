//! [`Api`]: where requests go and how they authenticate; builds `http::Request`s.

use std::fmt;

use base64::Engine as _;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::uri::{self, Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Method as Verb, Request, Uri};

use crate::base_url::BaseUrl;
use crate::errors::BuildError;
use crate::method_trait::{Auth, Form, Method};
use crate::methods::BuiltinMethod;
use crate::secrets::{AccessToken, ClientCredentials};

/// `application/x-www-form-urlencoded` without a charset: Slack warns
/// `superfluous_charset` if one is added to a form type.
const FORM_TYPE: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Where the client credentials go for methods that take them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ClientAuth {
    /// HTTP Basic (`Authorization: Basic …`), as Slack recommends. The default.
    #[default]
    Basic,
    /// `client_id` and `client_secret` as form arguments.
    Body,
}

/// A sans-IO client configuration: the base URL, the app's credentials and how they are sent.
///
/// Build one per app and reuse it; it turns any [`Method`] into an `http::Request` without
/// doing any I/O, so any HTTP client can send the result.
///
/// ```
/// use slack_oauth_core::{Api, ClientCredentials, oauth_v2::Access};
///
/// let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
/// let request = api.request(&Access::code("4724469134.4644")).unwrap();
/// assert_eq!(request.uri(), "https://slack.com/api/oauth.v2.access");
/// assert_eq!(request.headers()["authorization"], "Basic MTExLjIyMjpzZWNyZXQ=");
/// assert_eq!(request.body(), b"code=4724469134.4644");
/// ```
#[derive(Clone)]
pub struct Api {
    base: Option<BaseUrl>,
    endpoint: Endpoint,
    credentials: Option<ClientCredentials>,
    client_auth: ClientAuth,
    basic: Option<HeaderValue>,
    user_agent: HeaderValue,
}

impl Default for Api {
    fn default() -> Self {
        Api::new()
    }
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Api")
            .field("base", &self.base_url())
            .field("credentials", &self.credentials)
            .field("client_auth", &self.client_auth)
            .finish_non_exhaustive()
    }
}

impl Api {
    /// The `User-Agent` every request carries unless a suffix is added.
    pub const USER_AGENT: &'static str = concat!("slack-oauth/", env!("CARGO_PKG_VERSION"));

    /// Commercial Slack (`https://slack.com/api`), no credentials.
    pub fn new() -> Api {
        Api {
            base: None,
            endpoint: Endpoint::https("slack.com"),
            credentials: None,
            client_auth: ClientAuth::Basic,
            basic: None,
            user_agent: HeaderValue::from_static(Api::USER_AGENT),
        }
    }

    /// GovSlack (`https://slack-gov.com/api`).
    pub fn gov() -> Api {
        Api {
            endpoint: Endpoint::https("slack-gov.com"),
            ..Api::new()
        }
    }

    /// A custom base URL such as `https://slack.com/api` or `http://127.0.0.1:8080/api`.
    ///
    /// Only `https` is accepted, except for loopback hosts (`localhost`, `127.0.0.0/8`, `[::1]`),
    /// which tests and the simulator use; the rules are [`BaseUrl`]'s.
    pub fn with_base_url(self, url: &str) -> Result<Api, BuildError> {
        Ok(self.with_base(BaseUrl::parse(url)?))
    }

    /// Sends requests to an already validated base URL.
    pub fn with_base(mut self, base: BaseUrl) -> Api {
        self.endpoint = Endpoint::from_base(&base);
        self.base = Some(base);
        self
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        match &self.base {
            Some(base) => base.as_str(),
            None => self.endpoint.builtin,
        }
    }

    /// Sets the app's client credentials.
    pub fn with_credentials(mut self, credentials: ClientCredentials) -> Api {
        self.basic = basic_header(&credentials);
        self.credentials = Some(credentials);
        self
    }

    /// The app's client credentials, if set.
    pub fn credentials(&self) -> Option<&ClientCredentials> {
        self.credentials.as_ref()
    }

    /// Chooses where client credentials go (HTTP Basic by default).
    pub fn with_client_auth(mut self, client_auth: ClientAuth) -> Api {
        self.client_auth = client_auth;
        self
    }

    /// Appends `suffix` to the `User-Agent` (e.g. your app's name and version).
    pub fn with_user_agent_suffix(mut self, suffix: &str) -> Result<Api, BuildError> {
        let value = format!("{} {suffix}", Api::USER_AGENT);
        self.user_agent = HeaderValue::try_from(value).map_err(|_| BuildError::InvalidUserAgent)?;
        Ok(self)
    }

    /// The `User-Agent` this `Api` sends, for requests built beside [`Api::request`].
    pub(crate) fn user_agent(&self) -> &HeaderValue {
        &self.user_agent
    }

    /// The full URL of a method, e.g. `https://slack.com/api/oauth.v2.access`.
    pub fn url(&self, method_name: &str) -> String {
        let base = self.base_url();
        let mut url = String::with_capacity(base.len() + 1 + method_name.len());
        url.push_str(base);
        url.push('/');
        url.push_str(method_name);
        url
    }

    /// Builds the HTTP request for `method`: `POST {base}/{name}` with a form body.
    ///
    /// Fails only when the method needs client credentials this `Api` lacks, or a token
    /// cannot be put in a header (it holds a control character).
    pub fn request<M: Method>(&self, method: &M) -> Result<Request<Vec<u8>>, BuildError> {
        let mut form = Form::with_capacity(128);
        let mut authorization = None;
        match method.auth() {
            Auth::None => {}
            Auth::Client => authorization = self.client_auth(M::NAME, &mut form)?,
            Auth::Bearer(token) => authorization = Some(bearer(token)?),
            Auth::BearerWithClientInBody(token) => {
                let credentials = self.require_credentials(M::NAME)?;
                let secret = credentials
                    .client_secret
                    .as_ref()
                    .ok_or(BuildError::MissingClientSecret { method: M::NAME })?;
                form.arg("client_id", &credentials.client_id)
                    .arg("client_secret", secret.expose());
                authorization = Some(bearer(token)?);
            }
        }
        method.write_args(&mut form);

        let uri = self.endpoint.uri(M::NAME)?;
        let mut request = Request::new(form.finish().into_bytes());
        *request.method_mut() = Verb::POST;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        // Sized once for the (at most) four headers: no growth on the way.
        headers.reserve(4);
        headers.insert(CONTENT_TYPE, FORM_TYPE);
        headers.insert(ACCEPT, JSON);
        headers.insert(USER_AGENT, self.user_agent.clone());
        if let Some(value) = authorization {
            headers.insert(AUTHORIZATION, value);
        }
        Ok(request)
    }

    fn require_credentials(&self, method: &'static str) -> Result<&ClientCredentials, BuildError> {
        self.credentials
            .as_ref()
            .ok_or(BuildError::MissingCredentials { method })
    }

    /// Places client credentials; returns the Basic header when that is where they go.
    fn client_auth(
        &self,
        method: &'static str,
        form: &mut Form,
    ) -> Result<Option<HeaderValue>, BuildError> {
        let credentials = self.require_credentials(method)?;
        match (&credentials.client_secret, self.client_auth) {
            // A PKCE public client has no secret: it identifies itself with client_id alone.
            (None, _) => {
                form.arg("client_id", &credentials.client_id);
                Ok(None)
            }
            (Some(_), ClientAuth::Basic) => match &self.basic {
                Some(value) => Ok(Some(value.clone())),
                None => Err(BuildError::InvalidCredentials),
            },
            (Some(secret), ClientAuth::Body) => {
                form.arg("client_id", &credentials.client_id)
                    .arg("client_secret", secret.expose());
                Ok(None)
            }
        }
    }
}

/// The base URL split once into its parts, plus the finished `Uri` of every
/// [`BuiltinMethod`]: building a request then clones a `Uri` instead of parsing one.
#[derive(Clone)]
struct Endpoint {
    scheme: Scheme,
    authority: Authority,
    /// The base path without a trailing slash: `/api`, or empty.
    path: String,
    /// The base URL as text, for the built-in bases (a custom one is in [`Api::base`]).
    builtin: &'static str,
    known: Vec<(&'static str, Uri)>,
}

impl Endpoint {
    /// `https://{host}/api`, for the built-in bases.
    fn https(host: &'static str) -> Endpoint {
        let builtin = if host == "slack.com" {
            BaseUrl::SLACK
        } else {
            BaseUrl::GOV_SLACK
        };
        let authority = Authority::from_static(host);
        // From static bytes: cloning one of these `Uri`s for a request copies no path.
        let known = BuiltinMethod::ALL
            .iter()
            .filter_map(|method| {
                let mut parts = uri::Parts::default();
                parts.scheme = Some(Scheme::HTTPS);
                parts.authority = Some(authority.clone());
                parts.path_and_query = Some(PathAndQuery::from_static(method.api_path()));
                Some((method.name(), Uri::from_parts(parts).ok()?))
            })
            .collect();
        Endpoint {
            scheme: Scheme::HTTPS,
            authority,
            path: "/api".to_owned(),
            builtin,
            known,
        }
    }

    fn from_base(base: &BaseUrl) -> Endpoint {
        let mut endpoint = Endpoint {
            scheme: base.scheme().clone(),
            authority: base.authority().clone(),
            path: base.path().to_owned(),
            builtin: "",
            known: Vec::new(),
        };
        endpoint.known = BuiltinMethod::ALL
            .iter()
            .filter_map(|method| Some((method.name(), endpoint.build(method.name()).ok()?)))
            .collect();
        endpoint
    }

    /// `{base}/{method_name}` as a `Uri`.
    fn uri(&self, method_name: &str) -> Result<Uri, BuildError> {
        match self.known.iter().find(|(name, _)| *name == method_name) {
            Some((_, uri)) => Ok(uri.clone()),
            None => self.build(method_name),
        }
    }

    fn build(&self, method_name: &str) -> Result<Uri, BuildError> {
        let mut path = String::with_capacity(self.path.len() + 1 + method_name.len());
        path.push_str(&self.path);
        path.push('/');
        path.push_str(method_name);
        let mut parts = uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query =
            Some(PathAndQuery::try_from(path).map_err(|_| BuildError::InvalidMethodName)?);
        Uri::from_parts(parts).map_err(|_| BuildError::InvalidMethodName)
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, as RFC 6749 §2.3.1 asks.
fn basic_header(credentials: &ClientCredentials) -> Option<HeaderValue> {
    let secret = credentials.client_secret.as_ref()?;
    let mut plain = String::with_capacity(credentials.client_id.len() + secret.expose().len() + 1);
    plain.extend(form_urlencoded::byte_serialize(
        credentials.client_id.as_bytes(),
    ));
    plain.push(':');
    plain.extend(form_urlencoded::byte_serialize(secret.expose().as_bytes()));
    let mut value = String::from("Basic ");
    base64::engine::general_purpose::STANDARD.encode_string(plain.as_bytes(), &mut value);
    let mut value = HeaderValue::try_from(value).ok()?;
    value.set_sensitive(true);
    Some(value)
}

fn bearer(token: &AccessToken) -> Result<HeaderValue, BuildError> {
    let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose()))
        .map_err(|_| BuildError::InvalidToken)?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_uri_is_the_base_url_and_the_method_name() {
        for base in [
            "https://slack.com/api",
            "https://slack.com/api/",
            "https://slack.com",
            "https://slack.com:8443/x/api",
            "http://127.0.0.1:9/api",
            "http://[::1]:80",
        ] {
            let api = Api::new().with_base_url(base).unwrap();
            for name in ["oauth.v2.access", "apps.auth.external.get"] {
                let expected = Uri::try_from(api.url(name)).unwrap();
                assert_eq!(api.endpoint.uri(name).unwrap(), expected, "{base} {name}");
            }
        }
        for api in [Api::new(), Api::gov()] {
            let expected = Uri::try_from(api.url("oauth.v2.access")).unwrap();
            assert_eq!(api.endpoint.uri("oauth.v2.access").unwrap(), expected);
            // A method this crate does not define is built from the parts.
            let expected = Uri::try_from(api.url("auth.test")).unwrap();
            assert_eq!(api.endpoint.uri("auth.test").unwrap(), expected);
            assert_eq!(api.endpoint.known.len(), BuiltinMethod::ALL.len());
        }
        assert_eq!(
            Api::new().endpoint.uri("bad name"),
            Err(BuildError::InvalidMethodName)
        );
    }
}
