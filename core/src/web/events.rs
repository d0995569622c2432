//! Slack's Events API calls to the app's request URL: the `url_verification` handshake, and
//! the two events that tell the app to forget tokens, `app_uninstalled` and `tokens_revoked`
//! (<https://api.slack.com/events/app_uninstalled>, <https://api.slack.com/events/tokens_revoked>).

use std::fmt;

use http::{header, Response, StatusCode};
use serde::Deserialize;

use crate::web::signature::{SignatureError, Verifier};
use crate::Installation;

/// The largest event body read; Slack's event payloads are a few kilobytes.
pub const MAX_EVENT_BODY: usize = 1024 * 1024;

/// Why an Events API request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventError {
    /// The signature or timestamp did not verify: answer 401.
    Signature(SignatureError),
    /// Signed, but not an Events API payload (not JSON, no `type`, too large): answer 400.
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
}

impl EventError {
    /// The status to answer with: 401 for a bad signature, 400 for a bad payload.
    pub fn status(&self) -> StatusCode {
        match self {
            EventError::Signature(_) => StatusCode::UNAUTHORIZED,
            EventError::Malformed { .. } => StatusCode::BAD_REQUEST,
        }
    }

    /// A short plain-text answer with [`EventError::status`] (no detail an attacker could use).
    pub fn response(&self) -> Response<Vec<u8>> {
        let text: &[u8] = match self {
            EventError::Signature(_) => b"invalid signature\n",
            EventError::Malformed { .. } => b"not an Events API payload\n",
        };
        let mut response = Response::new(text.to_vec());
        *response.status_mut() = self.status();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventError::Signature(e) => write!(f, "event refused: {e}"),
            EventError::Malformed { reason } => write!(f, "malformed event: {reason}"),
        }
    }
}

impl std::error::Error for EventError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EventError::Signature(e) => Some(e),
            EventError::Malformed { .. } => None,
        }
    }
}

impl From<SignatureError> for EventError {
    fn from(e: SignatureError) -> Self {
        EventError::Signature(e)
    }
}

/// Which workspace or org an event is about, read from the envelope the way Slack's SDKs do:
/// `authorizations[0]` first, then the top-level `enterprise_id` / `team_id`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventTeam {
    /// The app the event is for (`api_app_id`).
    pub app_id: Option<String>,
    /// The workspace (`team_id`).
    pub team_id: Option<String>,
    /// The Enterprise org (`enterprise_id`).
    pub enterprise_id: Option<String>,
    /// Whether the app is installed org-wide (`authorizations[0].is_enterprise_install`).
    pub is_enterprise_install: bool,
}

impl EventTeam {
    /// The key the workspace's (or org's) installation is stored under: the same rule as
    /// [`Installation::key`] for an installation with a bot token.
    pub fn key(&self) -> Option<String> {
        let org = if self.is_enterprise_install {
            self.enterprise_id.as_deref().or(self.team_id.as_deref())
        } else {
            self.team_id.as_deref().or(self.enterprise_id.as_deref())
        };
        org.filter(|k| !k.is_empty()).map(str::to_owned)
    }

    /// The [`InstallationKey`](crate::installation::InstallationKey) of the workspace's (or org's)
    /// installation, as keepers store it: what `app_uninstalled` removes with a keeper's
    /// `uninstall`. `None` when the envelope names neither a team nor an org.
    pub fn installation_key(&self) -> Option<crate::installation::InstallationKey> {
        self.key()?;
        let mut key =
            crate::installation::InstallationKey::new(self.app_id.clone().unwrap_or_default());
        key.enterprise = self.enterprise_id.clone().filter(|id| !id.is_empty());
        if !self.is_enterprise_install {
            key.team = self.team_id.clone().filter(|id| !id.is_empty());
        }
        Some(key)
    }

    /// Whether `installation` belongs to this app (when both name one) and this workspace
    /// or org: a guard before deleting what is stored under [`EventTeam::key`].
    pub fn owns(&self, installation: &Installation) -> bool {
        let same_app = match (&self.app_id, &installation.app_id) {
            (Some(event), Some(stored)) => event == stored,
            _ => true,
        };
        same_app
            && self
                .key()
                .is_some_and(|key| installation.key().split(':').next() == Some(key.as_str()))
    }
}

/// `tokens_revoked`: the users whose user tokens and the bot users whose bot tokens died.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Revocation {
    /// The workspace or org.
    pub team: EventTeam,
    /// Users whose user (`xoxp-`) tokens were revoked (`tokens.oauth`).
    pub users: Vec<String>,
    /// Bot users whose bot (`xoxb-`) tokens were revoked (`tokens.bot`).
    pub bots: Vec<String>,
}

/// What a [`Revocation`] does to one stored installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// Nothing of it was revoked.
    Unchanged,
    /// Some of its tokens were revoked: store this instead.
    Replace(Box<Installation>),
    /// None of its tokens is left: delete it.
    Delete,
}

impl Revocation {
    /// The keys installations touched by this revocation may be stored under: the workspace
    /// (or org) key, and `key:user` for each user (user-token-only installations); then the
    /// keepers' records ([`InstallationKey`](crate::installation::InstallationKey)): the bot record and
    /// each listed user's record.
    pub fn keys(&self) -> Vec<String> {
        let Some(org) = self.team.key() else {
            return Vec::new();
        };
        let mut keys = vec![org.clone()];
        keys.extend(self.users.iter().map(|user| format!("{org}:{user}")));
        if let Some(installation) = self.team.installation_key() {
            keys.push(installation.bot_record());
            keys.extend(
                (self.users.iter())
                    .filter_map(|user| installation.clone().with_user(user).user_record()),
            );
        }
        keys
    }

    /// Applies the revocation to `installation`: drops the bot token when a bot token was
    /// revoked (an app has one bot per workspace), and the user token when its user is listed.
    pub fn apply(&self, installation: &Installation) -> Revoked {
        if !self.team.owns(installation) {
            return Revoked::Unchanged;
        }
        let mut changed = installation.clone();
        let mut touched = false;
        if !self.bots.is_empty() && changed.bot.is_some() {
            changed.bot = None;
            touched = true;
        }
        let user_listed = changed
            .user_id
            .as_ref()
            .is_some_and(|user| self.users.iter().any(|u| u == user));
        if user_listed && changed.user.is_some() {
            changed.user = None;
            touched = true;
        }
        match (touched, changed.bot.is_none() && changed.user.is_none()) {
            (false, _) => Revoked::Unchanged,
            (true, true) => Revoked::Delete,
            (true, false) => Revoked::Replace(Box::new(changed)),
        }
    }
}

/// How many seconds an event's `event_time` (Slack's clock) may lie after a stored record's
/// `installed_at` (this app's clock) and still count as older than the record: 10.
///
/// Slack delivers events late and again (it retries a delivery that failed or timed out
/// for hours: <https://api.slack.com/apis/events-api#retries>), so an `app_uninstalled` of
/// an old installation can arrive after the workspace has installed the app again. An
/// `app_uninstalled` or `tokens_revoked` never changes a record it does not predate
/// ([`Event::predates`]). The two clocks are not the same clock: when this server's clock is
/// behind Slack's, a reinstall a few seconds after an uninstall can carry an `installed_at`
/// before the uninstall's `event_time`. The tolerance gives such ties to the installation:
/// deleting a live installation breaks the app until someone installs it again, while
/// keeping a dead one costs nothing lasting (Slack refuses its revoked tokens). Servers
/// synchronised with NTP are well inside it; an uninstall within 10 seconds of the install
/// is kept, and is noticed at the first call its tokens make.
pub const LATE_EVENT_TOLERANCE: u64 = 10;

/// The header Slack sets on a redelivery: how many times it has retried (1, 2, 3).
pub const RETRY_NUM_HEADER: &str = "x-slack-retry-num";
/// The header Slack sets on a redelivery: why the last delivery failed (`http_timeout`, ...).
pub const RETRY_REASON_HEADER: &str = "x-slack-retry-reason";

/// An Events API request, verified and read: what it says ([`Payload`]) and the delivery's
/// identity (`event_id`, `event_time`, the retry headers), with which an app tells a
/// redelivery from a new event and a late event from a current one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// What the event is about.
    pub payload: Payload,
    /// Slack's `event_id` (`Ev...`): the same on every delivery of one event, so a
    /// redelivery can be recognised. `None` on payloads that have none (`url_verification`).
    pub event_id: Option<String>,
    /// Slack's `event_time` (Unix seconds, Slack's clock): when the event happened, not when
    /// it was delivered. `None` on payloads that have none.
    pub event_time: Option<u64>,
    /// `Some` when this is a redelivery (`X-Slack-Retry-Num`, `X-Slack-Retry-Reason`).
    pub retry: Option<Retry>,
}

/// A redelivery's retry headers (<https://api.slack.com/apis/events-api#retries>).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    /// `X-Slack-Retry-Num`: 1 for the first retry.
    pub num: u32,
    /// `X-Slack-Retry-Reason`, when present: `http_timeout`, `http_error`, ...
    pub reason: Option<String>,
}

impl Retry {
    /// The retry headers of `headers`, `None` when there are none (a first delivery). A
    /// `X-Slack-Retry-Num` that is not a number counts as none: the headers are not signed,
    /// so nothing depends on them.
    pub fn from_headers(headers: &http::HeaderMap) -> Option<Retry> {
        let num = headers
            .get(RETRY_NUM_HEADER)?
            .to_str()
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let reason = (headers.get(RETRY_REASON_HEADER))
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        Some(Retry { num, reason })
    }
}

/// What an Events API request says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload {
    /// Slack checks the request URL: answer with the challenge ([`Event::response`] does).
    UrlVerification {
        /// The value to echo (not a secret: it only proves the URL answers).
        challenge: String,
    },
    /// `app_uninstalled`: forget everything stored for the app in [`EventTeam::key`].
    AppUninstalled(EventTeam),
    /// `tokens_revoked`: forget the listed tokens ([`Revocation::apply`]).
    TokensRevoked(Revocation),
    /// Any other event or payload type: answered 200, left to the app.
    Other {
        /// The envelope's `type` (`event_callback`, `app_rate_limited`, ...).
        kind: String,
        /// The inner `event.type`, if any.
        event_type: Option<String>,
        /// Whose event it is.
        team: EventTeam,
    },
}

impl Event {
    /// Verifies the request's signature at `now` (Unix seconds) and reads its JSON body and
    /// retry headers.
    ///
    /// ```
    /// use slack_oauth_core::web::{Event, Payload, SigningSecret, Verifier};
    ///
    /// let verifier = Verifier::new(SigningSecret::new("e3b0c44298fc1c149afbf4c8996fb924")?);
    /// let body = br#"{"type":"event_callback","api_app_id":"A1","team_id":"T1",
    ///                 "event_id":"Ev1","event_time":1700000000,
    ///                 "event":{"type":"app_uninstalled"}}"#;
    /// let request = http::Request::post("/slack/events")
    ///     .header("x-slack-request-timestamp", "1700000000")
    ///     .header("x-slack-signature", verifier.sign(1_700_000_000, body))
    ///     .header("x-slack-retry-num", "1")
    ///     .header("x-slack-retry-reason", "http_timeout")
    ///     .body(body.to_vec())?;
    /// let event = Event::from_request(&verifier, &request, 1_700_000_001)?;
    /// let Payload::AppUninstalled(team) = &event.payload else {
    ///     panic!("not an uninstall");
    /// };
    /// assert_eq!(team.key().as_deref(), Some("T1"));
    /// assert_eq!(event.event_id.as_deref(), Some("Ev1"));
    /// assert_eq!(event.retry.map(|retry| retry.num), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_request<B: AsRef<[u8]>>(
        verifier: &Verifier,
        request: &http::Request<B>,
        now: u64,
    ) -> Result<Event, EventError> {
        let body = request.body().as_ref();
        if body.len() > MAX_EVENT_BODY {
            return Err(EventError::Malformed {
                reason: "the body is larger than 1 MiB",
            });
        }
        verifier.verify_parts(request.headers(), body, now)?;
        let mut event = Event::parse(body)?;
        event.retry = Retry::from_headers(request.headers());
        Ok(event)
    }

    /// Reads an Events API body whose signature was already verified (no retry headers).
    pub fn parse(body: &[u8]) -> Result<Event, EventError> {
        let envelope: Envelope =
            serde_json::from_slice(body).map_err(|_| EventError::Malformed {
                reason: "the body is not an Events API JSON object",
            })?;
        let first = envelope
            .authorizations
            .into_iter()
            .next()
            .unwrap_or_default();
        let team = EventTeam {
            app_id: envelope.api_app_id,
            team_id: first.team_id.or(envelope.team_id),
            enterprise_id: first.enterprise_id.or(envelope.enterprise_id),
            is_enterprise_install: first
                .is_enterprise_install
                .or(envelope.is_enterprise_install)
                .unwrap_or(false),
        };
        let event_type = envelope.event.as_ref().and_then(|e| e.kind.clone());
        let payload = match (envelope.kind.as_str(), event_type.as_deref()) {
            ("url_verification", _) => Payload::UrlVerification {
                challenge: envelope.challenge.ok_or(EventError::Malformed {
                    reason: "url_verification without a challenge",
                })?,
            },
            ("event_callback", Some("app_uninstalled")) => Payload::AppUninstalled(team),
            ("event_callback", Some("tokens_revoked")) => {
                let tokens = envelope.event.and_then(|e| e.tokens).unwrap_or_default();
                Payload::TokensRevoked(Revocation {
                    team,
                    users: tokens.oauth,
                    bots: tokens.bot,
                })
            }
            (kind, _) => Payload::Other {
                kind: kind.to_owned(),
                event_type,
                team,
            },
        };
        Ok(Event {
            payload,
            event_id: envelope.event_id,
            event_time: envelope.event_time,
            retry: None,
        })
    }

    /// Whether this event happened before `record` was installed, so it must not change it:
    /// its `event_time` is earlier than the record's `installed_at` plus
    /// [`LATE_EVENT_TOLERANCE`]. An event without an `event_time` predates nothing (Slack
    /// sets it on every `event_callback`).
    pub fn predates(&self, record: &Installation) -> bool {
        self.event_time
            .is_some_and(|time| time < record.installed_at.saturating_add(LATE_EVENT_TOLERANCE))
    }

    /// The answer Slack expects, to send at once: the challenge as plain text for
    /// `url_verification`, an empty 200 for everything else (also events the app does not
    /// handle, late ones and redeliveries, so Slack does not retry them).
    pub fn response(&self) -> Response<Vec<u8>> {
        let body = match &self.payload {
            Payload::UrlVerification { challenge } => challenge.clone().into_bytes(),
            _ => Vec::new(),
        };
        let mut response = Response::new(body);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    challenge: Option<String>,
    #[serde(default)]
    api_app_id: Option<String>,
    #[serde(default)]
    team_id: Option<String>,
    #[serde(default)]
    enterprise_id: Option<String>,
    #[serde(default)]
    is_enterprise_install: Option<bool>,
    #[serde(default)]
    authorizations: Vec<Authorization>,
    #[serde(default)]
    event_id: Option<String>,
    #[serde(default)]
    event_time: Option<u64>,
    #[serde(default)]
    event: Option<InnerEvent>,
}

#[derive(Deserialize, Default)]
struct Authorization {
    #[serde(default)]
    team_id: Option<String>,
    #[serde(default)]
    enterprise_id: Option<String>,
    #[serde(default)]
    is_enterprise_install: Option<bool>,
}

#[derive(Deserialize)]
struct InnerEvent {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    tokens: Option<Tokens>,
}

#[derive(Deserialize, Default)]
struct Tokens {
    #[serde(default)]
    oauth: Vec<String>,
    #[serde(default)]
    bot: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth_v2::AccessResponse;

    const NOW: u64 = 1_700_000_000;

    fn verifier() -> Verifier {
        Verifier::new(crate::web::SigningSecret::new("e3b0c44298fc1c149afbf4c8996fb924").unwrap())
    }

    fn signed(body: &str, timestamp: u64) -> http::Request<Vec<u8>> {
        http::Request::post("/slack/events")
            .header("x-slack-request-timestamp", timestamp.to_string())
            .header(
                "x-slack-signature",
                verifier().sign(timestamp, body.as_bytes()),
            )
            .body(body.as_bytes().to_vec())
            .unwrap()
    }

    fn installation(json: &str) -> Installation {
        let answer: AccessResponse = serde_json::from_str(json).unwrap();
        Installation::from_access(answer, NOW).unwrap()
    }

    fn team_install() -> Installation {
        installation(
            r#"{"app_id":"A1","access_token":"xoxb-1","token_type":"bot","bot_user_id":"UBOT",
               "team":{"id":"T1","name":"Team"},"enterprise":null,
               "authed_user":{"id":"U1","access_token":"xoxp-1","token_type":"user"}}"#,
        )
    }

    #[test]
    fn url_verification_echoes_the_challenge() {
        let body = r#"{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#;
        let event = Event::from_request(&verifier(), &signed(body, NOW), NOW).unwrap();
        let response = event.response();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.body(),
            b"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
        );
        let missing = r#"{"type":"url_verification"}"#;
        assert!(matches!(
            Event::from_request(&verifier(), &signed(missing, NOW), NOW),
            Err(EventError::Malformed { .. })
        ));
    }

    #[test]
    fn app_uninstalled_names_the_workspace_or_org() {
        let body = r#"{"token":"XXYYZZ","team_id":"T1","api_app_id":"A1","event":{"type":"app_uninstalled"},"type":"event_callback","event_id":"Ev1","event_time":1234567890}"#;
        let Payload::AppUninstalled(team) =
            Event::from_request(&verifier(), &signed(body, NOW), NOW)
                .unwrap()
                .payload
        else {
            panic!("not app_uninstalled");
        };
        assert_eq!(team.key().as_deref(), Some("T1"));
        assert!(team.owns(&team_install()));
        let other_app = EventTeam {
            app_id: Some("A2".into()),
            ..team.clone()
        };
        assert!(!other_app.owns(&team_install()));
        let other_team = EventTeam {
            team_id: Some("T2".into()),
            ..team
        };
        assert!(!other_team.owns(&team_install()));

        // An org-wide install is keyed by the enterprise.
        let org = r#"{"type":"event_callback","api_app_id":"A1","team_id":"T9","enterprise_id":"E1",
            "authorizations":[{"enterprise_id":"E1","team_id":null,"user_id":"U1","is_bot":true,"is_enterprise_install":true}],
            "event":{"type":"app_uninstalled"}}"#;
        let Payload::AppUninstalled(team) = Event::parse(org.as_bytes()).unwrap().payload else {
            panic!("not app_uninstalled");
        };
        assert_eq!(team.key().as_deref(), Some("E1"));
        assert!(team.is_enterprise_install);
        assert_eq!(
            Event::parse(org.as_bytes()).unwrap().response().status(),
            200
        );
    }

    #[test]
    fn the_delivery_is_identified_and_dated() {
        let body = r#"{"type":"event_callback","api_app_id":"A1","team_id":"T1","event_id":"Ev0PV52K25",
            "event_time":1700000100,"event":{"type":"app_uninstalled"}}"#;
        let first = Event::from_request(&verifier(), &signed(body, NOW), NOW).unwrap();
        assert_eq!(first.event_id.as_deref(), Some("Ev0PV52K25"));
        assert_eq!(first.event_time, Some(1_700_000_100));
        assert_eq!(first.retry, None);

        let mut retried = signed(body, NOW);
        let headers = retried.headers_mut();
        headers.insert(RETRY_NUM_HEADER, "2".parse().unwrap());
        headers.insert(RETRY_REASON_HEADER, "http_timeout".parse().unwrap());
        let again = Event::from_request(&verifier(), &retried, NOW).unwrap();
        let retry = Retry {
            num: 2,
            reason: Some("http_timeout".into()),
        };
        assert_eq!(again.retry, Some(retry));
        assert_eq!(
            (again.payload, again.event_id),
            (first.payload, first.event_id)
        );

        // The retry headers are not signed: nonsense in them is no retry, not an error.
        let mut nonsense = signed(body, NOW);
        nonsense
            .headers_mut()
            .insert(RETRY_NUM_HEADER, "many".parse().unwrap());
        let read = Event::from_request(&verifier(), &nonsense, NOW).unwrap();
        assert_eq!(read.retry, None);
        // An event_time that is not Unix seconds is a malformed payload.
        let bad =
            r#"{"type":"event_callback","event_time":"soon","event":{"type":"app_uninstalled"}}"#;
        assert_eq!(Event::parse(bad.as_bytes()).unwrap_err().status(), 400);
    }

    #[test]
    fn an_event_predates_a_record_installed_after_it_with_a_tolerance() {
        let record = team_install();
        let at = |time: Option<u64>| Event {
            event_time: time,
            ..Event::parse(br#"{"type":"event_callback","event":{"type":"app_uninstalled"}}"#)
                .unwrap()
        };
        assert!(at(Some(NOW - 3600)).predates(&record));
        assert!(at(Some(NOW)).predates(&record));
        assert!(at(Some(NOW + LATE_EVENT_TOLERANCE - 1)).predates(&record));
        assert!(!at(Some(NOW + LATE_EVENT_TOLERANCE)).predates(&record));
        // Undated: nothing to judge by, so it is taken as current.
        assert!(!at(None).predates(&record));
        let far = Installation {
            installed_at: u64::MAX,
            ..record
        };
        assert!(at(Some(NOW)).predates(&far));
    }

    #[test]
    fn tokens_revoked_drops_what_was_revoked() {
        let bots = r#"{"type":"event_callback","api_app_id":"A1","team_id":"T1",
            "event":{"type":"tokens_revoked","tokens":{"bot":["UBOT"]}}}"#;
        let Payload::TokensRevoked(revocation) = Event::parse(bots.as_bytes()).unwrap().payload
        else {
            panic!("not tokens_revoked");
        };
        assert_eq!(revocation.keys(), ["T1", "A1//T1/bot"]);
        let Revoked::Replace(left) = revocation.apply(&team_install()) else {
            panic!("the user token stays");
        };
        assert!(left.bot.is_none());
        assert!(left.user.is_some());

        let both = r#"{"type":"event_callback","api_app_id":"A1","team_id":"T1",
            "event":{"type":"tokens_revoked","tokens":{"oauth":["U1","U7"],"bot":["UBOT"]}}}"#;
        let Payload::TokensRevoked(revocation) = Event::parse(both.as_bytes()).unwrap().payload
        else {
            panic!("not tokens_revoked");
        };
        assert_eq!(
            revocation.keys(),
            [
                "T1",
                "T1:U1",
                "T1:U7",
                "A1//T1/bot",
                "A1//T1/user/U1",
                "A1//T1/user/U7"
            ]
        );
        // Each record of a keeper goes as its own tokens are revoked.
        for (key, record) in team_install().records() {
            assert!(revocation.keys().contains(&key), "{key}");
            assert_eq!(revocation.apply(&record), Revoked::Delete, "{key}");
        }
        assert_eq!(revocation.apply(&team_install()), Revoked::Delete);

        let other_user = r#"{"type":"event_callback","team_id":"T1",
            "event":{"type":"tokens_revoked","tokens":{"oauth":["U7"]}}}"#;
        let Payload::TokensRevoked(revocation) =
            Event::parse(other_user.as_bytes()).unwrap().payload
        else {
            panic!("not tokens_revoked");
        };
        assert_eq!(revocation.apply(&team_install()), Revoked::Unchanged);

        // A user-only installation under T1:U7 goes when U7's token is revoked.
        let user_only = installation(
            r#"{"app_id":"A1","access_token":"xoxp-7","token_type":"user","team":{"id":"T1"},
               "enterprise":null,"authed_user":{"id":"U7"}}"#,
        );
        assert_eq!(user_only.key(), "T1:U7");
        assert_eq!(revocation.apply(&user_only), Revoked::Delete);

        // Another workspace's installation is never touched.
        let elsewhere = r#"{"type":"event_callback","team_id":"T2",
            "event":{"type":"tokens_revoked","tokens":{"oauth":["U1"],"bot":["UBOT"]}}}"#;
        let Payload::TokensRevoked(revocation) =
            Event::parse(elsewhere.as_bytes()).unwrap().payload
        else {
            panic!("not tokens_revoked");
        };
        assert_eq!(revocation.apply(&team_install()), Revoked::Unchanged);
    }

    #[test]
    fn other_events_are_left_to_the_app() {
        let body = r#"{"type":"event_callback","team_id":"T1","event":{"type":"app_mention","text":"hi"}}"#;
        let event = Event::parse(body.as_bytes()).unwrap();
        assert_eq!(
            event.payload,
            Payload::Other {
                kind: "event_callback".into(),
                event_type: Some("app_mention".into()),
                team: EventTeam {
                    team_id: Some("T1".into()),
                    ..EventTeam::default()
                },
            }
        );
        assert_eq!(event.response().status(), 200);
        assert!(event.response().body().is_empty());
        let rate = Event::parse(br#"{"type":"app_rate_limited","minute_rate_limited":1}"#).unwrap();
        assert!(matches!(
            rate.payload,
            Payload::Other {
                event_type: None,
                ..
            }
        ));
    }

    #[test]
    fn bad_requests_never_panic() {
        let v = verifier();
        for body in [
            "",
            "null",
            "[]",
            "{}",
            "<html>",
            r#"{"type":5}"#,
            "\u{FFFD}",
        ] {
            let err = Event::from_request(&v, &signed(body, NOW), NOW).unwrap_err();
            assert_eq!(err.status(), 400, "{body:?}");
        }
        let invalid_utf8 = http::Request::post("/")
            .header("x-slack-request-timestamp", NOW.to_string())
            .header("x-slack-signature", v.sign(NOW, &[0xFF, 0xFE]))
            .body(vec![0xFF, 0xFE])
            .unwrap();
        assert_eq!(
            Event::from_request(&v, &invalid_utf8, NOW)
                .unwrap_err()
                .status(),
            400
        );
        // Unsigned, stale, or signed with another secret: 401 before the body is read.
        let body = r#"{"type":"event_callback","team_id":"T1","event":{"type":"app_uninstalled"}}"#;
        let stale = Event::from_request(&v, &signed(body, NOW - 301), NOW).unwrap_err();
        assert_eq!(stale.status(), 401);
        assert_eq!(stale.response().status(), 401);
        let other = Verifier::new(
            crate::web::SigningSecret::new("0123456789abcdef0123456789abcdef").unwrap(),
        );
        assert_eq!(
            Event::from_request(&other, &signed(body, NOW), NOW)
                .unwrap_err()
                .status(),
            401
        );
        let unsigned = http::Request::post("/")
            .body(body.as_bytes().to_vec())
            .unwrap();
        assert_eq!(
            Event::from_request(&v, &unsigned, NOW).unwrap_err(),
            EventError::Signature(SignatureError::MissingTimestamp)
        );
        let huge = "x".repeat(MAX_EVENT_BODY + 1);
        assert_eq!(
            Event::from_request(&v, &signed(&huge, NOW), NOW)
                .unwrap_err()
                .status(),
            400
        );
    }
}
