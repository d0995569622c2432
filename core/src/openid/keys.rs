//! Slack's signing keys: the request for them, and (feature `openid`) the parsed key set.

use http::header::{ACCEPT, USER_AGENT};
use http::{HeaderValue, Method as Verb, Request, Uri};

use crate::api::Api;
use crate::error::BuildError;

/// The path of the key set (JWKS) under Slack's web origin.
pub const KEYS_PATH: &str = "/openid/connect/keys";

/// The URL of the key set for `api`: its base URL without the trailing `/api`, then
/// [`KEYS_PATH`]. `https://slack.com/openid/connect/keys` for [`Api::new`]; for the
/// simulator's `http://127.0.0.1:PORT/api`, `http://127.0.0.1:PORT/openid/connect/keys`.
///
/// The GovSlack URL (`https://slack-gov.com/openid/connect/keys` for [`Api::gov`]) follows
/// the same rule; Slack has not published it.
pub fn keys_url(api: &Api) -> String {
    let base = api.base_url();
    let origin = base.strip_suffix("/api").unwrap_or(base);
    let mut url = String::with_capacity(origin.len() + KEYS_PATH.len());
    url.push_str(origin);
    url.push_str(KEYS_PATH);
    url
}

/// The request for Slack's signing keys: `GET` [`keys_url`], no credentials.
///
/// Send it, read the answer with [`Jwks::parse`](super::Jwks::parse) (feature `openid`) and
/// keep the key set: fetch it again only when [`Verifier::verify`](super::Verifier::verify)
/// says [`VerifyError::UnknownKey`](super::VerifyError::UnknownKey) (Slack has started
/// signing with a new key), at most once per such token.
///
/// ```
/// use slack_oauth_core::{openid, Api};
/// let request = openid::keys_request(&Api::new())?;
/// assert_eq!(request.method(), "GET");
/// assert_eq!(request.uri(), "https://slack.com/openid/connect/keys");
/// let sim = openid::keys_request(&Api::new().with_base_url("http://127.0.0.1:8080/api")?)?;
/// assert_eq!(sim.uri(), "http://127.0.0.1:8080/openid/connect/keys");
/// # Ok::<(), slack_oauth_core::error::BuildError>(())
/// ```
pub fn keys_request(api: &Api) -> Result<Request<Vec<u8>>, BuildError> {
    let uri: Uri = keys_url(api).parse().map_err(|_| BuildError::InvalidUrl {
        reason: "the key set URL is not a valid URL",
    })?;
    let mut request = Request::new(Vec::new());
    *request.method_mut() = Verb::GET;
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, api.user_agent().clone());
    Ok(request)
}

#[cfg(feature = "openid")]
pub use set::{Jwk, Jwks, KeysError};

#[cfg(feature = "openid")]
mod set {
    use std::fmt;
    use std::time::Duration;

    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use http::Response;
    use rsa::pkcs1v15::VerifyingKey;
    use rsa::sha2::Sha256;
    use rsa::{BoxedUint, PublicKey};
    use serde::Deserialize;

    /// A key Slack signs `id_token`s with: an RSA public key for RS256, and its key id.
    #[derive(Clone)]
    pub struct Jwk {
        kid: Option<String>,
        bits: usize,
        pub(crate) key: VerifyingKey<Sha256>,
    }

    impl Jwk {
        /// The key id (`kid`), which a token's header names.
        pub fn kid(&self) -> Option<&str> {
            self.kid.as_deref()
        }

        /// The size of the modulus in bits.
        pub fn bits(&self) -> usize {
            self.bits
        }
    }

    impl fmt::Debug for Jwk {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Jwk")
                .field("kid", &self.kid)
                .field("bits", &self.bits)
                .finish_non_exhaustive()
        }
    }

    /// Slack's key set (a JWK Set, RFC 7517 §5), parsed once: keep it and pass it to every
    /// [`Verifier::verify`](crate::openid::Verifier::verify).
    ///
    /// Only keys that can check an RS256 signature are kept: `kty` `RSA`, `use` absent or
    /// `sig`, `alg` absent or `RS256`, a modulus of 2048 to 8192 bits. The others are counted
    /// in [`Jwks::skipped`].
    #[derive(Clone, Debug)]
    pub struct Jwks {
        keys: Vec<Jwk>,
        skipped: usize,
    }

    /// Why a key set could not be read.
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum KeysError {
        /// HTTP 429: ask again after the delay (`Retry-After`, when Slack sent one).
        RateLimited {
            /// The `Retry-After` delay, if given.
            retry_after: Option<Duration>,
        },
        /// A status other than 2xx.
        Status {
            /// The HTTP status.
            status: u16,
        },
        /// The body is not a JWK Set (`{"keys":[…]}`).
        Malformed,
        /// The set holds no key that can check an RS256 signature.
        NoUsableKey {
            /// How many keys it held.
            skipped: usize,
        },
    }

    impl fmt::Display for KeysError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                KeysError::RateLimited {
                    retry_after: Some(delay),
                } => write!(
                    f,
                    "the key set request was rate limited: retry after {} s",
                    delay.as_secs()
                ),
                KeysError::RateLimited { retry_after: None } => {
                    f.write_str("the key set request was rate limited")
                }
                KeysError::Status { status } => {
                    write!(f, "the key set request answered HTTP {status}")
                }
                KeysError::Malformed => f.write_str("the key set is not a JWK Set"),
                KeysError::NoUsableKey { skipped } => write!(
                    f,
                    "the key set holds no RS256 signing key ({skipped} other keys)"
                ),
            }
        }
    }

    impl std::error::Error for KeysError {}

    #[derive(Deserialize)]
    struct RawSet {
        keys: Vec<serde_json::Value>,
    }

    #[derive(Deserialize)]
    struct RawKey {
        kty: String,
        #[serde(default)]
        kid: Option<String>,
        #[serde(default)]
        alg: Option<String>,
        #[serde(default, rename = "use")]
        use_: Option<String>,
        n: String,
        e: String,
    }

    impl Jwks {
        /// Reads the answer to [`keys_request`](crate::openid::keys_request).
        pub fn parse<B: AsRef<[u8]>>(response: &Response<B>) -> Result<Jwks, KeysError> {
            let status = response.status();
            if status == http::StatusCode::TOO_MANY_REQUESTS {
                return Err(KeysError::RateLimited {
                    retry_after: crate::error::retry_after(response),
                });
            }
            if !status.is_success() {
                return Err(KeysError::Status {
                    status: status.as_u16(),
                });
            }
            Jwks::from_json(response.body().as_ref())
        }

        /// Reads a JWK Set from its JSON text.
        ///
        /// ```
        /// use slack_oauth_core::openid::{Jwks, KeysError};
        /// // An EC key cannot check RS256: nothing usable.
        /// let only_ec = br#"{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}"#;
        /// assert_eq!(Jwks::from_json(only_ec).unwrap_err(), KeysError::NoUsableKey { skipped: 1 });
        /// assert_eq!(Jwks::from_json(b"<html>").unwrap_err(), KeysError::Malformed);
        /// ```
        pub fn from_json(json: &[u8]) -> Result<Jwks, KeysError> {
            let raw: RawSet = serde_json::from_slice(json).map_err(|_| KeysError::Malformed)?;
            let mut keys: Vec<Jwk> = Vec::with_capacity(raw.keys.len());
            let mut skipped = 0;
            for value in raw.keys {
                match rsa_key(value) {
                    // The first of two keys with one id wins: a set should not hold both.
                    Some(key) if !keys.iter().any(|k| key.kid.is_some() && k.kid == key.kid) => {
                        keys.push(key)
                    }
                    _ => skipped += 1,
                }
            }
            if keys.is_empty() {
                return Err(KeysError::NoUsableKey { skipped });
            }
            Ok(Jwks { keys, skipped })
        }

        /// The usable keys, in the set's order.
        pub fn keys(&self) -> &[Jwk] {
            &self.keys
        }

        /// The key with id `kid`.
        pub fn find(&self, kid: &str) -> Option<&Jwk> {
            self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
        }

        /// How many keys of the set were not usable (see [`Jwks`]).
        pub fn skipped(&self) -> usize {
            self.skipped
        }
    }

    fn rsa_key(value: serde_json::Value) -> Option<Jwk> {
        let raw: RawKey = serde_json::from_value(value).ok()?;
        if raw.kty != "RSA"
            || raw.use_.as_deref().is_some_and(|u| u != "sig")
            || raw.alg.as_deref().is_some_and(|a| a != "RS256")
        {
            return None;
        }
        let n = URL_SAFE_NO_PAD.decode(raw.n).ok()?;
        let e = URL_SAFE_NO_PAD.decode(raw.e).ok()?;
        // A big exponent or modulus is refused by the size check below, but its bytes are
        // read first: bound them so that a hostile set cannot make us allocate much.
        if n.len() > 8192 / 8 + 1 || e.len() > 8 {
            return None;
        }
        let n = BoxedUint::from_be_slice_vartime(&n);
        let e = BoxedUint::from_be_slice_vartime(&e);
        // RFC 7518 §3.3: RS256 keys are 2048 bits or larger.
        let key = PublicKey::new_with_size_limits(n, e, 2048..=8192).ok()?;
        let bits = rsa::traits::PublicKeyParts::size(&key) * 8;
        Some(Jwk {
            kid: raw.kid,
            bits,
            key: VerifyingKey::new(key),
        })
    }
}
