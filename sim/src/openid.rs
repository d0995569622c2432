//! Sign in with Slack: the simulator as an OpenID provider. `/openid/connect/authorize` (the
//! OAuth pages' consent page and checks, Sign in with Slack scopes only), `openid.connect.token`
//! (a user token and an id_token signed with the provider's key, claims as Slack's, `""` as
//! the nonce when none was sent), `openid.connect.userInfo`, the signing keys (generated on
//! first use, rotated and retired on request) at `/openid/connect/keys`, the discovery
//! document at `/.well-known/openid-configuration`, and [`Sim::sign_id_token`] for tests that
//! need an odd token (expired, another audience, an unpublished key).
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

use std::collections::{HashMap, HashSet};

use serde_json::Map;
use slack_oauth_core::openid::{at_hash, Scope};
use slack_oauth_core::AccessToken;

use crate::authorize::{is_s256_challenge, SimError};
use crate::methods::{client_credentials, Answer};
use crate::request::Parsed;
use crate::sim::Sim;
use crate::state::{CodeRec, State, TokenRec};

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
    /// The codes the Sign in with Slack page issued, with the nonce each was asked with.
    codes: HashMap<String, Option<String>>,
    /// The refresh tokens `openid.connect.token` issued.
    refresh: HashSet<String>,
}

impl Provider {
    /// Whether `code` came from the Sign in with Slack page.
    pub(crate) fn issued(&self, code: Option<&str>) -> bool {
        code.is_some_and(|c| self.codes.contains_key(c))
    }

    /// Signs `claims` with the key that signs now.
    fn sign(&mut self, claims: &Value) -> String {
        self.current();
        let key = &self.keys[self.keys.len() - 1];
        self.sign_with(key, claims)
    }

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

    /// A new key that signs from now on, published or not; its key id.
    fn rotate(&mut self, published: bool) -> String {
        self.current();
        let kid = self.add_key();
        if let Some(key) = self.keys.last_mut() {
            key.published = published;
        }
        kid
    }

    fn set_published(&mut self, kid: &str, published: bool) -> bool {
        let keys = &mut self.keys;
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
    }

    fn key_ids(&mut self) -> Vec<String> {
        self.current();
        self.keys
            .iter()
            .filter(|k| k.published)
            .map(|k| k.kid.clone())
            .collect()
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
    if let Some(action) = path.strip_prefix("/_sim/openid") {
        return Some(admin(&mut state.openid, req, action));
    }
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

/// `/_sim/openid…`: the provider's keys and issuer, for programs driving the simulator over
/// HTTP (the same as the `Sim` methods).
fn admin(provider: &mut Provider, req: &Request<Vec<u8>>, action: &str) -> Response<Vec<u8>> {
    let arg = |name: &str| {
        req.uri().query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.into_owned())
        })
    };
    let post = *req.method() == Verb::POST;
    let (status, body) = match (action, post) {
        ("", false) => (
            StatusCode::OK,
            json!({"ok": true, "issuer": provider.issuer(), "keys": provider.key_ids()}),
        ),
        ("/rotate", true) => (
            StatusCode::OK,
            json!({"ok": true, "kid": provider.rotate(true)}),
        ),
        ("/unpublished", true) => (
            StatusCode::OK,
            json!({"ok": true, "kid": provider.rotate(false)}),
        ),
        ("/retire" | "/publish", true) => match arg("kid") {
            Some(kid) if provider.set_published(&kid, action == "/publish") => (
                StatusCode::OK,
                json!({"ok": true, "keys": provider.key_ids()}),
            ),
            Some(_) => (
                StatusCode::NOT_FOUND,
                json!({"ok": false, "error": "unknown_key"}),
            ),
            None => (
                StatusCode::BAD_REQUEST,
                json!({"ok": false, "error": "invalid_arguments", "detail": "kid is required"}),
            ),
        },
        ("/issuer", true) => match arg("issuer") {
            Some(issuer) if !issuer.is_empty() => {
                provider.issuer = Some(issuer);
                (
                    StatusCode::OK,
                    json!({"ok": true, "issuer": provider.issuer()}),
                )
            }
            _ => (
                StatusCode::BAD_REQUEST,
                json!({"ok": false, "error": "invalid_arguments", "detail": "issuer is required"}),
            ),
        },
        _ => return plain(StatusCode::NOT_FOUND, "not found\n"),
    };
    let mut response = Response::new(body.to_string().into_bytes());
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
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

    /// Sets the issuer: the id_tokens' `iss` and the discovery document's `issuer`. Set it
    /// to the server's origin for a client that discovers the provider at the simulator's
    /// URL (`POST /_sim/openid/issuer?issuer=…` does the same).
    pub fn set_openid_issuer(&self, issuer: &str) {
        self.with_state(|s| s.openid.issuer = Some(issuer.to_owned()));
    }

    /// Signs `claims` as given, with the key that signs now (generated on first use), into a
    /// compact RS256 JWS: an `id_token` for tests of a callback handler, including the odd
    /// ones (expired, another audience, another nonce).
    ///
    /// ```
    /// use slack_oauth_core::{openid::{keys_request, Jwks, Verifier}, Api, secret::IdToken};
    /// use slack_oauth_sim::Sim;
    ///
    /// let sim = Sim::new();
    /// let now = sim.now();
    /// let expired = sim.sign_id_token(&serde_json::json!({"iss": "https://slack.com",
    ///     "sub": "U1", "aud": "111.222", "iat": now - 900, "exp": now - 600}));
    /// let api = Api::new().with_base_url("http://127.0.0.1:9/api")?;
    /// let keys = Jwks::parse(&sim.handle(&keys_request(&api)?))?;
    /// let err = Verifier::new("111.222")
    ///     .verify_id_token(&IdToken::new(expired), None, &keys, None, now)
    ///     .unwrap_err();
    /// assert_eq!(err.code(), "expired");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sign_id_token(&self, claims: &Value) -> String {
        self.with_state(|s| s.openid.sign(claims))
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
    /// stay published until [`Sim::retire_openid_key`]. Returns the new key id
    /// (`POST /_sim/openid/rotate`).
    pub fn rotate_openid_key(&self) -> String {
        self.with_state(|s| s.openid.rotate(true))
    }

    /// A new key that signs from now on but is not in the key set: tokens a client cannot
    /// check until the key is published ([`Sim::publish_openid_key`];
    /// `POST /_sim/openid/unpublished`).
    pub fn add_unpublished_openid_key(&self) -> String {
        self.with_state(|s| s.openid.rotate(false))
    }

    /// Puts key `kid` (back) in the key set; false if there is no such key
    /// (`POST /_sim/openid/publish?kid=…`).
    pub fn publish_openid_key(&self, kid: &str) -> bool {
        self.with_state(|s| s.openid.set_published(kid, true))
    }

    /// Takes key `kid` out of the key set (it no longer signs if it did: the newest key still
    /// published does); false if there is no such key (`POST /_sim/openid/retire?kid=…`).
    pub fn retire_openid_key(&self, kid: &str) -> bool {
        self.with_state(|s| s.openid.set_published(kid, false))
    }

    /// The key ids of the key set, oldest first (`GET /_sim/openid`).
    pub fn openid_key_ids(&self) -> Vec<String> {
        self.with_state(|s| s.openid.key_ids())
    }
}

impl State {
    /// `/openid/connect/authorize`, approved or denied: like the OAuth pages (client,
    /// redirect URI, PKCE), with `response_type=code` and Sign in with Slack scopes only
    /// (`openid`, `profile`, `email`; `,`, space or `+` between them). The code is an
    /// `oauth.v2.user.access`-style user code marked as Sign in with Slack's, with its nonce.
    pub(crate) fn openid_authorize(
        &mut self,
        uri: &http::Uri,
        approve: bool,
    ) -> Result<String, SimError> {
        let params: Vec<(String, String)> = uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let client_id = get("client_id").ok_or(SimError::InvalidClientId)?;
        let app = self.apps.get(client_id).ok_or(SimError::InvalidClientId)?;
        if get("response_type") != Some("code") {
            return Err(SimError::UnsupportedResponseType);
        }
        let redirect_sent = get("redirect_uri").map(str::to_owned);
        let redirect = match &redirect_sent {
            Some(r) if app.config.allows_redirect(r) => r.clone(),
            Some(_) => return Err(SimError::BadRedirectUri),
            None => app
                .config
                .default_redirect()
                .ok_or(SimError::BadRedirectUri)?
                .to_owned(),
        };
        let mut scopes: Vec<String> = Vec::new();
        for scope in get("scope")
            .unwrap_or("")
            .split([',', ' ', '+'])
            .filter(|s| !s.is_empty())
        {
            // Slack refuses other scopes in this flow: they need an install of their own.
            if Scope::parse(scope).is_none() {
                return Err(SimError::InvalidScope(scope.to_owned()));
            }
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        if !scopes.iter().any(|s| s == "openid") {
            return Err(SimError::InvalidScope("openid is required".to_owned()));
        }
        let challenge = match (get("code_challenge"), get("code_challenge_method")) {
            (None, None) => None,
            (Some(c), Some("S256")) if is_s256_challenge(c) => Some(c.to_owned()),
            _ => return Err(SimError::InvalidCodeChallenge),
        };

        let mut answer = form_urlencoded::Serializer::new(String::new());
        if approve {
            let code = self.mint_code();
            answer.append_pair("code", &code);
            self.codes.insert(
                code.clone(),
                CodeRec {
                    client_id: client_id.to_owned(),
                    issued_at: self.now,
                    used: false,
                    redirect_sent,
                    redirect_used: redirect.clone(),
                    challenge,
                    bot_scopes: Vec::new(),
                    user_scopes: scopes,
                    user_flow: true,
                    workspace_team: get("team").map(str::to_owned),
                },
            );
            self.openid
                .codes
                .insert(code, get("nonce").map(str::to_owned));
        } else {
            answer.append_pair("error", "access_denied");
        }
        if let Some(state) = get("state") {
            answer.append_pair("state", state);
        }
        let separator = if redirect.contains('?') { '&' } else { '?' };
        Ok(format!("{redirect}{separator}{}", answer.finish()))
    }

    /// `openid.connect.token`: the client is checked as for `oauth.v2.access` (HTTP Basic or
    /// form fields), then the code (or refresh token) as for `oauth.v2.user.access`; the
    /// answer is Slack's: the user token, `Bearer`, a signed `id_token`, and with token
    /// rotation a refresh token. Codes from the OAuth pages are refused with
    /// `oauth_authorization_url_mismatch`.
    pub fn openid_token(&mut self, p: &Parsed) -> Answer {
        let client = client_credentials(p)?;
        let app = self
            .apps
            .get(&client.id)
            .ok_or(ErrorCode::InvalidClientId)?;
        match &client.secret {
            Some(secret) if *secret != app.config.client_secret => {
                return Err(ErrorCode::BadClientSecret)
            }
            None if !app.config.pkce => return Err(ErrorCode::BadClientSecret),
            _ => {}
        }
        let (granted, nonce) = match p.args.get("grant_type") {
            None | Some("authorization_code") => {
                let code = p.args.non_empty("code").ok_or(ErrorCode::InvalidCode)?;
                let Some(nonce) = self.openid.codes.get(code).cloned() else {
                    return Err(match self.codes.contains_key(code) {
                        true => ErrorCode::OauthAuthorizationUrlMismatch,
                        false => ErrorCode::InvalidCode,
                    });
                };
                (self.code_grant(p, &client, true)?, nonce)
            }
            Some("refresh_token") => {
                let value = p.args.non_empty("refresh_token").unwrap_or("");
                if !self.openid.refresh.contains(value) {
                    return Err(ErrorCode::InvalidRefreshToken);
                }
                (self.refresh_grant(p, &client, true)?, None)
            }
            Some(_) => return Err(ErrorCode::InvalidGrantType),
        };
        let token = granted
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or(ErrorCode::InternalError)?
            .to_owned();
        let rec = self.tokens.get(&token).ok_or(ErrorCode::InternalError)?;
        let claims = self.openid_claims(rec, &client.id, nonce.as_deref(), Some(&token));
        let mut out = Map::new();
        out.insert("access_token".into(), json!(token));
        out.insert("token_type".into(), json!("Bearer"));
        out.insert("id_token".into(), json!(self.openid.sign(&claims)));
        for field in ["refresh_token", "expires_in"] {
            if let Some(value) = granted.get(field) {
                out.insert(field.into(), value.clone());
            }
        }
        if let Some(refresh) = granted.get("refresh_token").and_then(Value::as_str) {
            self.openid.refresh.insert(refresh.to_owned());
        }
        Ok(out)
    }

    /// `openid.connect.userInfo`: the claims of a live user token with the `openid` scope
    /// (`missing_scope` for the simulator's other tokens).
    pub fn openid_user_info(&mut self, p: &Parsed) -> Answer {
        let token = p.token().ok_or(ErrorCode::NotAuthed)?;
        let rec = self.live_token(token)?;
        if !rec.scope.split(',').any(|s| s == "openid") {
            return Err(ErrorCode::MissingScope);
        }
        let client_id = rec.client_id.clone().unwrap_or_default();
        let Value::Object(mut claims) = self.openid_claims(rec, &client_id, None, None) else {
            return Err(ErrorCode::InternalError);
        };
        for id_only in ["iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash"] {
            claims.remove(id_only);
        }
        Ok(claims)
    }

    /// The claims Slack puts in an id_token (openid.connect.token's page), for the token's
    /// user and workspace and the scopes it was granted.
    fn openid_claims(
        &self,
        rec: &TokenRec,
        client_id: &str,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Value {
        let now = self.now;
        let install = rec.install.as_ref();
        let user_id = install.map_or("U0SIM", |i| i.user_id.as_str());
        let (team_id, team_name) = install
            .and_then(|i| i.team.clone())
            .unwrap_or_else(|| ("T0SIM".to_owned(), "Sim Team".to_owned()));
        let mut claims = json!({
            "iss": self.openid.issuer(),
            "sub": user_id,
            "aud": client_id,
            "exp": now.saturating_add(ID_TOKEN_TTL),
            "iat": now,
            "auth_time": now,
            // Slack's quirk: an empty nonce when none was sent.
            "nonce": nonce.unwrap_or(""),
            "https://slack.com/user_id": user_id,
            "https://slack.com/team_id": team_id,
        });
        if let Some(token) = access_token {
            claims["at_hash"] = json!(at_hash(&AccessToken::new(token)));
        }
        if let Some((id, _)) = install.and_then(|i| i.enterprise.as_ref()) {
            claims["https://slack.com/enterprise_id"] = json!(id);
        }
        let granted = |scope: &str| rec.scope.split(',').any(|s| s == scope);
        if granted("email") {
            claims["email"] = json!(format!("{}@sim.example", user_id.to_lowercase()));
            claims["email_verified"] = json!(true);
        }
        if granted("profile") {
            let domain: String = team_name
                .to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            for (claim, value) in [
                ("name", json!("Sim User")),
                ("given_name", json!("Sim")),
                ("family_name", json!("User")),
                ("locale", json!("en-US")),
                ("picture", json!("https://avatars.sim.example/u_512.png")),
                ("https://slack.com/team_name", json!(team_name)),
                ("https://slack.com/team_domain", json!(domain)),
            ] {
                claims[claim] = value;
            }
        }
        claims
    }
}

/// How long an id_token is valid: 300 s, as in every example Slack shows.
const ID_TOKEN_TTL: u64 = 300;
