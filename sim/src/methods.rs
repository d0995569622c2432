//! The methods, as Slack answers them: the six OAuth and token methods, and `auth.test`,
//! `auth.revoke` and `apps.uninstall`.

use base64::Engine as _;
use serde_json::{json, Map, Value};
use slack_oauth_core::ErrorCode;

use crate::request::{Basic, Parsed};
use crate::state::{Install, Kind, State, TokenRec, CODE_TTL, TOKEN_TTL};

pub(crate) type Answer = Result<Map<String, Value>, ErrorCode>;

/// Client credentials as sent: by HTTP Basic if present, else by body arguments.
pub(crate) struct Client {
    pub(crate) id: String,
    pub(crate) secret: Option<String>,
}

pub(crate) fn client_credentials(p: &Parsed) -> Result<Client, ErrorCode> {
    match &p.basic {
        Some(Basic::Valid { id, secret }) => Ok(Client {
            id: id.clone(),
            secret: Some(secret.clone()),
        }),
        Some(Basic::Malformed) => Err(ErrorCode::InvalidClientId),
        None => match p.args.non_empty("client_id") {
            Some(id) => Ok(Client {
                id: id.to_owned(),
                secret: p.args.get("client_secret").map(str::to_owned),
            }),
            None => Err(ErrorCode::InvalidClientId),
        },
    }
}

/// `base64url(sha256(verifier))`, unpadded (RFC 7636 S256).
pub(crate) fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(hmac_sha256::Hash::hash(verifier.as_bytes()))
}

/// RFC 7636: 43 to 128 characters of `[A-Za-z0-9-._~]`.
pub(crate) fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn is_custom_scheme(uri: &str) -> bool {
    !(uri.starts_with("http://") || uri.starts_with("https://"))
}

impl State {
    /// `oauth.v2.access` (`user_flow == false`) and `oauth.v2.user.access` (`true`).
    pub fn oauth_access(&mut self, p: &Parsed, user_flow: bool) -> Answer {
        let client = client_credentials(p)?;
        let app = self
            .apps
            .get(&client.id)
            .ok_or(ErrorCode::InvalidClientId)?;
        match &client.secret {
            Some(secret) if *secret != app.config.client_secret => {
                return Err(ErrorCode::BadClientSecret)
            }
            // Only a PKCE app's public clients may leave the secret out.
            None if !app.config.pkce => return Err(ErrorCode::BadClientSecret),
            _ => {}
        }
        match p.args.get("grant_type") {
            // A Sign in with Slack code is for openid.connect.token only.
            None | Some("authorization_code") if self.openid.issued(p.args.get("code")) => {
                Err(ErrorCode::OauthAuthorizationUrlMismatch)
            }
            None | Some("authorization_code") => self.code_grant(p, &client, user_flow),
            Some("refresh_token") => self.refresh_grant(p, &client, user_flow),
            Some(_) => Err(ErrorCode::InvalidGrantType),
        }
    }

    pub(crate) fn code_grant(&mut self, p: &Parsed, client: &Client, user_flow: bool) -> Answer {
        let now = self.now;
        let app = self
            .apps
            .get(&client.id)
            .ok_or(ErrorCode::InvalidClientId)?;
        let pkce_app = app.config.pkce;
        let verifier = p.args.get("code_verifier");
        if verifier.is_some() && !pkce_app {
            return Err(ErrorCode::PkceNotAllowed);
        }
        let code_value = p.args.non_empty("code").ok_or(ErrorCode::InvalidCode)?;
        let code = self.codes.get(code_value).ok_or(ErrorCode::InvalidCode)?;
        if code.client_id != client.id
            || code.used
            || now >= code.issued_at.saturating_add(CODE_TTL)
        {
            return Err(ErrorCode::InvalidCode);
        }
        if code.user_flow != user_flow {
            return Err(ErrorCode::OauthAuthorizationUrlMismatch);
        }
        if code.challenge.is_some() && !pkce_app {
            return Err(ErrorCode::PkceNotAllowed);
        }
        let public_client = client.secret.is_none();
        if public_client && !(pkce_app && code.challenge.is_some()) {
            return Err(ErrorCode::BadClientSecret);
        }
        match (&code.challenge, verifier) {
            (None, None) => {}
            (Some(challenge), Some(v)) if valid_verifier(v) && s256(v) == *challenge => {}
            _ => return Err(ErrorCode::InvalidCodeVerifier),
        }
        let redirect = p.args.get("redirect_uri");
        match &code.redirect_sent {
            Some(sent) if redirect != Some(sent.as_str()) => return Err(ErrorCode::BadRedirectUri),
            None if redirect.is_some_and(|r| !app.config.allows_redirect(r)) => {
                return Err(ErrorCode::BadRedirectUri)
            }
            _ => {}
        }
        if user_flow {
            if code.user_scopes.is_empty() {
                return Err(ErrorCode::NoUserScopes);
            }
        } else if code.bot_scopes.is_empty() && code.user_scopes.is_empty() {
            return Err(ErrorCode::NoScopes);
        }
        if app.org_installed && code.workspace_team.is_some() {
            return Err(ErrorCode::CannotInstallAnOrgInstalledApp);
        }

        // Checks passed: the code is spent and tokens are issued.
        let org_wide = app.config.org_install && code.workspace_team.is_none();
        let rotating = app.config.token_rotation || is_custom_scheme(&code.redirect_used);
        let install = Install::of(&app.config, org_wide);
        let generation = app.generation;
        let bot_scope = code.bot_scopes.join(",");
        let user_scope = code.user_scopes.join(",");
        let webhook = code.bot_scopes.iter().any(|s| s == "incoming-webhook");
        if let Some(code) = self.codes.get_mut(code_value) {
            code.used = true;
        }
        if org_wide {
            if let Some(app) = self.apps.get_mut(&client.id) {
                app.org_installed = true;
            }
        }

        let mut out = Map::new();
        out.insert("app_id".into(), json!(install.app_id));
        let issue = |state: &mut State, kind: Kind, scope: &str, out: &mut Map<String, Value>| {
            let chain = rotating.then(|| state.next_serial());
            let token = state.issue_access(
                kind, &client.id, generation, rotating, scope, &install, chain,
            );
            out.insert("access_token".into(), json!(token));
            out.insert(
                "token_type".into(),
                json!(if kind == Kind::User { "user" } else { "bot" }),
            );
            if let Some(chain) = chain {
                let ttl = state.ttl(&client.id);
                let refresh = state.issue_refresh(
                    kind,
                    &client.id,
                    generation,
                    scope,
                    &install,
                    public_client,
                    pkce_app,
                    chain,
                    None,
                );
                out.insert("expires_in".into(), json!(ttl));
                out.insert("refresh_token".into(), json!(refresh));
            }
        };

        if user_flow {
            issue(self, Kind::User, &user_scope, &mut out);
            out.insert("scope".into(), json!(user_scope));
            out.insert(
                "authed_user".into(),
                json!({"id": install.user_id, "scope": user_scope}),
            );
        } else {
            let mut user = Map::new();
            user.insert("id".into(), json!(install.user_id));
            if !user_scope.is_empty() {
                issue(self, Kind::User, &user_scope, &mut user);
                user.insert("scope".into(), json!(user_scope));
            }
            out.insert("authed_user".into(), Value::Object(user));
            if !bot_scope.is_empty() {
                issue(self, Kind::Bot, &bot_scope, &mut out);
                out.insert("scope".into(), json!(bot_scope));
                out.insert("bot_user_id".into(), json!(install.bot_user_id));
            }
            if webhook {
                out.insert(
                    "incoming_webhook".into(),
                    json!({
                        "url": format!("https://hooks.slack.com/services/{}/B0SIM/{}",
                            install.team.as_ref().map_or("T0SIM", |t| t.0.as_str()),
                            self.mint("")),
                        "channel": "#general",
                        "channel_id": "C0SIMGENERAL",
                        "configuration_url": "https://sim.slack.com/services/B0SIM",
                    }),
                );
            }
        }
        install.write(&mut out);
        Ok(out)
    }

    pub(crate) fn refresh_grant(&mut self, p: &Parsed, client: &Client, user_flow: bool) -> Answer {
        let now = self.now;
        let value = p
            .args
            .non_empty("refresh_token")
            .ok_or(ErrorCode::InvalidRefreshToken)?;
        let rec = self
            .refresh
            .get(value)
            .ok_or(ErrorCode::InvalidRefreshToken)?;
        if rec.used {
            self.stats.refresh_token_reuse += 1;
            return Err(ErrorCode::InvalidRefreshToken);
        }
        let rec = self
            .refresh
            .get(value)
            .ok_or(ErrorCode::InvalidRefreshToken)?;
        let dead = rec.client_id != client.id
            || rec.revoked
            || !self.authorized(&rec.client_id, rec.generation)
            || rec.expires_at.is_some_and(|e| now >= e)
            || (user_flow && rec.kind != Kind::User);
        if dead {
            return Err(ErrorCode::InvalidRefreshToken);
        }
        if client.secret.is_none() && !rec.public_client {
            return Err(ErrorCode::BadClientSecret);
        }
        let (kind, scope, install, public_client, chain, generation) = (
            rec.kind,
            rec.scope.clone(),
            rec.install.clone(),
            rec.public_client,
            rec.chain,
            rec.generation,
        );
        let pkce_app = rec.expires_at.is_some();
        let parent = rec.legacy_parent.clone();
        if let Some(rec) = self.refresh.get_mut(value) {
            rec.used = true;
        }
        // Slack expires the exchanged long-lived token at the first refresh.
        if let Some(parent) = parent.and_then(|t| self.tokens.get_mut(&t)) {
            parent.expires_at = Some(parent.expires_at.map_or(now, |e| e.min(now)));
        }
        let token = self.issue_access(
            kind,
            &client.id,
            generation,
            true,
            &scope,
            &install,
            Some(chain),
        );
        let refresh = self.issue_refresh(
            kind,
            &client.id,
            generation,
            &scope,
            &install,
            public_client,
            pkce_app,
            chain,
            None,
        );
        let mut out = Map::new();
        out.insert("app_id".into(), json!(install.app_id));
        out.insert("access_token".into(), json!(token));
        out.insert(
            "token_type".into(),
            json!(if kind == Kind::User { "user" } else { "bot" }),
        );
        out.insert("scope".into(), json!(scope));
        if kind == Kind::Bot {
            out.insert("bot_user_id".into(), json!(install.bot_user_id));
        }
        out.insert("expires_in".into(), json!(self.ttl(&client.id)));
        out.insert("refresh_token".into(), json!(refresh));
        install.write(&mut out);
        Ok(out)
    }

    /// `oauth.v2.exchange`.
    pub fn exchange(&mut self, p: &Parsed) -> Answer {
        let client = client_credentials(p)?;
        let app = self
            .apps
            .get(&client.id)
            .ok_or(ErrorCode::InvalidClientId)?;
        if client.secret.as_deref() != Some(app.config.client_secret.as_str()) {
            return Err(ErrorCode::BadClientSecret);
        }
        let value = p.token().ok_or(ErrorCode::InvalidArguments)?.to_owned();
        if !app.config.token_rotation {
            return Err(ErrorCode::TokenRotationNotEnabled);
        }
        let pkce_app = app.config.pkce;
        let app_generation = app.generation;
        let Some(rec) = self.tokens.get(&value) else {
            return Err(
                if value.starts_with("xoxb-") || value.starts_with("xoxp-") {
                    ErrorCode::InvalidAuth
                } else {
                    ErrorCode::InvalidToken
                },
            );
        };
        if rec.kind == Kind::Workflow
            || rec.rotating
            || rec.client_id.as_deref() != Some(client.id.as_str())
        {
            return Err(ErrorCode::InvalidToken);
        }
        if rec.generation != app_generation {
            return Err(ErrorCode::AuthorizationNotFound);
        }
        if rec.revoked {
            return Err(ErrorCode::TokenRevoked);
        }
        if rec.exchanged {
            return Err(ErrorCode::TokenAlreadyExchanged);
        }
        let kind = rec.kind;
        let scope = rec.scope.clone();
        let install = match &rec.install {
            Some(install) => install.clone(),
            None => return Err(ErrorCode::InvalidToken),
        };
        if let Some(rec) = self.tokens.get_mut(&value) {
            rec.exchanged = true;
        }
        let chain = self.next_serial();
        let token = self.issue_access(
            kind,
            &client.id,
            app_generation,
            true,
            &scope,
            &install,
            Some(chain),
        );
        let refresh = self.issue_refresh(
            kind,
            &client.id,
            app_generation,
            &scope,
            &install,
            false,
            pkce_app,
            chain,
            Some(value),
        );
        let mut out = Map::new();
        out.insert("access_token".into(), json!(token));
        out.insert("expires_in".into(), json!(self.ttl(&client.id)));
        out.insert("refresh_token".into(), json!(refresh));
        out.insert(
            "token_type".into(),
            json!(if kind == Kind::User { "user" } else { "bot" }),
        );
        out.insert("scope".into(), json!(scope));
        if kind == Kind::Bot {
            out.insert("bot_user_id".into(), json!(install.bot_user_id));
        }
        out.insert("app_id".into(), json!(install.app_id));
        install.write(&mut out);
        Ok(out)
    }

    /// `tooling.tokens.rotate`.
    pub fn rotate(&mut self, p: &Parsed) -> Answer {
        let value = p
            .args
            .non_empty("refresh_token")
            .ok_or(ErrorCode::InvalidArguments)?;
        let rec = self
            .config_refresh
            .get(value)
            .ok_or(ErrorCode::InvalidRefreshToken)?;
        if rec.used {
            self.stats.refresh_token_reuse += 1;
            return Err(ErrorCode::InvalidRefreshToken);
        }
        if rec.revoked {
            return Err(ErrorCode::InvalidRefreshToken);
        }
        let (team_id, user_id) = (rec.team_id.clone(), rec.user_id.clone());
        // Everything that can go wrong is behind us: only now is the refresh token spent.
        let (iat, exp) = (self.now, self.now.saturating_add(TOKEN_TTL));
        let (token, refresh) = self.issue_config(&team_id, &user_id, None, None);
        if let Some(rec) = self.config_refresh.get_mut(value) {
            rec.used = true;
        }
        let mut out = Map::new();
        out.insert("token".into(), json!(token));
        out.insert("refresh_token".into(), json!(refresh));
        out.insert("team_id".into(), json!(team_id));
        out.insert("user_id".into(), json!(user_id));
        out.insert("iat".into(), json!(iat));
        out.insert("exp".into(), json!(exp));
        Ok(out)
    }

    /// Checks the bearer token of an `apps.auth.external.*` call; returns its kind and the
    /// app a workflow token is limited to.
    fn bearer(&self, p: &Parsed) -> Result<(Kind, Option<String>), ErrorCode> {
        let token = p.token().ok_or(ErrorCode::NotAuthed)?;
        if self.config_tokens.contains_key(token) {
            return Err(ErrorCode::NotAllowedTokenType);
        }
        let rec = self.live_token(token)?;
        Ok((rec.kind, rec.workflow_app.clone()))
    }

    /// `apps.auth.external.get`.
    pub fn external_get(&mut self, p: &Parsed) -> Answer {
        let (kind, limited_to) = self.bearer(p)?;
        if kind == Kind::User {
            return Err(ErrorCode::NotAllowedTokenType);
        }
        let id = p
            .args
            .non_empty("external_token_id")
            .ok_or(ErrorCode::InvalidArguments)?;
        let force = match p.args.get("force_refresh") {
            None | Some("") | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(_) => return Err(ErrorCode::InvalidArguments),
        };
        let now = self.now;
        let rec = self
            .external
            .get(id)
            .filter(|r| limited_to.as_ref().is_none_or(|app| *app == r.app_id))
            .ok_or(ErrorCode::TokenNotFound)?;
        let expired = rec.expires_at.is_some_and(|e| now >= e);
        if force || expired {
            if !rec.has_refresh_token {
                return Err(ErrorCode::NoRefreshToken);
            }
            if rec.exchange_fails {
                return Err(ErrorCode::AccessTokenExchangeFailed);
            }
            let fresh = self.mint("sim-ext-");
            let rec = self.external.get_mut(id).ok_or(ErrorCode::TokenNotFound)?;
            rec.token = fresh;
            rec.expires_at = rec.lifetime.map(|l| now.saturating_add(l));
        }
        let token = self
            .external
            .get(id)
            .map(|r| r.token.clone())
            .ok_or(ErrorCode::TokenNotFound)?;
        let mut out = Map::new();
        out.insert("external_token".into(), json!(token));
        Ok(out)
    }

    /// `apps.auth.external.delete`.
    pub fn external_delete(&mut self, p: &Parsed) -> Answer {
        let (_, limited_to) = self.bearer(p)?;
        let app_id = p.args.non_empty("app_id");
        let provider = p.args.non_empty("provider_key");
        let allowed = |app: &str| limited_to.as_deref().is_none_or(|a| a == app);
        if let Some(id) = p.args.non_empty("external_token_id") {
            let rec = self
                .external
                .get(id)
                .filter(|r| app_id.is_none_or(|a| a == r.app_id))
                .filter(|r| provider.is_none_or(|k| k == r.provider_key))
                .ok_or(ErrorCode::TokenNotFound)?;
            if !allowed(&rec.app_id) {
                return Err(ErrorCode::InvalidAuth);
            }
            self.external.remove(id);
            return Ok(Map::new());
        }
        let app_id = app_id.ok_or(ErrorCode::InvalidArgs)?;
        let known = self.providers.contains_key(app_id)
            || self.apps.values().any(|a| a.config.app_id == app_id);
        if !known {
            return Err(ErrorCode::AppNotFound);
        }
        if !allowed(app_id) {
            return Err(ErrorCode::InvalidAuth);
        }
        if let Some(key) = provider {
            let has = self
                .providers
                .get(app_id)
                .is_some_and(|keys| keys.contains(key));
            if !has {
                return Err(ErrorCode::ProvidersNotFound);
            }
        }
        let doomed: Vec<String> = self
            .external
            .iter()
            .filter(|(_, r)| r.app_id == app_id && provider.is_none_or(|k| k == r.provider_key))
            .map(|(id, _)| id.clone())
            .collect();
        if doomed.is_empty() {
            return Err(ErrorCode::NoTokensFound);
        }
        for id in doomed {
            self.external.remove(&id);
        }
        Ok(Map::new())
    }
}

/// `https://<slug>.slack.com/` for a workspace (or organization) name.
fn workspace_url(name: &str) -> String {
    let slug: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let slug = if slug.is_empty() {
        "sim".to_owned()
    } else {
        slug
    };
    format!("https://{slug}.slack.com/")
}

/// A bot user's name as Slack derives it from the app's name.
fn bot_name(app_name: &str) -> String {
    let name: String = app_name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if name.is_empty() {
        "bot".to_owned()
    } else {
        name
    }
}

impl State {
    /// The live access token record behind a bearer token, checked as every token method
    /// checks it.
    pub(crate) fn live_token(&self, token: &str) -> Result<&TokenRec, ErrorCode> {
        let rec = self.tokens.get(token).ok_or(ErrorCode::InvalidAuth)?;
        let uninstalled = rec
            .client_id
            .as_deref()
            .is_some_and(|id| !self.authorized(id, rec.generation));
        if rec.revoked || uninstalled {
            return Err(ErrorCode::TokenRevoked);
        }
        if rec.inactive {
            return Err(ErrorCode::AccountInactive);
        }
        if rec.expires_at.is_some_and(|e| self.now >= e) {
            return Err(ErrorCode::TokenExpired);
        }
        Ok(rec)
    }

    /// `auth.test`: who the token is.
    pub fn auth_test(&mut self, p: &Parsed) -> Answer {
        let token = p.token().ok_or(ErrorCode::NotAuthed)?;
        let mut out = Map::new();
        if let Some(rec) = self.config_tokens.get(token) {
            if self.now >= rec.expires_at {
                return Err(ErrorCode::TokenExpired);
            }
            out.insert("url".into(), json!(workspace_url("Sim Team")));
            out.insert("team".into(), json!("Sim Team"));
            out.insert("user".into(), json!("simuser"));
            out.insert("team_id".into(), json!(rec.team_id));
            out.insert("user_id".into(), json!(rec.user_id));
            out.insert("is_enterprise_install".into(), json!(false));
            return Ok(out);
        }
        if self.refresh.contains_key(token) || self.config_refresh.contains_key(token) {
            // A refresh token is not a bearer token.
            return Err(ErrorCode::InvalidAuth);
        }
        let rec = self.live_token(token)?;
        let Some(install) = rec.install.as_ref() else {
            // A workflow token: it acts for no installation.
            out.insert("url".into(), json!(workspace_url("Sim Team")));
            out.insert("team".into(), json!("Sim Team"));
            out.insert("user".into(), json!("workflow"));
            out.insert("team_id".into(), json!("T0SIM"));
            out.insert("user_id".into(), json!("U0SIMWORKFLOW"));
            out.insert("is_enterprise_install".into(), json!(false));
            return Ok(out);
        };
        let app = rec
            .client_id
            .as_deref()
            .and_then(|id| self.apps.get(id))
            .map(|a| &a.config);
        let (team_id, team_name) = match (&install.team, &install.enterprise) {
            (Some((id, name)), _) => (id.clone(), name.clone()),
            // An org-wide install answers for the organization.
            (None, Some((id, name))) => (id.clone(), name.clone()),
            (None, None) => ("T0SIM".to_owned(), "Sim Team".to_owned()),
        };
        out.insert("url".into(), json!(workspace_url(&team_name)));
        out.insert("team".into(), json!(team_name));
        match rec.kind {
            Kind::Bot => {
                let name = bot_name(app.map_or("Sim App", |a| a.app_name.as_str()));
                out.insert("user".into(), json!(name));
                out.insert("team_id".into(), json!(team_id));
                out.insert("user_id".into(), json!(install.bot_user_id));
                out.insert(
                    "bot_id".into(),
                    json!(app.map_or("B0SIMBOT", |a| a.bot_id.as_str())),
                );
            }
            Kind::User | Kind::Workflow => {
                out.insert("user".into(), json!("simuser"));
                out.insert("team_id".into(), json!(team_id));
                out.insert("user_id".into(), json!(install.user_id));
            }
        }
        if let Some((id, _)) = &install.enterprise {
            out.insert("enterprise_id".into(), json!(id));
        }
        out.insert("is_enterprise_install".into(), json!(install.org_wide));
        if let Some(expires_at) = rec.expires_at.filter(|_| rec.rotating) {
            out.insert(
                "expires_in".into(),
                json!(expires_at.saturating_sub(self.now)),
            );
        }
        Ok(out)
    }

    /// `auth.revoke`: revokes the calling token (`test=true`: only checks).
    pub fn auth_revoke(&mut self, p: &Parsed) -> Answer {
        let token = p.token().ok_or(ErrorCode::NotAuthed)?.to_owned();
        let test = match p.args.get("test") {
            None | Some("") | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(_) => return Err(ErrorCode::InvalidArguments),
        };
        if self.config_tokens.contains_key(&token) {
            return Err(ErrorCode::NotAllowedTokenType);
        }
        if let Some(rec) = self.refresh.get(&token) {
            if rec.used || rec.revoked || !self.authorized(&rec.client_id, rec.generation) {
                return Err(ErrorCode::InvalidAuth);
            }
        } else {
            self.live_token(&token)?;
        }
        let mut out = Map::new();
        if !test {
            self.revoke(&token);
        }
        out.insert("revoked".into(), json!(!test));
        Ok(out)
    }

    /// `apps.uninstall`: the app's client id and secret, and a token of the installation.
    pub fn apps_uninstall(&mut self, p: &Parsed) -> Answer {
        let client = client_credentials(p)?;
        let app = self
            .apps
            .get(&client.id)
            .ok_or(ErrorCode::InvalidClientId)?;
        if client.secret.as_deref() != Some(app.config.client_secret.as_str()) {
            return Err(ErrorCode::BadClientSecret);
        }
        let token = p.token().ok_or(ErrorCode::NotAuthed)?;
        let rec = self.live_token(token)?;
        if rec.client_id.as_deref() != Some(client.id.as_str()) {
            return Err(ErrorCode::InvalidAuth);
        }
        self.uninstall(&client.id);
        Ok(Map::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_vector_from_slacks_docs() {
        assert_eq!(
            s256("secretpassword"),
            "ldMBaaWcQYtSATMV_IG8mf3wp7A6EW80arYoSW80ntU"
        );
        assert!(!valid_verifier("secretpassword"));
        assert!(valid_verifier(&"a".repeat(43)));
        assert!(!valid_verifier(&"a".repeat(129)));
        assert!(!valid_verifier(&format!("{}!", "a".repeat(43))));
    }
}
