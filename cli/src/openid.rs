//! `openid authorize-url`, `openid token` and `openid userinfo`: Sign in with Slack, the
//! id_token checked here (Slack's SDKs never check it).

use std::time::SystemTime;

use serde::Serialize;
use slack_oauth::openid::{
    keys_request, AuthorizeUrl, Claims, Jwks, Nonce, Scope, Token, UserInfo, Verifier,
};
use slack_oauth::unix_seconds;

use crate::args::{Global, OpenidAuthorizeUrlArgs, OpenidTokenArgs, TokenArgs};
use crate::fail::Failure;
use crate::inputs::{api, caller, client_id, credentials, Secret, ENV_AUTH_CODE, ENV_TOKEN};
use crate::install::{random, random_state, web_origin};
use crate::output::{self, WithWarnings};
use crate::secrets::SecretReader;
use crate::Outcome;

/// Random bytes for a nonce (128 bits, as for a state).
const NONCE_BYTES: usize = 16;

/// `openid authorize-url`: prints `{"url", "state", "nonce"[, "redirect_uri"]}`.
pub fn authorize_url(global: &Global, args: OpenidAuthorizeUrlArgs) -> Outcome {
    let client_id = client_id(global)?;
    let mut scopes = Vec::with_capacity(args.scope.len());
    for name in &args.scope {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        let scope = Scope::parse(name).ok_or_else(|| {
            Failure::Usage(format!(
                "--scope `{name}` is not a Sign in with Slack scope (openid, profile, email)"
            ))
        })?;
        scopes.push(scope);
    }
    let state = match &args.state {
        Some(value) => slack_oauth::authorize::State::new(value.clone())
            .map_err(|e| Failure::Usage(format!("--state cannot be used: {e}")))?,
        None => random_state()?,
    };
    let nonce = match &args.nonce {
        Some(value) => nonce(value)?,
        None => Nonce::from_random_bytes(&random::<NONCE_BYTES>()?)
            .map_err(|e| Failure::Transport(format!("cannot make a nonce: {e}")))?,
    };
    let mut url = AuthorizeUrl::new(client_id);
    if global.gov {
        url = url.gov();
    } else if let Some(origin) = web_origin(global)? {
        url = url.with_base_url(&origin)?;
    }
    url = url.scopes(scopes).state(&state).nonce(&nonce);
    if let Some(uri) = &args.redirect_uri {
        url = url.redirect_uri(uri);
    }
    let url = url
        .build()
        .map_err(|e| Failure::Usage(format!("cannot build the authorize URL: {e}")))?;
    output::print(&AuthorizeOutput {
        url: &url,
        state: state.as_str(),
        nonce: nonce.as_str(),
        redirect_uri: args.redirect_uri.as_deref(),
    })
}

/// stdout of `openid authorize-url`.
#[derive(Serialize)]
struct AuthorizeOutput<'a> {
    url: &'a str,
    state: &'a str,
    /// For `openid token --nonce`.
    nonce: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_uri: Option<&'a str>,
}

/// `openid token`: exchange, fetch the keys, verify; prints the claims and never a token.
pub fn token(global: &Global, secrets: &mut SecretReader, args: OpenidTokenArgs) -> Outcome {
    let credentials = credentials(global, secrets, Secret::Required)?;
    let client_id = credentials.client_id.clone();
    let code = match args.code {
        Some(code) if code.trim().is_empty() => {
            return Err(Failure::Usage("--code is empty".into()))
        }
        Some(code) => code.trim().to_owned(),
        None => secrets.required(
            args.code_file.as_deref(),
            ENV_AUTH_CODE,
            "--code-file",
            "the authorization code",
        )?,
    };
    let nonce = args.nonce.as_deref().map(nonce).transpose()?;
    let mut method = Token::code(code);
    if let Some(uri) = args.redirect_uri {
        method = method.redirect_uri(uri);
    }
    let api = api(global)?;
    // The key set is public: it is fetched without the credentials.
    let keys_request = keys_request(&api)?;
    let caller = caller(global, api.with_credentials(credentials))?;
    let reply = caller.call(&method)?;
    let now = unix_seconds(SystemTime::now());
    let answer = caller.send(keys_request)?;
    let keys = Jwks::parse(&answer)
        .map_err(|e| Failure::Transport(format!("cannot use Slack's signing keys: {e}")))?;
    // A key set fetched just now: an unknown key is not cured by fetching it again.
    match Verifier::new(client_id).verify(&reply.value, &keys, nonce.as_ref(), now) {
        Ok(claims) => output::print(&WithWarnings::new(
            &Verified {
                ok: true,
                claims: &claims,
                access_token_expires_at: reply.value.expires_at(now),
            },
            &reply.warnings,
        )),
        Err(e) => Err(Failure::Kept {
            json: serde_json::json!({"ok": false, "error": e.code()}),
            message: e.to_string(),
        }),
    }
}

/// stdout of a verified `openid token`.
#[derive(Serialize)]
struct Verified<'a> {
    ok: bool,
    claims: &'a Claims,
    /// When the user token expires (token rotation), `null` when it does not.
    access_token_expires_at: Option<u64>,
}

/// `openid userinfo`: `openid.connect.userInfo` with the user token of `SLACK_TOKEN`.
pub fn userinfo(global: &Global, secrets: &mut SecretReader, args: TokenArgs) -> Outcome {
    let token = secrets.required(
        args.token_file.as_deref(),
        ENV_TOKEN,
        "--token-file",
        "the token",
    )?;
    crate::commands::print(caller(global, api(global)?)?.call(&UserInfo::new(token))?)
}

fn nonce(value: &str) -> Result<Nonce, Failure> {
    Nonce::new(value).map_err(|e| Failure::Usage(format!("--nonce cannot be used: {e}")))
}
