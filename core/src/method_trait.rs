//! The [`Method`] trait: one Slack Web API method is one type.

use serde::de::DeserializeOwned;

use crate::error_code::ErrorCode;
use crate::secrets::AccessToken;

/// How a method authenticates.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Auth<'a> {
    /// No credential at all (e.g. `tooling.tokens.rotate`: the refresh token is an argument).
    None,
    /// The app's client credentials, placed as the [`Api`](crate::Api) says
    /// (HTTP Basic by default; `client_id` alone in the body for a PKCE public client).
    Client,
    /// A bearer token in the `Authorization` header.
    Bearer(&'a AccessToken),
    /// A bearer token in `Authorization` and the client id and secret as body arguments.
    ///
    /// Used by `oauth.v2.exchange`, which needs both the legacy token and the app's
    /// credentials; this is the placement Slack's Python SDK uses.
    BearerWithClientInBody(&'a AccessToken),
}

/// A Slack Web API method: its name, authentication, arguments, response and errors.
///
/// Implementations are plain structs: required arguments are constructor parameters,
/// optional ones setters. [`Api::request`](crate::Api::request) turns any method into an
/// `http::Request`, and [`parse`](crate::parse) reads the answer into `Self::Response`.
///
/// A method of your own needs a name, its authentication, its arguments and a response
/// type; the error lists have defaults:
///
/// ```
/// use serde::Deserialize;
/// use slack_oauth_core::{parse, AccessToken, Api, Method, method::{Auth, Form}};
///
/// struct AuthTest(AccessToken);
///
/// #[derive(Deserialize)]
/// struct AuthTestResponse {
///     team_id: String,
/// }
///
/// impl Method for AuthTest {
///     const NAME: &'static str = "auth.test";
///     type Response = AuthTestResponse;
///     fn auth(&self) -> Auth<'_> {
///         Auth::Bearer(&self.0)
///     }
///     fn write_args(&self, _form: &mut Form) {}
/// }
///
/// let request = Api::new().request(&AuthTest("xoxb-1".into()))?;
/// assert_eq!(request.uri(), "https://slack.com/api/auth.test");
/// let answer = http::Response::new(br#"{"ok":true,"team_id":"T1"}"#.to_vec());
/// assert_eq!(parse::<AuthTest, _>(&answer)?.value.team_id, "T1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Method {
    /// The method's API name, e.g. `"oauth.v2.access"`; the request path is `/api/<NAME>`.
    const NAME: &'static str;
    /// The error codes Slack documents for this method besides [`Method::COMMON_ERRORS`].
    /// Default: none.
    const ERRORS: &'static [ErrorCode] = &[];
    /// The platform-wide codes the method's page lists too. Default:
    /// [`ErrorCode::PLATFORM`]; empty for a page that lists only its own codes.
    const COMMON_ERRORS: &'static [ErrorCode] = ErrorCode::PLATFORM;
    /// The typed success value.
    type Response: DeserializeOwned;

    /// How this call authenticates.
    fn auth(&self) -> Auth<'_>;

    /// Writes the method's own arguments (not the credentials) into the form body.
    fn write_args(&self, form: &mut Form);

    /// Every error code Slack documents for this method: [`Method::COMMON_ERRORS`], then
    /// [`Method::ERRORS`].
    fn documented_errors() -> impl Iterator<Item = &'static ErrorCode>
    where
        Self: Sized,
    {
        Self::COMMON_ERRORS.iter().chain(Self::ERRORS)
    }
}

/// An `application/x-www-form-urlencoded` body under construction.
pub struct Form {
    ser: form_urlencoded::Serializer<'static, String>,
}

impl Form {
    pub(crate) fn with_capacity(capacity: usize) -> Form {
        Form {
            ser: form_urlencoded::Serializer::new(String::with_capacity(capacity)),
        }
    }

    /// Appends one `name=value` pair, percent-encoded.
    pub fn arg(&mut self, name: &str, value: &str) -> &mut Self {
        self.ser.append_pair(name, value);
        self
    }

    /// Appends the pair only when `value` is set.
    pub fn opt(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.ser.append_pair(name, value);
        }
        self
    }

    pub(crate) fn finish(mut self) -> String {
        self.ser.finish()
    }
}
