//! The [`Method`] trait: one Slack Web API method is one type.

use serde::de::DeserializeOwned;

use crate::error_code::ErrorCode;
use crate::secret::AccessToken;

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
pub trait Method {
    /// The method's API name, e.g. `"oauth.v2.access"`; the request path is `/api/<NAME>`.
    const NAME: &'static str;
    /// Every error code Slack documents for this method.
    const ERRORS: &'static [ErrorCode];
    /// The typed success value.
    type Response: DeserializeOwned;

    /// How this call authenticates.
    fn auth(&self) -> Auth<'_>;

    /// Writes the method's own arguments (not the credentials) into the form body.
    fn write_args(&self, form: &mut Form);
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
