//! The browser half of OAuth: `/oauth/v2/authorize` and `/oauth/v2_user/authorize`.

use std::fmt;

use crate::app::split_scopes;
use crate::state::{CodeRec, State};

/// Why the simulator refused an authorize URL or a configuration.
///
/// Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SimError {
    /// The URL is not `…/oauth/v2/authorize` or `…/oauth/v2_user/authorize`.
    NotAnAuthorizeUrl,
    /// `client_id` is missing or names no registered app.
    InvalidClientId,
    /// `redirect_uri` is not allowed for the app, has a fragment, or is missing while the
    /// app has no redirect URI registered.
    BadRedirectUri,
    /// The app may not be granted this scope.
    InvalidScope(String),
    /// `code_challenge` is malformed or `code_challenge_method` is not `S256`.
    InvalidCodeChallenge,
    /// A custom-scheme redirect URI needs PKCE.
    PkceRequired,
    /// A configuration file or admin request could not be read.
    InvalidConfig(String),
    /// A Sign in with Slack URL whose `response_type` is not `code`.
    UnsupportedResponseType,
}

impl SimError {
    /// The error as Slack would name it on its error page (e.g. `bad_redirect_uri`).
    pub fn code(&self) -> &'static str {
        match self {
            SimError::NotAnAuthorizeUrl => "not_an_authorize_url",
            SimError::InvalidClientId => "invalid_client_id",
            SimError::BadRedirectUri => "bad_redirect_uri",
            SimError::InvalidScope(_) => "invalid_scope",
            SimError::InvalidCodeChallenge => "invalid_code_challenge",
            SimError::PkceRequired => "pkce_required",
            SimError::InvalidConfig(_) => "invalid_config",
            SimError::UnsupportedResponseType => "unsupported_response_type",
        }
    }
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::NotAnAuthorizeUrl => {
                f.write_str("not an /oauth/v2/authorize or /oauth/v2_user/authorize URL")
            }
            SimError::InvalidClientId => f.write_str("invalid_client_id: unknown or missing client_id"),
            SimError::BadRedirectUri => f.write_str("bad_redirect_uri: redirect_uri not allowed for this app"),
            SimError::InvalidScope(scope) => write!(f, "invalid_scope: {scope}"),
            SimError::InvalidCodeChallenge => f.write_str(
                "invalid_code_challenge: code_challenge must be 43 base64url characters with code_challenge_method=S256",
            ),
            SimError::PkceRequired => f.write_str("pkce_required: custom-scheme redirect URIs need PKCE"),
            SimError::InvalidConfig(why) => write!(f, "invalid configuration: {why}"),
            SimError::UnsupportedResponseType => {
                f.write_str("unsupported_response_type: Sign in with Slack takes response_type=code")
            }
        }
    }
}

impl std::error::Error for SimError {}

impl State {
    /// Validates an authorize URL like Slack's authorize page and returns the redirect the
    /// browser would follow: with `code` and `state` (approve) or `error=access_denied`.
    pub fn authorize(&mut self, url: &str, approve: bool) -> Result<String, SimError> {
        let uri: http::Uri = url.parse().map_err(|_| SimError::NotAnAuthorizeUrl)?;
        if uri
            .path()
            .trim_end_matches('/')
            .ends_with(slack_oauth_core::openid::AuthorizeUrl::PATH)
        {
            return self.openid_authorize(&uri, approve);
        }
        let user_flow = match uri.path().trim_end_matches('/') {
            p if p.ends_with("/oauth/v2/authorize") => false,
            p if p.ends_with("/oauth/v2_user/authorize") => true,
            _ => return Err(SimError::NotAnAuthorizeUrl),
        };
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

        let (bot_scopes, user_scopes) = if user_flow {
            let mut user = split_scopes(get("scope").unwrap_or(""));
            user.extend(split_scopes(get("user_scope").unwrap_or("")));
            (Vec::new(), user)
        } else {
            (
                split_scopes(get("scope").unwrap_or("")),
                split_scopes(get("user_scope").unwrap_or("")),
            )
        };
        if let Some(bad) = bot_scopes.iter().find(|s| !app.config.allows_bot_scope(s)) {
            return Err(SimError::InvalidScope(bad.clone()));
        }
        if let Some(bad) = user_scopes
            .iter()
            .find(|s| !app.config.allows_user_scope(s))
        {
            return Err(SimError::InvalidScope(bad.clone()));
        }

        let challenge = match (get("code_challenge"), get("code_challenge_method")) {
            (None, None) => None,
            (Some(c), Some("S256")) if is_s256_challenge(c) => Some(c.to_owned()),
            _ => return Err(SimError::InvalidCodeChallenge),
        };
        let custom_scheme = !(redirect.starts_with("http://") || redirect.starts_with("https://"));
        if custom_scheme && challenge.is_none() {
            return Err(SimError::PkceRequired);
        }

        let state = get("state").map(str::to_owned);
        let mut answer = form_urlencoded::Serializer::new(String::new());
        if approve {
            let code = self.mint_code();
            answer.append_pair("code", &code);
            let rec = CodeRec {
                client_id: client_id.to_owned(),
                issued_at: self.now,
                used: false,
                redirect_sent,
                redirect_used: redirect.clone(),
                challenge,
                bot_scopes,
                user_scopes,
                user_flow,
                workspace_team: get("team").map(str::to_owned),
            };
            self.codes.insert(code, rec);
        } else {
            answer.append_pair("error", "access_denied");
        }
        if let Some(state) = &state {
            answer.append_pair("state", state);
        }
        let separator = if redirect.contains('?') { '&' } else { '?' };
        Ok(format!("{redirect}{separator}{}", answer.finish()))
    }
}

/// base64url(SHA-256) without padding: exactly 43 characters of the URL-safe alphabet.
pub(crate) fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
