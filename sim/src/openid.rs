//! Sign in with Slack, as far as the simulator plays it today: the provider's signing keys
//! (generated on first use, rotated and retired on request), its key set at
//! `/openid/connect/keys`, its discovery document at `/.well-known/openid-configuration`, and
//! [`Sim::sign_id_token`] for tests. It has no `/openid/connect/authorize` page yet, so it
//! issues no OpenID code and no token with the `openid` scope: `openid.connect.token` and
//! `openid.connect.userInfo` answer as Slack does for the codes and tokens it does issue.
//!
//! The issuer (`iss`, and the discovery document's `issuer`) is `https://slack.com` unless
//! set ([`Sim::set_openid_issuer`]): an app's verifier then needs no change to accept the
//! simulator's tokens. A standard OpenID client that discovers the provider at the
//! simulator's URL expects that URL as the issuer: set it to the server's origin.

use http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST};
use http::{Method as Verb, Request, Response, StatusCode};
use rsa::pkcs1v15::SigningKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::Generate;
use serde_json::{json, Value};
use slack_oauth_core::ErrorCode;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::methods::{client_credentials, Answer};
use crate::request::Parsed;
use crate::sim::Sim;
use crate::state::State;

/// Slack's issuer, the simulator's unless set otherwise.
const SLACK_ISSUER: &str = "https://slack.com";

/// One signing key of the simulated provider.
struct SimKey {
    kid: String,
    signer: SigningKey<Sha256>,
    /// In the key set at `/openid/connect/keys`.
    published: bool,
}

/// The simulated OpenID provider: its keys and its issuer.
#[derive(Default)]
pub(crate) struct Provider {
    issuer: Option<String>,
    /// Oldest first; the last one signs.
    keys: Vec<SimKey>,
    minted: u64,
}

impl Provider {
    fn issuer(&self) -> &str {
        self.issuer.as_deref().unwrap_or(SLACK_ISSUER)
    }

    /// A new published key that signs from now on; its key id.
    fn add_key(&mut self) -> String {
        self.minted += 1;
        let kid = format!("sim-key-{}", self.minted);
        // OS randomness: a simulator's key protects nothing, but a fixed one would be the
        // same for every user of the simulator.
        let private = rsa::PrivateKey::try_generate().expect("the OS random source works");
        self.keys.push(SimKey {
            kid: kid.clone(),
            signer: SigningKey::new(private),
            published: true,
        });
        kid
    }

    fn current(&mut self) -> &SimKey {
        if self.keys.is_empty() {
            self.add_key();
        }
        &self.keys[self.keys.len() - 1]
    }

    fn jwks(&mut self) -> Value {
        self.current();
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter(|k| k.published)
            .map(|k| {
                let public = k.signer.as_ref();
                json!({
                    "kty": "RSA",
                    "kid": k.kid,
                    "alg": "RS256",
                    "use": "sig",
                    "n": URL_SAFE_NO_PAD.encode(public.n().to_be_bytes_trimmed_vartime()),
                    "e": URL_SAFE_NO_PAD.encode(public.e().to_be_bytes_trimmed_vartime()),
                })
            })
            .collect();
        json!({ "keys": keys })
    }

    fn sign_with(&self, key: &SimKey, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "kid": key.kid, "typ": "JWT"});
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = key.signer.sign(signed.as_bytes()).to_vec();
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// `GET /openid/connect/keys` and `GET /.well-known/openid-configuration`; `None` for any
/// other path.
pub(crate) fn route(state: &mut State, req: &Request<Vec<u8>>) -> Option<Response<Vec<u8>>> {
    let path = req.uri().path();
    let body = match path {
        slack_oauth_core::openid::KEYS_PATH => state.openid.jwks(),
        "/.well-known/openid-configuration" => discovery(&state.openid, req),
        _ => return None,
    };
    if *req.method() != Verb::GET && *req.method() != Verb::HEAD {
        return Some(plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "method not allowed\n",
        ));
    }
    let mut response = Response::new(body.to_string().into_bytes());
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        CACHE_CONTROL,
        http::HeaderValue::from_static("max-age=3600"),
    );
    Some(response)
}

fn plain(status: StatusCode, body: &str) -> Response<Vec<u8>> {
    let mut response = Response::new(body.as_bytes().to_vec());
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, http::HeaderValue::from_static("text/plain"));
    response
}

/// Slack's discovery document (api.slack.com/.well-known/openid-configuration), with the
/// endpoints at the origin the request reached, so a client finds the simulator's.
fn discovery(provider: &Provider, req: &Request<Vec<u8>>) -> Value {
    let origin = match (req.uri().scheme_str(), req.uri().authority()) {
        (Some(scheme), Some(authority)) => format!("{scheme}://{authority}"),
        _ => match req.headers().get(HOST).and_then(|h| h.to_str().ok()) {
            Some(host) => format!("http://{host}"),
            None => provider.issuer().to_owned(),
        },
    };
    json!({
        "issuer": provider.issuer(),
        "authorization_endpoint": format!("{origin}/openid/connect/authorize"),
        "token_endpoint": format!("{origin}/api/openid.connect.token"),
        "userinfo_endpoint": format!("{origin}/api/openid.connect.userInfo"),
        "jwks_uri": format!("{origin}{}", slack_oauth_core::openid::KEYS_PATH),
        "scopes_supported": ["openid", "profile", "email"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "auth_time", "iss"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": true,
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
    })
}

impl Sim {
    /// The issuer the simulated provider names (`https://slack.com` unless set).
    pub fn openid_issuer(&self) -> String {
        self.with_state(|s| s.openid.issuer().to_owned())
    }

    /// Sets the issuer: the discovery document's `issuer`. Set it to the server's origin
    /// for a client that discovers the provider at the simulator's URL.
    pub fn set_openid_issuer(&self, issuer: &str) {
        self.with_state(|s| s.openid.issuer = Some(issuer.to_owned()));
    }

    /// Signs `claims` as given, with the key that signs now (generated on first use), into a
    /// compact RS256 JWS: an `id_token` for tests of a callback handler, including the odd
    /// ones (expired, another audience, another nonce).
    pub fn sign_id_token(&self, claims: &Value) -> String {
        self.with_state(|s| {
            let provider = &mut s.openid;
            provider.current();
            let key = &provider.keys[provider.keys.len() - 1];
            provider.sign_with(key, claims)
        })
    }

    /// Signs `claims` with the key `kid`, published, retired or never published; `None` if the
    /// simulator never had it.
    pub fn sign_id_token_with(&self, kid: &str, claims: &Value) -> Option<String> {
        self.with_state(|s| {
            let provider = &s.openid;
            let key = provider.keys.iter().find(|k| k.kid == kid)?;
            Some(provider.sign_with(key, claims))
        })
    }

    /// Rotates the provider's key: a new key is published and signs from now on; the old ones
    /// stay published until [`Sim::retire_openid_key`]. Returns the new key id.
    pub fn rotate_openid_key(&self) -> String {
        self.with_state(|s| {
            s.openid.current();
            s.openid.add_key()
        })
    }

    /// A new key that signs from now on but is not in the key set: tokens a client cannot
    /// check until the key is published ([`Sim::publish_openid_key`]).
    pub fn add_unpublished_openid_key(&self) -> String {
        self.with_state(|s| {
            s.openid.current();
            let kid = s.openid.add_key();
            if let Some(key) = s.openid.keys.last_mut() {
                key.published = false;
            }
            kid
        })
    }

    /// Puts key `kid` (back) in the key set; false if there is no such key.
    pub fn publish_openid_key(&self, kid: &str) -> bool {
        self.set_published(kid, true)
    }

    /// Takes key `kid` out of the key set (it no longer signs if it did: the newest key still
    /// published does); false if there is no such key.
    pub fn retire_openid_key(&self, kid: &str) -> bool {
        self.set_published(kid, false)
    }

    /// The key ids of the key set, oldest first.
    pub fn openid_key_ids(&self) -> Vec<String> {
        self.with_state(|s| {
            s.openid.current();
            s.openid
                .keys
                .iter()
                .filter(|k| k.published)
                .map(|k| k.kid.clone())
                .collect()
        })
    }

    fn set_published(&self, kid: &str, published: bool) -> bool {
        self.with_state(|s| {
            let keys = &mut s.openid.keys;
            let Some(at) = keys.iter().position(|k| k.kid == kid) else {
                return false;
            };
            keys[at].published = published;
            // The signing key is the last one: move the newest published key there.
            if !published && at + 1 == keys.len() {
                if let Some(newest) = keys.iter().rposition(|k| k.published) {
                    let key = keys.remove(newest);
                    keys.push(key);
                }
            }
            true
        })
    }
}

impl State {
    /// `openid.connect.token`: the client is checked as for `oauth.v2.access` (HTTP Basic or
    /// form fields); every code the simulator issues comes from `/oauth/v2/authorize`, which
    /// Slack refuses here with `oauth_authorization_url_mismatch`.
    pub fn openid_token(&mut self, p: &Parsed) -> Answer {
        let client = client_credentials(p)?;
        let app = self
            .apps
            .get(&client.id)
            .ok_or(ErrorCode::InvalidClientId)?;
        if client.secret.as_deref() != Some(app.config.client_secret.as_str()) {
            return Err(ErrorCode::BadClientSecret);
        }
        match p.args.get("grant_type") {
            None | Some("authorization_code") => {
                let code = p.args.non_empty("code").ok_or(ErrorCode::InvalidCode)?;
                match self.codes.get(code) {
                    Some(rec) if rec.client_id == client.id => {
                        Err(ErrorCode::OauthAuthorizationUrlMismatch)
                    }
                    _ => Err(ErrorCode::InvalidCode),
                }
            }
            // No OpenID refresh token has been issued.
            Some("refresh_token") => Err(ErrorCode::InvalidRefreshToken),
            Some(_) => Err(ErrorCode::InvalidGrantType),
        }
    }

    /// `openid.connect.userInfo`: needs a live token with the `openid` scope, which no token
    /// of the simulator has yet (`missing_scope`).
    pub fn openid_user_info(&mut self, p: &Parsed) -> Answer {
        let token = p.token().ok_or(ErrorCode::NotAuthed)?;
        self.live_token(token)?;
        Err(ErrorCode::MissingScope)
    }
}
