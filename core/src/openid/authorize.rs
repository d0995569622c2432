//! The Sign in with Slack authorize URL and the nonce it carries.

use std::fmt;

use crate::authorize::AuthorizeError;
use crate::authorize_url::Query;
use crate::base_url::BaseUrl;
use crate::error::BuildError;
use crate::pkce::CodeChallenge;
use crate::state::{constant_time_eq, State, StateError};

/// A Sign in with Slack scope. `openid` is always asked for; `profile` and `email` add the
/// claims named after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scope {
    /// `openid`: who the user is (`sub`, user and team ids). Always sent.
    OpenId,
    /// `profile`: name, picture, workspace name and domain.
    Profile,
    /// `email`: the email address and whether it is verified.
    Email,
}

impl Scope {
    /// The scope as Slack writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::OpenId => "openid",
            Scope::Profile => "profile",
            Scope::Email => "email",
        }
    }

    /// Reads `openid`, `profile` or `email`.
    pub fn parse(scope: &str) -> Option<Scope> {
        match scope {
            "openid" => Some(Scope::OpenId),
            "profile" => Some(Scope::Profile),
            "email" => Some(Scope::Email),
            _ => None,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `nonce` sent to the authorize page and expected back in the `id_token`: it ties the
/// token to this sign-in, so a token captured from another one is refused.
///
/// Draw it from a secure random source for every sign-in, keep it with the `state` (in the
/// browser's session), and hand it to [`Verifier::verify`](super::Verifier::verify).
/// `Debug` hides it; comparing is constant-time ([`Nonce::matches`]).
///
/// ```
/// use slack_oauth_core::openid::Nonce;
/// let nonce = Nonce::from_random_bytes(&[7; 16])?; // real random bytes in real code
/// assert_eq!(nonce.as_str(), "BwcHBwcHBwcHBwcHBwcHBw");
/// assert!(nonce.matches("BwcHBwcHBwcHBwcHBwcHBw"));
/// assert_eq!(format!("{nonce:?}"), "Nonce(<redacted>)");
/// # Ok::<(), slack_oauth_core::authorize::StateError>(())
/// ```
#[derive(Clone)]
pub struct Nonce(State);

impl Nonce {
    /// A nonce from `bytes` drawn by the caller from a secure random source (16 to 64 bytes),
    /// base64url-encoded.
    pub fn from_random_bytes(bytes: &[u8]) -> Result<Nonce, StateError> {
        State::from_random_bytes(bytes).map(Nonce)
    }

    /// A nonce the app made itself: 1 to [`State::MAX_LEN`] visible ASCII characters.
    pub fn new(value: impl Into<String>) -> Result<Nonce, StateError> {
        State::new(value).map(Nonce)
    }

    /// The value, for the authorize URL and the app's session.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether `received` equals this nonce; constant-time in the content.
    pub fn matches(&self, received: &str) -> bool {
        constant_time_eq(self.as_str().as_bytes(), received.as_bytes())
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nonce(<redacted>)")
    }
}

/// Builds the browser URL that starts Sign in with Slack:
/// `https://slack.com/openid/connect/authorize?response_type=code&scope=openid,…&client_id=…&state=…&team=…&nonce=…&redirect_uri=…`.
///
/// Scopes are comma-joined, as Slack's own SDKs send them (Slack's guide shows spaces; both
/// name the same scopes), `openid` first. Always send a [`State`] and a [`Nonce`]. Sign in
/// with Slack scopes cannot be mixed with other scopes: install the app with
/// [`crate::AuthorizeUrl`] in a flow of its own.
///
/// ```
/// use slack_oauth_core::authorize::State;
/// use slack_oauth_core::openid::{AuthorizeUrl, Nonce, Scope};
///
/// let state = State::from_random_bytes(&[2; 16])?; // real random bytes in real code
/// let nonce = Nonce::from_random_bytes(&[3; 16])?;
/// let url = AuthorizeUrl::new("111.222")
///     .scopes([Scope::Profile, Scope::Email])
///     .redirect_uri("https://example.com/slack/login/callback")
///     .state(&state)
///     .nonce(&nonce)
///     .build()?;
/// assert_eq!(
///     url,
///     "https://slack.com/openid/connect/authorize?response_type=code\
///      &scope=openid,profile,email&client_id=111.222&state=AgICAgICAgICAgICAgICAg\
///      &nonce=AwMDAwMDAwMDAwMDAwMDAw\
///      &redirect_uri=https%3A%2F%2Fexample.com%2Fslack%2Flogin%2Fcallback"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct AuthorizeUrl {
    origin: String,
    client_id: String,
    scopes: Vec<Scope>,
    redirect_uri: Option<String>,
    state: Option<State>,
    nonce: Option<Nonce>,
    team: Option<String>,
    challenge: Option<CodeChallenge>,
}

impl AuthorizeUrl {
    /// The path of the authorize page.
    pub const PATH: &'static str = "/openid/connect/authorize";

    /// Sign in with Slack on commercial Slack for the app `client_id`, scope `openid`.
    pub fn new(client_id: impl Into<String>) -> AuthorizeUrl {
        AuthorizeUrl {
            origin: crate::AuthorizeUrl::SLACK_WEB.to_owned(),
            client_id: client_id.into(),
            scopes: vec![Scope::OpenId],
            redirect_uri: None,
            state: None,
            nonce: None,
            team: None,
            challenge: None,
        }
    }

    /// Sends the browser to GovSlack (`https://slack-gov.com`). GovSlack's copy of the Sign in
    /// with Slack guide describes the same flow; the path is assumed to be Slack's.
    pub fn gov(mut self) -> AuthorizeUrl {
        crate::AuthorizeUrl::GOV_SLACK_WEB.clone_into(&mut self.origin);
        self
    }

    /// Sends the browser to another origin, such as the simulator's `http://127.0.0.1:PORT`;
    /// [`AuthorizeUrl::PATH`] is appended. `https`, or `http` to a loopback host
    /// ([`BaseUrl`]'s rule).
    pub fn with_base_url(mut self, origin: &str) -> Result<AuthorizeUrl, BuildError> {
        self.origin = BaseUrl::parse(origin)?.as_str().to_owned();
        Ok(self)
    }

    /// Adds scopes besides `openid` (duplicates are dropped).
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = Scope>) -> AuthorizeUrl {
        for scope in scopes {
            if !self.scopes.contains(&scope) {
                self.scopes.push(scope);
            }
        }
        self
    }

    /// Where Slack sends the browser back; send the same URI to
    /// [`Token::redirect_uri`](super::Token::redirect_uri).
    pub fn redirect_uri(mut self, redirect_uri: impl Into<String>) -> AuthorizeUrl {
        self.redirect_uri = Some(redirect_uri.into());
        self
    }

    /// The `state` Slack hands back on the callback.
    pub fn state(mut self, state: &State) -> AuthorizeUrl {
        self.state = Some(state.clone());
        self
    }

    /// The `nonce` Slack puts in the `id_token`.
    pub fn nonce(mut self, nonce: &Nonce) -> AuthorizeUrl {
        self.nonce = Some(nonce.clone());
        self
    }

    /// Suggests a workspace by team id. Only a hint: it applies when the browser is already
    /// signed in to that workspace, so check the `team_id` claim.
    pub fn team(mut self, team_id: impl Into<String>) -> AuthorizeUrl {
        self.team = Some(team_id.into());
        self
    }

    /// Adds a PKCE challenge (`code_challenge`, `code_challenge_method=S256`); send the
    /// verifier with [`Token::code_verifier`](super::Token::code_verifier). Slack documents
    /// PKCE for `/oauth/v2/authorize` only; whether this page honours it is not confirmed.
    pub fn pkce(mut self, challenge: &CodeChallenge) -> AuthorizeUrl {
        self.challenge = Some(challenge.clone());
        self
    }

    /// Builds the URL, or says why Slack would refuse it.
    pub fn build(&self) -> Result<String, AuthorizeError> {
        if let Some(uri) = &self.redirect_uri {
            if uri.is_empty() || uri.contains('#') {
                return Err(AuthorizeError::InvalidRedirectUri);
            }
        }
        let scopes: Vec<String> = self.scopes.iter().map(|s| s.as_str().to_owned()).collect();
        let mut url = String::with_capacity(256);
        url.push_str(&self.origin);
        url.push_str(AuthorizeUrl::PATH);
        let mut query = Query::new(&mut url);
        query.pair("response_type", "code");
        query.scopes("scope", &scopes);
        query.pair("client_id", &self.client_id);
        if let Some(state) = &self.state {
            query.pair("state", state.as_str());
        }
        if let Some(team) = &self.team {
            query.pair("team", team);
        }
        if let Some(nonce) = &self.nonce {
            query.pair("nonce", nonce.as_str());
        }
        if let Some(uri) = &self.redirect_uri {
            query.pair("redirect_uri", uri);
        }
        if let Some(challenge) = &self.challenge {
            query.pair("code_challenge", challenge.as_str());
            query.pair("code_challenge_method", CodeChallenge::METHOD);
        }
        Ok(url)
    }
}
