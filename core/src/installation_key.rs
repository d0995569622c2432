//! [`InstallationKey`]: which app, Enterprise org, workspace and user a stored record is for,
//! and the store keys (strings) its bot and user records live under.

use std::fmt;

use crate::installations::Installation;
use crate::keeper::KeptToken;

/// Names what is stored: an app's installation in a workspace (or a whole Enterprise org),
/// and optionally one user of it.
///
/// Bot tokens and each user's tokens rotate on chains of their own, so each gets a record of
/// its own in the store, under these keys (`app`, `enterprise`, `team`, `user` as below):
///
/// | record | store key |
/// |---|---|
/// | the bot token | `app/enterprise/team/bot` |
/// | one user's tokens | `app/enterprise/team/user/U…` |
///
/// An absent id is empty (a workspace outside Enterprise: `A1//T1/bot`; an org-wide install:
/// `A1/E1//bot`). Ids are written `application/x-www-form-urlencoded` style, so a `/` or `%`
/// in an id cannot make two keys collide. Every record of one installation starts with
/// [`InstallationKey::prefix`] (`A1/E1/T1/`), which is how a whole installation is listed
/// and deleted (`app_uninstalled`).
///
/// ```
/// use slack_oauth_core::installation::InstallationKey;
///
/// let key = InstallationKey::new("A1").with_team("T1").with_user("U1");
/// assert_eq!(key.bot_record(), "A1//T1/bot");
/// assert_eq!(key.user_record().as_deref(), Some("A1//T1/user/U1"));
/// assert_eq!(key.prefix(), "A1//T1/");
/// assert_eq!(InstallationKey::parse("A1//T1/user/U1"), Some(key));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct InstallationKey {
    /// The app's id (`app_id`, `A…`): two apps sharing one store never collide.
    pub app: Option<String>,
    /// The Enterprise org's id (`E…`), if any.
    pub enterprise: Option<String>,
    /// The workspace's id (`T…`); `None` for an org-wide install.
    pub team: Option<String>,
    /// The user whose tokens are meant; `None` for the bot token or the whole installation.
    pub user: Option<String>,
}

impl InstallationKey {
    /// The key of `app`'s installations (add the ids with the `with_` methods).
    pub fn new(app: impl Into<String>) -> InstallationKey {
        InstallationKey {
            app: non_empty(app.into()),
            ..InstallationKey::default()
        }
    }

    /// The same key in Enterprise org `enterprise`.
    pub fn with_enterprise(mut self, enterprise: impl Into<String>) -> Self {
        self.enterprise = non_empty(enterprise.into());
        self
    }

    /// The same key in workspace `team`.
    pub fn with_team(mut self, team: impl Into<String>) -> Self {
        self.team = non_empty(team.into());
        self
    }

    /// The same key for user `user`.
    pub fn with_user(mut self, user: impl Into<String>) -> Self {
        self.user = non_empty(user.into());
        self
    }

    /// The key of `installation`, with the installing user (`authed_user.id`) as `user`.
    /// An org-wide install has no team: it serves every workspace of the org.
    pub fn of(installation: &Installation) -> InstallationKey {
        let team = if installation.is_enterprise_install {
            None
        } else {
            installation.team_id.clone()
        };
        InstallationKey {
            app: installation.app_id.clone().and_then(non_empty),
            enterprise: installation.enterprise_id.clone().and_then(non_empty),
            team: team.and_then(non_empty),
            user: installation.user_id.clone().and_then(non_empty),
        }
    }

    /// The same key without the team: where an org-wide install of the org is stored.
    pub fn org_wide(&self) -> InstallationKey {
        InstallationKey {
            team: None,
            ..self.clone()
        }
    }

    /// The same key without the user: the installation as a whole.
    pub fn without_user(&self) -> InstallationKey {
        InstallationKey {
            user: None,
            ..self.clone()
        }
    }

    /// What every store key of this installation (bot and every user) starts with.
    pub fn prefix(&self) -> String {
        let mut key = String::new();
        for part in [&self.app, &self.enterprise, &self.team] {
            if let Some(id) = part {
                key.extend(form_urlencoded::byte_serialize(id.as_bytes()));
            }
            key.push('/');
        }
        key
    }

    /// The store key of the installation's bot record.
    pub fn bot_record(&self) -> String {
        self.prefix() + "bot"
    }

    /// The store key of the user's record, if the key names a user.
    pub fn user_record(&self) -> Option<String> {
        let user = self.user.as_ref()?;
        let mut key = self.prefix() + "user/";
        key.extend(form_urlencoded::byte_serialize(user.as_bytes()));
        Some(key)
    }

    /// The store key of the record keeping `token`: the bot record, or the user's record
    /// (`None` for a key without a user, and for configuration tokens).
    pub fn record(&self, token: KeptToken) -> Option<String> {
        match token {
            KeptToken::Bot => Some(self.bot_record()),
            KeptToken::User => self.user_record(),
            KeptToken::Configuration => None,
        }
    }

    /// Reads a bot or user record's store key back (`None` for any other string).
    pub fn parse(key: &str) -> Option<InstallationKey> {
        let mut parts = key.split('/');
        let mut next = || parts.next().map(decode);
        let (app, enterprise, team) = (next()??, next()??, next()??);
        let user = match (next()??.as_deref(), next()) {
            (Some("bot"), None) => None,
            (Some("user"), Some(Some(Some(user)))) => Some(user),
            _ => return None,
        };
        if parts_left(key, user.is_some()) {
            return None;
        }
        Some(InstallationKey {
            app,
            enterprise,
            team,
            user,
        })
    }

    /// Which token a bot or user record's store key keeps.
    pub fn kept_token(key: &str) -> Option<KeptToken> {
        let parsed = InstallationKey::parse(key)?;
        Some(if parsed.user.is_some() {
            KeptToken::User
        } else {
            KeptToken::Bot
        })
    }
}

/// Whether `key` has more `/`-separated parts than a record key of its kind.
fn parts_left(key: &str, user: bool) -> bool {
    key.split('/').count() != if user { 5 } else { 4 }
}

/// One part of a store key, decoded; `Some(None)` for an empty part, `None` if malformed.
fn decode(part: &str) -> Option<Option<String>> {
    if part.is_empty() {
        return Some(None);
    }
    // byte_serialize escapes '&', '=' and '+', so a well-formed part parses as one name.
    let mut pairs = form_urlencoded::parse(part.as_bytes());
    let (name, value) = pairs.next()?;
    if !value.is_empty() || pairs.next().is_some() || part.contains('=') {
        return None;
    }
    let name = name.into_owned();
    let canonical: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
    (canonical == part).then_some(Some(name))
}

fn non_empty(id: String) -> Option<String> {
    (!id.is_empty()).then_some(id)
}

impl fmt::Display for InstallationKey {
    /// The user's record key when there is a user, else the bot record's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.user_record() {
            Some(key) => f.write_str(&key),
            None => f.write_str(&self.bot_record()),
        }
    }
}

impl Installation {
    /// The installation as its records: the bot record (the bot token, no user token) and the
    /// installing user's record (the user token, no bot token), each present if the token is.
    /// Both keep the ids and the webhook.
    pub fn split(&self) -> (Option<Installation>, Option<Installation>) {
        let bot = self.bot.as_ref().map(|_| Installation {
            user: None,
            ..self.clone()
        });
        let user = self.user.as_ref().map(|_| Installation {
            bot: None,
            ..self.clone()
        });
        (bot, user)
    }

    /// The records [`Installation::split`] makes, with their store keys: the bot record
    /// first (when there is a bot token), then the installing user's. What a keeper's
    /// `install` writes: other users' records are never among them.
    ///
    /// A user token without a user id (a hand-made installation) stays in the bot record,
    /// and an installation without tokens is one bot record, so nothing is dropped.
    pub fn records(&self) -> Vec<(String, Installation)> {
        let key = InstallationKey::of(self);
        match (self.split(), key.user_record()) {
            ((bot, Some(user)), Some(user_key)) => (bot.map(|bot| (key.bot_record(), bot)))
                .into_iter()
                .chain([(user_key, user)])
                .collect(),
            _ => vec![(key.bot_record(), self.clone())],
        }
    }

    /// Where the user token asked for under `key` lives, given the record `self` stored
    /// there: `key` itself when it holds a user token, else (a bot record) the record of
    /// the user who installed last. Keeps `user_token(key)` working for the key `install`
    /// returned.
    pub fn user_record_for(&self, key: &str) -> String {
        if self.user.is_some() {
            return key.to_owned();
        }
        let installer = (InstallationKey::parse(key))
            .filter(|parsed| parsed.user.is_none())
            .zip(self.user_id.clone())
            .and_then(|(parsed, user)| parsed.with_user(user).user_record());
        installer.unwrap_or_else(|| key.to_owned())
    }
}

/// A stored token as listed: its record's store key, which token it is and when it expires.
/// Holds no secret, so it can be printed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredToken {
    /// The record's store key.
    pub key: String,
    /// The bot or a user token.
    pub token: KeptToken,
    /// When it expires (Unix seconds); `None` for a token that does not expire.
    pub expires_at: Option<u64>,
}

impl StoredToken {
    /// The tokens of `installation`, stored under `key`.
    pub fn of(key: &str, installation: &Installation) -> Vec<StoredToken> {
        let bot = installation.bot.as_ref().map(|t| (KeptToken::Bot, t));
        let user = installation.user.as_ref().map(|t| (KeptToken::User, t));
        (bot.into_iter().chain(user))
            .map(|(token, set)| StoredToken {
                key: key.to_owned(),
                token,
                expires_at: set.expires_at,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_app_org_team_and_user() {
        let key = InstallationKey::new("A1")
            .with_enterprise("E1")
            .with_team("T1")
            .with_user("U1");
        assert_eq!(key.bot_record(), "A1/E1/T1/bot");
        assert_eq!(key.user_record().unwrap(), "A1/E1/T1/user/U1");
        assert_eq!(key.org_wide().bot_record(), "A1/E1//bot");
        assert_eq!(key.without_user().to_string(), "A1/E1/T1/bot");
        assert_eq!(key.to_string(), "A1/E1/T1/user/U1");
        // Two apps, two users: four records that never collide.
        let other_app = InstallationKey::new("A2").with_team("T1").with_user("U1");
        let other_user = key.clone().with_user("U2");
        let all = [
            key.bot_record(),
            key.user_record().unwrap(),
            other_app.bot_record(),
            other_app.user_record().unwrap(),
            other_user.user_record().unwrap(),
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert!(key.user_record().unwrap().starts_with(&key.prefix()));
        assert!(!other_app.bot_record().starts_with(&key.prefix()));
    }

    #[test]
    fn odd_ids_round_trip_and_cannot_forge_parts() {
        let key = InstallationKey::new("A/1")
            .with_team("T%1_&=+ é")
            .with_user("U/bot");
        let user = key.user_record().unwrap();
        assert_eq!(user.split('/').count(), 5, "{user}");
        assert_eq!(InstallationKey::parse(&user), Some(key.clone()));
        assert_eq!(
            InstallationKey::parse(&key.bot_record()),
            Some(key.without_user())
        );
        assert_eq!(InstallationKey::kept_token(&user), Some(KeptToken::User));
        for bad in [
            "",
            "T1",
            "T1:U1",
            "A1/E1/T1",
            "A1/E1/T1/bot/x",
            "A1/E1/T1/user",
            "A1/E1/T1/user/",
            "A1/E1/T1/admin/U1",
            "A%2/E1/T1/bot",
            "A 1//T1/bot",
            "a=b//T1/bot",
        ] {
            assert_eq!(InstallationKey::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_installation_becomes_a_bot_record_and_its_installers_record() {
        let installation: Installation = serde_json::from_str(
            r#"{"app_id":"A1","team_id":"T1","user_id":"U1",
                "bot":{"token":"xoxe.xoxb-1-B","expires_at":10},
                "user":{"token":"xoxe.xoxp-1-U","expires_at":20}}"#,
        )
        .unwrap();
        let records = installation.records();
        let keys: Vec<&str> = records.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["A1//T1/bot", "A1//T1/user/U1"]);
        let (bot, user) = (&records[0].1, &records[1].1);
        assert!(bot.bot.is_some() && bot.user.is_none());
        assert!(user.user.is_some() && user.bot.is_none());
        assert_eq!(bot.user_record_for("A1//T1/bot"), "A1//T1/user/U1");
        assert_eq!(user.user_record_for("A1//T1/user/U1"), "A1//T1/user/U1");
        let listed = StoredToken::of("A1//T1/user/U1", user);
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].token, listed[0].expires_at),
            (KeptToken::User, Some(20))
        );
        assert!(!format!("{listed:?}").contains("xoxe"));

        // A user-only install (oauth.v2.user.access) writes no bot record.
        let user_only = Installation {
            bot: None,
            ..installation.clone()
        };
        let keys: Vec<String> = user_only.records().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["A1//T1/user/U1"]);
        // A user token with no user id is kept, in the bot record.
        let anonymous = Installation {
            user_id: None,
            ..installation
        };
        let records = anonymous.records();
        assert_eq!(records.len(), 1);
        assert!(records[0].1.user.is_some());
    }

    #[test]
    fn installations_key_by_installer_and_org_wide_installs_have_no_team() {
        let mut installation: Installation = serde_json::from_str(
            r#"{"app_id":"A1","team_id":"T1","enterprise_id":"E1","user_id":"U1"}"#,
        )
        .unwrap();
        let key = InstallationKey::of(&installation);
        assert_eq!(key.user_record().unwrap(), "A1/E1/T1/user/U1");
        installation.is_enterprise_install = true;
        assert_eq!(
            InstallationKey::of(&installation).bot_record(),
            "A1/E1//bot"
        );
    }
}
