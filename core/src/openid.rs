//! Sign in with Slack (OpenID Connect): who the person at the browser is, checked.
//!
//! The flow, each step sans-IO like the rest of the crate:
//!
//! 1. Send the browser to [`AuthorizeUrl`] (`https://slack.com/openid/connect/authorize`) with
//!    a fresh [`State`](crate::authorize::State) and [`Nonce`], both kept in the browser's session.
//! 2. On the callback, check `state` ([`Callback`](crate::Callback)) and exchange the `code`
//!    with [`Token`] (`openid.connect.token`): a user token and an `id_token`.
//! 3. Fetch Slack's keys with [`keys_request`] (keep them; fetch again only on
//!    [`VerifyError::UnknownKey`]) and check the `id_token` with [`Verifier::verify`]: RS256
//!    signature, `iss`, `aud`, `exp`/`iat`, `nonce` and `at_hash`. Its [`Claims`] say who
//!    signed in (`sub`) and to which workspace ([`Profile::team_id`]).
//! 4. Later, [`UserInfo`] (`openid.connect.userInfo`) reads a fresh [`Profile`] with the user
//!    token; [`Token::refresh`] renews that token when token rotation is on.
//!
//! [`Verifier`], [`Jwks`] and [`at_hash`] need the `openid` feature, which brings RustCrypto's
//! `rsa` 0.10 (and with it Rust 1.87 or later); everything else is always there. It builds
//! for `wasm32-unknown-unknown`, signatures checked included.
//!
//! Slack's SDKs send the request but never check the `id_token`; Slack puts `"nonce": ""` in
//! it when no nonce was sent, which [`Verifier`] accepts only then. Not confirmed by Slack's
//! documentation, and so not relied on: the key set's `kid`/`alg`/`use` fields (each optional
//! here), the GovSlack key set URL and issuer ([`Verifier::with_issuer`] sets the issuer),
//! PKCE on this flow ([`AuthorizeUrl::pkce`]), and the `at_hash` algorithm (OpenID Connect's
//! is used).
//!
//! ```
//! use slack_oauth_core::{parse, Api, ClientCredentials, authorize::State};
//! use slack_oauth_core::openid::{AuthorizeUrl, Nonce, Scope, Token};
//!
//! // 1. The browser goes to Slack (real random bytes in real code).
//! let state = State::from_random_bytes(&[1; 16])?;
//! let nonce = Nonce::from_random_bytes(&[2; 16])?;
//! let url = AuthorizeUrl::new("111.222")
//!     .scopes([Scope::Email])
//!     .redirect_uri("https://example.com/login/callback")
//!     .state(&state)
//!     .nonce(&nonce)
//!     .build()?;
//! assert!(url.starts_with("https://slack.com/openid/connect/authorize?response_type=code&scope=openid,email"));
//!
//! // 2. The code comes back: exchange it.
//! let api = Api::new().with_credentials(ClientCredentials::new("111.222", "secret"));
//! let request = api.request(&Token::code("the-code").redirect_uri("https://example.com/login/cb"))?;
//! assert_eq!(request.uri(), "https://slack.com/api/openid.connect.token");
//! let answer = http::Response::new(
//!     br#"{"ok":true,"access_token":"xoxp-1","token_type":"Bearer","id_token":"eyJ..."}"#.to_vec(),
//! );
//! let token = parse::<Token, _>(&answer)?.value;
//! assert_eq!(token.access_token.expose(), "xoxp-1");
//! // 3. `Verifier::verify(&token, &keys, Some(&nonce), now)` (feature `openid`) says who it is.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod authorize;
mod claims;
mod keys;
mod methods;
#[cfg(feature = "openid")]
mod verify;

pub use authorize::{AuthorizeUrl, Nonce, Scope};
pub use claims::{Claims, Profile};
pub use keys::{keys_request, keys_url, KEYS_PATH};
#[cfg(feature = "openid")]
pub use keys::{Jwk, Jwks, KeysError};
pub use methods::{Token, TokenRefresh, TokenResponse, UserInfo, UserInfoResponse};
#[cfg(feature = "openid")]
pub use verify::{at_hash, Verifier, VerifyError};
