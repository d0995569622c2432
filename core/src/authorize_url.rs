//! [`AuthorizeUrl`]: the URL that sends a user's browser to Slack to install the app.
//!
//! Not an API call: the app redirects the browser there, the user approves, and Slack
//! redirects back to the app's redirect URI with `code` and `state` (see
//! [`Callback`](crate::Callback)).

use std::fmt;

use crate::base_url::BaseUrl;
use crate::errors::BuildError;
use crate::pkce::CodeChallenge;
use crate::state::State;

/// Which install flow an [`AuthorizeUrl`] starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flow {
    /// `/oauth/v2/authorize`: bot scopes in `scope`, user scopes in `user_scope`; the code is
    /// exchanged with `oauth.v2.access`.
    Install,
    /// `/oauth/v2_user/authorize`: user scopes only, sent in `scope`; the code is exchanged
    /// with `oauth.v2.user.access`.
    UserOnly,
}

impl Flow {
    /// The path of the flow's authorize page: `/oauth/v2/authorize` for
    /// [`Flow::Install`], `/oauth/v2_user/authorize` for [`Flow::UserOnly`].
    pub fn path(self) -> &'static str {
        match self {
            Flow::Install => "/oauth/v2/authorize",
            Flow::UserOnly => "/oauth/v2_user/authorize",
        }
    }
}

/// Why an authorize URL could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthorizeError {
    /// No scopes were asked for (Slack would answer `no_scopes`); the user-only flow needs
    /// at least one user scope.
    NoScopes,
    /// Bot scopes were given to the user-only flow, which has no bot.
    BotScopesInUserFlow,
    /// A scope is empty, or holds a comma, whitespace or a control character.
    InvalidScope {
        /// The scope as given (scopes are public names such as `chat:write`).
        scope: String,
    },
    /// The redirect URI is empty or has a fragment (`#`), which Slack refuses.
    InvalidRedirectUri,
}

impl fmt::Display for AuthorizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthorizeError::NoScopes => {
                f.write_str("no scopes requested: Slack would answer `no_scopes`")
            }
            AuthorizeError::BotScopesInUserFlow => {
                f.write_str("the user-only flow takes user scopes only, not bot scopes")
            }
            AuthorizeError::InvalidScope { scope } => {
                let shown: String = scope.chars().filter(|c| !c.is_control()).take(64).collect();
                write!(f, "invalid scope {shown:?}")
            }
            AuthorizeError::InvalidRedirectUri => {
                f.write_str("the redirect URI must be non-empty and have no fragment (#)")
            }
        }
    }
}

impl std::error::Error for AuthorizeError {}

/// Builds the browser URL that starts an install:
/// `https://slack.com/oauth/v2/authorize?client_id=…&scope=…&user_scope=…&redirect_uri=…&state=…&team=…&code_challenge=…&code_challenge_method=S256`.
///
/// Scopes are comma-joined in the order given, duplicates dropped. Always send a
/// [`State`]; add a PKCE challenge when the app has PKCE on.
///
/// ```
/// use slack_oauth_core::{AuthorizeUrl, authorize::{CodeVerifier, State}};
///
/// let verifier = CodeVerifier::from_random_bytes(&[1; 32])?; // real random bytes in real code
/// let state = State::from_random_bytes(&[2; 16])?;
/// let url = AuthorizeUrl::new("111.222")
///     .bot_scopes(["chat:write", "commands"])
///     .user_scopes(["search:read"])
///     .redirect_uri("https://example.com/slack/callback")
///     .state(&state)
///     .pkce(&verifier.challenge())
///     .build()?;
/// assert_eq!(
///     url,
///     "https://slack.com/oauth/v2/authorize?client_id=111.222\
///      &scope=chat:write,commands&user_scope=search:read\
///      &redirect_uri=https%3A%2F%2Fexample.com%2Fslack%2Fcallback\
///      &state=AgICAgICAgICAgICAgICAg\
///      &code_challenge=VtX6czP210fbQsI5QH5dpMMvTHnzXQkrE0_TWkAtnFw&code_challenge_method=S256"
/// );
///
/// // The user-token-only flow: user scopes go in `scope`.
/// let url = AuthorizeUrl::user_only("111.222").user_scopes(["search:read"]).build()?;
/// assert_eq!(url, "https://slack.com/oauth/v2_user/authorize?client_id=111.222&scope=search:read");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct AuthorizeUrl {
    origin: String,
    flow: Flow,
    client_id: String,
    bot_scopes: Vec<String>,
    user_scopes: Vec<String>,
    redirect_uri: Option<String>,
    state: Option<State>,
    team: Option<String>,
    challenge: Option<CodeChallenge>,
}

impl AuthorizeUrl {
    /// Slack's web origin, where `/oauth/v2/authorize` lives.
    pub const SLACK_WEB: &'static str = "https://slack.com";
    /// GovSlack's web origin.
    pub const GOV_SLACK_WEB: &'static str = "https://slack-gov.com";

    /// The bot-and-user install flow on commercial Slack for the app `client_id`.
    pub fn new(client_id: impl Into<String>) -> AuthorizeUrl {
        AuthorizeUrl {
            origin: AuthorizeUrl::SLACK_WEB.to_owned(),
            flow: Flow::Install,
            client_id: client_id.into(),
            bot_scopes: Vec::new(),
            user_scopes: Vec::new(),
            redirect_uri: None,
            state: None,
            team: None,
            challenge: None,
        }
    }

    /// The user-token-only flow (`/oauth/v2_user/authorize`) for the app `client_id`.
    pub fn user_only(client_id: impl Into<String>) -> AuthorizeUrl {
        AuthorizeUrl {
            flow: Flow::UserOnly,
            ..AuthorizeUrl::new(client_id)
        }
    }

    /// Sends the browser to GovSlack (`https://slack-gov.com`). GovSlack documents
    /// `/oauth/v2/authorize`; its user-only path is assumed to be the same as Slack's.
    pub fn gov(mut self) -> AuthorizeUrl {
        AuthorizeUrl::GOV_SLACK_WEB.clone_into(&mut self.origin);
        self
    }

    /// Sends the browser to another origin, such as the simulator's `http://127.0.0.1:PORT`;
    /// the flow's path is appended. The same rules as
    /// [`Api::with_base_url`](crate::Api::with_base_url): `https`, or `http` to a loopback host.
    pub fn with_base_url(mut self, origin: &str) -> Result<AuthorizeUrl, BuildError> {
        self.origin = BaseUrl::parse(origin)?.as_str().to_owned();
        Ok(self)
    }

    /// Adds bot scopes (`scope`), e.g. `["chat:write", "commands"]`.
    pub fn bot_scopes<I, S>(mut self, scopes: I) -> AuthorizeUrl
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        add_scopes(&mut self.bot_scopes, scopes);
        self
    }

    /// Adds user scopes (`user_scope`, or `scope` in the user-only flow), e.g. `["search:read"]`.
    pub fn user_scopes<I, S>(mut self, scopes: I) -> AuthorizeUrl
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        add_scopes(&mut self.user_scopes, scopes);
        self
    }

    /// Where Slack sends the browser back. Send the same URI to `oauth.v2.access`
    /// ([`Access::redirect_uri`](crate::oauth_v2::Access::redirect_uri)).
    pub fn redirect_uri(mut self, redirect_uri: impl Into<String>) -> AuthorizeUrl {
        self.redirect_uri = Some(redirect_uri.into());
        self
    }

    /// The `state` Slack hands back on the callback.
    pub fn state(mut self, state: &State) -> AuthorizeUrl {
        self.state = Some(state.clone());
        self
    }

    /// Pre-selects a workspace by team id.
    pub fn team(mut self, team_id: impl Into<String>) -> AuthorizeUrl {
        self.team = Some(team_id.into());
        self
    }

    /// Adds the PKCE challenge (`code_challenge`, `code_challenge_method=S256`); send the
    /// verifier with [`Access::code_verifier`](crate::oauth_v2::Access::code_verifier).
    pub fn pkce(mut self, challenge: &CodeChallenge) -> AuthorizeUrl {
        self.challenge = Some(challenge.clone());
        self
    }

    /// Which flow this URL starts.
    pub fn flow(&self) -> Flow {
        self.flow
    }

    /// Builds the URL, or says why Slack would refuse it.
    pub fn build(&self) -> Result<String, AuthorizeError> {
        for scope in self.bot_scopes.iter().chain(&self.user_scopes) {
            if !is_valid_scope(scope) {
                return Err(AuthorizeError::InvalidScope {
                    scope: scope.clone(),
                });
            }
        }
        let (scope, user_scope) = match self.flow {
            Flow::Install if self.bot_scopes.is_empty() && self.user_scopes.is_empty() => {
                return Err(AuthorizeError::NoScopes)
            }
            Flow::Install => (&self.bot_scopes, &self.user_scopes),
            Flow::UserOnly if !self.bot_scopes.is_empty() => {
                return Err(AuthorizeError::BotScopesInUserFlow)
            }
            Flow::UserOnly if self.user_scopes.is_empty() => return Err(AuthorizeError::NoScopes),
            Flow::UserOnly => (&self.user_scopes, &self.bot_scopes),
        };
        if let Some(uri) = &self.redirect_uri {
            if uri.is_empty() || uri.contains('#') {
                return Err(AuthorizeError::InvalidRedirectUri);
            }
        }

        let path = self.flow.path();
        let mut url = String::with_capacity(256);
        url.push_str(&self.origin);
        url.push_str(path);
        let mut query = Query::new(&mut url);
        query.pair("client_id", &self.client_id);
        if !scope.is_empty() {
            query.scopes("scope", scope);
        }
        if !user_scope.is_empty() {
            query.scopes("user_scope", user_scope);
        }
        if let Some(uri) = &self.redirect_uri {
            query.pair("redirect_uri", uri);
        }
        if let Some(state) = &self.state {
            query.pair("state", state.as_str());
        }
        if let Some(team) = &self.team {
            query.pair("team", team);
        }
        if let Some(challenge) = &self.challenge {
            query.pair("code_challenge", challenge.as_str());
            query.pair("code_challenge_method", CodeChallenge::METHOD);
        }
        Ok(url)
    }
}

fn add_scopes<I, S>(into: &mut Vec<String>, scopes: I)
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    for scope in scopes {
        let scope = scope.into();
        if !into.contains(&scope) {
            into.push(scope);
        }
    }
}

/// A comma would split one scope into two; whitespace and controls are never in a scope name.
fn is_valid_scope(scope: &str) -> bool {
    !scope.is_empty()
        && !scope
            .chars()
            .any(|c| c == ',' || c.is_whitespace() || c.is_control())
}

/// Appends `?name=value&…`, percent-encoding values as RFC 3986 query components.
pub(crate) struct Query<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Query<'a> {
    pub(crate) fn new(out: &'a mut String) -> Query<'a> {
        Query { out, first: true }
    }

    fn start(&mut self, name: &str) {
        self.out.push(if self.first { '?' } else { '&' });
        self.first = false;
        self.out.push_str(name);
        self.out.push('=');
    }

    pub(crate) fn pair(&mut self, name: &str, value: &str) {
        self.start(name);
        encode(self.out, value, b"");
    }

    /// Scopes keep `:` and the joining `,` readable, as Slack's own install links do; both
    /// are allowed unencoded in a query.
    pub(crate) fn scopes(&mut self, name: &str, scopes: &[String]) {
        self.start(name);
        for (i, scope) in scopes.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            encode(self.out, scope, b":");
        }
    }
}

fn encode(out: &mut String, value: &str, keep: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || keep.contains(&b)
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::CodeVerifier;

    fn query_pairs(url: &str) -> Vec<(String, String)> {
        let query = url.split_once('?').unwrap().1;
        form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn full_install_url_decodes_to_what_was_given() {
        let verifier = CodeVerifier::new("secretpassword");
        let state = State::new("st&te=1").unwrap();
        let url = AuthorizeUrl::new("1.2")
            .bot_scopes(["chat:write", "commands", "chat:write"])
            .user_scopes(vec![String::from("search:read")])
            .redirect_uri("https://example.com/cb?x=1&y=2")
            .state(&state)
            .team("T0FAKE")
            .pkce(&verifier.challenge())
            .build()
            .unwrap();
        assert!(url.starts_with("https://slack.com/oauth/v2/authorize?client_id=1.2&"));
        let pairs = query_pairs(&url);
        let expect = [
            ("client_id", "1.2"),
            ("scope", "chat:write,commands"),
            ("user_scope", "search:read"),
            ("redirect_uri", "https://example.com/cb?x=1&y=2"),
            ("state", "st&te=1"),
            ("team", "T0FAKE"),
            (
                "code_challenge",
                "ldMBaaWcQYtSATMV_IG8mf3wp7A6EW80arYoSW80ntU",
            ),
            ("code_challenge_method", "S256"),
        ];
        let expect: Vec<(String, String)> = expect
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(pairs, expect);
        assert!(!url.contains("secretpassword"));
    }

    #[test]
    fn scope_sets() {
        assert_eq!(
            AuthorizeUrl::new("1.2").build(),
            Err(AuthorizeError::NoScopes)
        );
        assert_eq!(
            AuthorizeUrl::new("1.2")
                .bot_scopes(Vec::<String>::new())
                .build(),
            Err(AuthorizeError::NoScopes)
        );
        // User scopes alone are fine in the install flow.
        let url = AuthorizeUrl::new("1.2")
            .user_scopes(["users:read"])
            .build()
            .unwrap();
        assert_eq!(
            url,
            "https://slack.com/oauth/v2/authorize?client_id=1.2&user_scope=users:read"
        );
        assert_eq!(
            AuthorizeUrl::user_only("1.2").build(),
            Err(AuthorizeError::NoScopes)
        );
        assert_eq!(
            AuthorizeUrl::user_only("1.2")
                .bot_scopes(["chat:write"])
                .user_scopes(["users:read"])
                .build(),
            Err(AuthorizeError::BotScopesInUserFlow)
        );
        for bad in ["", "a,b", "a b", "a\nb"] {
            assert_eq!(
                AuthorizeUrl::new("1.2").bot_scopes([bad]).build(),
                Err(AuthorizeError::InvalidScope { scope: bad.into() }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn user_only_flow() {
        let url = AuthorizeUrl::user_only("1.2")
            .user_scopes(["channels:history", "users:read"])
            .redirect_uri("https://example.com/cb")
            .build()
            .unwrap();
        assert_eq!(AuthorizeUrl::user_only("x").flow(), Flow::UserOnly);
        assert_eq!(
            url,
            "https://slack.com/oauth/v2_user/authorize?client_id=1.2\
             &scope=channels:history,users:read&redirect_uri=https%3A%2F%2Fexample.com%2Fcb"
        );
    }

    #[test]
    fn hosts() {
        let gov = AuthorizeUrl::new("1.2")
            .bot_scopes(["chat:write"])
            .gov()
            .build()
            .unwrap();
        assert!(gov.starts_with("https://slack-gov.com/oauth/v2/authorize?"));
        let sim = AuthorizeUrl::new("1.2")
            .with_base_url("http://127.0.0.1:4567/")
            .unwrap()
            .bot_scopes(["chat:write"])
            .build()
            .unwrap();
        assert!(sim.starts_with("http://127.0.0.1:4567/oauth/v2/authorize?client_id=1.2"));
        assert!(matches!(
            AuthorizeUrl::new("1.2").with_base_url("http://evil.example"),
            Err(BuildError::InsecureUrl { .. })
        ));
        assert!(AuthorizeUrl::new("1.2")
            .with_base_url("https://slack.com?x=1")
            .is_err());
    }

    #[test]
    fn redirect_uri_rules() {
        for bad in ["", "https://example.com/cb#frag"] {
            assert_eq!(
                AuthorizeUrl::new("1.2")
                    .bot_scopes(["a"])
                    .redirect_uri(bad)
                    .build(),
                Err(AuthorizeError::InvalidRedirectUri)
            );
        }
        // Custom schemes are for PKCE desktop apps; Slack decides whether they are allowed.
        let url = AuthorizeUrl::new("1.2")
            .user_scopes(["a"])
            .redirect_uri("myapp://cb")
            .build()
            .unwrap();
        assert!(url.ends_with("redirect_uri=myapp%3A%2F%2Fcb"));
    }

    #[test]
    fn odd_client_ids_and_teams_are_encoded() {
        let url = AuthorizeUrl::new("a&b=c")
            .bot_scopes(["x"])
            .team("T 1")
            .build()
            .unwrap();
        assert_eq!(
            query_pairs(&url)[0],
            ("client_id".to_string(), "a&b=c".to_string())
        );
        assert!(url.ends_with("team=T%201"));
    }
}
