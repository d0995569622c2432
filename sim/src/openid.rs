//! Sign in with Slack's Web API methods, `openid.connect.token` and `openid.connect.userInfo`,
//! as far as the simulator plays them today: it has no `/openid/connect/authorize` page yet,
//! so it issues no OpenID code and no token with the `openid` scope, and answers as Slack does
//! for the codes and tokens it does issue.

use slack_oauth_core::ErrorCode;

use crate::methods::{client_credentials, Answer};
use crate::request::Parsed;
use crate::state::State;

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
