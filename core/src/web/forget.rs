//! [`Forget`]: what `app_uninstalled` and `tokens_revoked` delete from a store, as the store
//! operations a web adapter performs one at a time, so every adapter forgets the same things.
//!
//! Two layouts are covered: a keeper's records (`APP/ENTERPRISE/TEAM/bot` and
//! `APP/ENTERPRISE/TEAM/user/USER`, see [`InstallationKey`]) and an installation stored whole
//! under its short key ([`Installation::key`]: `TEAM`, `ENTERPRISE`, `TEAM:USER`), which is
//! only deleted or changed once loaded and found to belong to the event's app and workspace.
//!
//! Every record is loaded before it is deleted or changed, and is left alone when the event
//! does not predate it ([`Event::predates`], [`LATE_EVENT_TOLERANCE`]): a late redelivery of an
//! old workspace's `app_uninstalled` never deletes the installation made since. Each step is
//! safe to repeat, so a redelivered event changes nothing the second time.

use std::collections::VecDeque;

use crate::web::events::{Event, EventTeam, Payload, Revocation, Revoked};
#[cfg(doc)]
use crate::{installation::InstallationKey, web::events::LATE_EVENT_TOLERANCE};
use crate::{keeper::KeeperError, Installation};

/// One store operation a [`Forget`] asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForgetStep {
    /// List the keys starting with this prefix ([`InstallationKey::prefix`]: the bot record
    /// and every user's record of this app's installation) and hand them back with
    /// [`Forget::listed`]; each is then loaded, and deleted if the event predates it.
    List(String),
    /// Load what is stored under this key and hand it back with [`Forget::loaded`] (or
    /// [`Forget::found`]) before asking for the next step.
    Load(String),
    /// Delete what is stored under this key: it was loaded, belongs to the event's app and
    /// workspace, was installed before the event, and none of its tokens is left.
    Delete(String),
    /// Store this installation under this key instead of what was loaded: some of its tokens
    /// were revoked, the others stay.
    Save(String, Box<Installation>),
}

/// Which rule decides what a loaded installation becomes.
#[derive(Debug, Clone)]
enum Rule {
    /// `app_uninstalled`: delete it if the event's app and workspace own it.
    Uninstalled(EventTeam),
    /// `tokens_revoked`: [`Revocation::apply`].
    Revoked(Revocation),
}

/// What an event makes the app forget, as a small machine its adapter drives: take each
/// [`ForgetStep`] from [`Forget::next_step`] and perform it on the store; answer each
/// [`ForgetStep::List`] with [`Forget::listed`] and each [`ForgetStep::Load`] with
/// [`Forget::loaded`]. A store error stops the run: answer Slack with a 500 and it delivers
/// the event again (every step is safe to repeat). [`Forget::kept`] then names the records
/// left alone because they are newer than the event (worth a log line).
///
/// ```
/// use slack_oauth_core::web::{Event, ForgetStep};
///
/// let body = br#"{"type":"event_callback","api_app_id":"A1","team_id":"T1",
///                 "event_time":1700000000,"event":{"type":"app_uninstalled"}}"#;
/// let mut forget = Event::parse(body)?.forget();
/// assert_eq!(forget.next_step(), Some(ForgetStep::List("A1//T1/".into())));
/// forget.listed(Vec::new()); // no keeper's records of that installation
/// assert_eq!(forget.next_step(), Some(ForgetStep::Load("T1".into())));
/// forget.found(None); // nothing stored whole under the workspace's short key
/// assert_eq!(forget.next_step(), None);
/// assert!(forget.kept().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Forget {
    steps: VecDeque<ForgetStep>,
    rule: Option<Rule>,
    /// The event itself, to judge whether it predates what is loaded.
    event: Event,
    /// The key of the [`ForgetStep::Load`] handed out last, until its answer comes.
    loading: Option<String>,
    /// Whether the [`ForgetStep::List`] handed out last awaits its answer.
    listing: bool,
    /// Records left alone because they were installed after the event.
    kept: Vec<String>,
}

impl Event {
    /// The store operations this event calls for: for `app_uninstalled`, the keeper's records
    /// of the app's installation in the workspace (or org), then the installation stored whole
    /// under the workspace's short key if the app and workspace own it; for `tokens_revoked`,
    /// each key [`Revocation::keys`] names, changed as [`Revocation::apply`] says; for any
    /// other event, nothing. A record the event does not predate ([`Event::predates`]) is
    /// never deleted or changed.
    pub fn forget(&self) -> Forget {
        let mut steps = VecDeque::new();
        let rule = match &self.payload {
            Payload::AppUninstalled(team) => {
                steps.extend((team.installation_key()).map(|key| ForgetStep::List(key.prefix())));
                steps.extend(team.key().map(ForgetStep::Load));
                Some(Rule::Uninstalled(team.clone()))
            }
            Payload::TokensRevoked(revocation) => {
                steps.extend(revocation.keys().into_iter().map(ForgetStep::Load));
                Some(Rule::Revoked(revocation.clone()))
            }
            _ => None,
        };
        Forget {
            steps,
            rule,
            event: self.clone(),
            loading: None,
            listing: false,
            kept: Vec::new(),
        }
    }
}

impl Forget {
    /// The next store operation to perform, `None` once everything is done. A
    /// [`ForgetStep::Load`] not answered before this is asked again counts as nothing
    /// stored there, so nothing unverified is ever deleted.
    pub fn next_step(&mut self) -> Option<ForgetStep> {
        self.loading = None;
        self.listing = false;
        let step = self.steps.pop_front()?;
        match &step {
            ForgetStep::Load(key) => self.loading = Some(key.clone()),
            ForgetStep::List(_) => self.listing = true,
            _ => {}
        }
        Some(step)
    }

    /// Hands back the keys the last [`ForgetStep::List`] found; each is loaded next. Keys
    /// outside the listed prefix are ignored, and so is an answer with no list pending.
    pub fn listed(&mut self, keys: Vec<String>) {
        if !std::mem::take(&mut self.listing) {
            return;
        }
        let prefix = match &self.rule {
            Some(Rule::Uninstalled(team)) => team.installation_key().map(|key| key.prefix()),
            _ => None,
        };
        let Some(prefix) = prefix else { return };
        let loads = (keys.into_iter().rev())
            .filter(|key| key.starts_with(&prefix))
            .map(ForgetStep::Load);
        for load in loads {
            self.steps.push_front(load);
        }
    }

    /// The keys of the records left alone because they were installed after the event
    /// happened (a late or redelivered event): the adapter may log them.
    pub fn kept(&self) -> &[String] {
        &self.kept
    }

    /// Hands back a keeper's answer to the last [`ForgetStep::Load`]: `NotFound` is nothing
    /// stored there; any other error is returned (stop, and answer Slack with a 500).
    pub fn loaded(&mut self, loaded: Result<Installation, KeeperError>) -> Result<(), KeeperError> {
        match loaded {
            Ok(stored) => self.found(Some(stored)),
            Err(KeeperError::NotFound { .. }) => self.found(None),
            Err(e) => {
                self.loading = None;
                return Err(e);
            }
        }
        Ok(())
    }

    /// Hands back what the last [`ForgetStep::Load`] found (`None`: nothing), read from a
    /// store directly; the next step is then what becomes of it, if anything.
    pub fn found(&mut self, stored: Option<Installation>) {
        let (Some(key), Some(stored)) = (self.loading.take(), stored) else {
            return;
        };
        let verdict = match &self.rule {
            Some(Rule::Uninstalled(team)) if team.owns(&stored) => Revoked::Delete,
            Some(Rule::Revoked(revocation)) => revocation.apply(&stored),
            _ => Revoked::Unchanged,
        };
        if verdict != Revoked::Unchanged && self.event.predates(&stored) {
            // Installed after the event happened: a reinstall the late event knows nothing of.
            self.kept.push(key);
            return;
        }
        match verdict {
            Revoked::Delete => self.steps.push_front(ForgetStep::Delete(key)),
            Revoked::Replace(left) => self.steps.push_front(ForgetStep::Save(key, left)),
            Revoked::Unchanged => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth_v2::AccessResponse;
    use crate::web::LATE_EVENT_TOLERANCE;
    use crate::Store;
    use crate::{installation::InstallationKey, MemoryStore};

    const NOW: u64 = 1_700_000_000;

    fn installation(json: &str) -> Installation {
        let answer: AccessResponse = serde_json::from_str(json).unwrap();
        Installation::from_access(answer, NOW).unwrap()
    }

    /// App A1 in workspace T1: bot token and installer U1's user token.
    fn team_install() -> Installation {
        installation(
            r#"{"app_id":"A1","access_token":"xoxb-1","token_type":"bot","bot_user_id":"UBOT",
               "team":{"id":"T1","name":"Team"},"enterprise":null,
               "authed_user":{"id":"U1","access_token":"xoxp-1","token_type":"user"}}"#,
        )
    }

    fn event(json: &str) -> Event {
        Event::parse(json.as_bytes()).unwrap()
    }

    fn uninstalled(team: &str) -> Event {
        event(&format!(
            r#"{{"type":"event_callback","api_app_id":"A1","team_id":"{team}",
                "event":{{"type":"app_uninstalled"}}}}"#
        ))
    }

    /// Performs every step on `store` the way an adapter does, and returns the steps.
    fn drive(event: &Event, store: &MemoryStore<Installation>) -> Vec<ForgetStep> {
        let mut forget = event.forget();
        let mut steps = Vec::new();
        while let Some(step) = forget.next_step() {
            match &step {
                ForgetStep::List(prefix) => forget.listed(store.keys(prefix).unwrap()),
                ForgetStep::Load(key) => forget.found(store.load(key).unwrap().map(|r| r.value)),
                ForgetStep::Delete(key) => assert!(store.delete(key).unwrap(), "{key}"),
                ForgetStep::Save(key, value) => drop(store.put(key, value).unwrap()),
            }
            steps.push(step);
        }
        steps
    }

    fn stored(store: &MemoryStore<Installation>) -> Vec<String> {
        store.keys("").unwrap()
    }

    /// The keeper's records of `installation`, plus another workspace's, in one store.
    fn records_with_neighbour() -> MemoryStore<Installation> {
        let store = MemoryStore::new();
        let neighbour = installation(
            r#"{"app_id":"A1","access_token":"xoxb-2","token_type":"bot","team":{"id":"T2"},
               "enterprise":null,"authed_user":{"id":"U2"}}"#,
        );
        for (key, record) in team_install()
            .records()
            .into_iter()
            .chain(neighbour.records())
        {
            store.put(&key, &record).unwrap();
        }
        store
    }

    #[test]
    fn app_uninstalled_deletes_the_keepers_records_of_that_workspace_only() {
        let store = records_with_neighbour();
        assert_eq!(
            stored(&store),
            ["A1//T1/bot", "A1//T1/user/U1", "A1//T2/bot"]
        );
        let steps = drive(&uninstalled("T1"), &store);
        let records = InstallationKey::new("A1").with_team("T1");
        assert_eq!(
            steps,
            [
                ForgetStep::List(records.prefix()),
                ForgetStep::Load("A1//T1/bot".into()),
                ForgetStep::Delete("A1//T1/bot".into()),
                ForgetStep::Load("A1//T1/user/U1".into()),
                ForgetStep::Delete("A1//T1/user/U1".into()),
                ForgetStep::Load("T1".into()),
            ]
        );
        assert_eq!(stored(&store), ["A1//T2/bot"]);
    }

    /// `app_uninstalled` of A1 in T1, as it happened at `time` (Slack's clock).
    fn uninstalled_at(time: u64) -> Event {
        event(&format!(
            r#"{{"type":"event_callback","api_app_id":"A1","team_id":"T1","event_id":"Ev1",
                "event_time":{time},"event":{{"type":"app_uninstalled"}}}}"#
        ))
    }

    #[test]
    fn a_late_app_uninstalled_deletes_nothing_installed_after_it() {
        // Installed at NOW, as keeper records and whole; the uninstall happened an hour
        // before (the old installation's, delivered late).
        let store = records_with_neighbour();
        store.put("T1", &team_install()).unwrap();
        let before = stored(&store);
        let mut forget = uninstalled_at(NOW - 3600).forget();
        let mut deleted = Vec::new();
        while let Some(step) = forget.next_step() {
            match step {
                ForgetStep::List(prefix) => forget.listed(store.keys(&prefix).unwrap()),
                ForgetStep::Load(key) => forget.found(store.load(&key).unwrap().map(|r| r.value)),
                other => deleted.push(other),
            }
        }
        assert_eq!(deleted, []);
        assert_eq!(forget.kept(), ["A1//T1/bot", "A1//T1/user/U1", "T1"]);
        assert_eq!(stored(&store), before);

        // Clock skew: up to LATE_EVENT_TOLERANCE seconds after the install, the install wins.
        drive(&uninstalled_at(NOW + LATE_EVENT_TOLERANCE - 1), &store);
        assert_eq!(stored(&store), before);
        // Later than that, the uninstall is of this installation: everything of T1 goes.
        drive(&uninstalled_at(NOW + LATE_EVENT_TOLERANCE), &store);
        assert_eq!(stored(&store), ["A1//T2/bot"]);
    }

    #[test]
    fn a_late_app_uninstalled_deletes_the_records_older_than_it_only() {
        // U2 authorised long ago; the workspace reinstalled at NOW (bot and U1's records).
        let store = records_with_neighbour();
        let old = Installation::from_access(
            serde_json::from_str(
                r#"{"app_id":"A1","access_token":"xoxb-0","token_type":"bot","team":{"id":"T1"},
                   "enterprise":null,
                   "authed_user":{"id":"U2","access_token":"xoxp-2","token_type":"user"}}"#,
            )
            .unwrap(),
            NOW - 7200,
        )
        .unwrap();
        let (_, user) = old.split();
        store.put("A1//T1/user/U2", &user.unwrap()).unwrap();
        let mut forget = uninstalled_at(NOW - 3600).forget();
        while let Some(step) = forget.next_step() {
            match step {
                ForgetStep::List(prefix) => forget.listed(store.keys(&prefix).unwrap()),
                ForgetStep::Load(key) => forget.found(store.load(&key).unwrap().map(|r| r.value)),
                ForgetStep::Delete(key) => assert!(store.delete(&key).unwrap()),
                ForgetStep::Save(..) => panic!("an uninstall saves nothing"),
            }
        }
        assert_eq!(forget.kept(), ["A1//T1/bot", "A1//T1/user/U1"]);
        assert_eq!(
            stored(&store),
            ["A1//T1/bot", "A1//T1/user/U1", "A1//T2/bot"]
        );
    }

    #[test]
    fn a_late_tokens_revoked_keeps_the_new_tokens() {
        let store = records_with_neighbour();
        store.put("T1", &team_install()).unwrap();
        let before: Vec<_> = (stored(&store).iter())
            .map(|key| store.load(key).unwrap().unwrap().value)
            .collect();
        let revoked = |time: u64| {
            event(&format!(
                r#"{{"type":"event_callback","api_app_id":"A1","team_id":"T1","event_time":{time},
                    "event":{{"type":"tokens_revoked","tokens":{{"oauth":["U1"],"bot":["UBOT"]}}}}}}"#
            ))
        };
        let steps = drive(&revoked(NOW - 3600), &store);
        assert!(
            steps.iter().all(|s| matches!(s, ForgetStep::Load(_))),
            "{steps:?}"
        );
        let after: Vec<_> = (stored(&store).iter())
            .map(|key| store.load(key).unwrap().unwrap().value)
            .collect();
        assert_eq!(after, before);
        // The same revocation once the tokens are this installation's: all of T1 goes.
        drive(&revoked(NOW + 60), &store);
        assert_eq!(stored(&store), ["A1//T2/bot"]);
    }

    #[test]
    fn a_redelivered_event_changes_nothing_the_second_time() {
        let store = records_with_neighbour();
        store.put("T1", &team_install()).unwrap();
        let uninstall = uninstalled_at(NOW + 3600);
        let first = drive(&uninstall, &store);
        assert!(first.iter().any(|s| matches!(s, ForgetStep::Delete(_))));
        let left = stored(&store);
        assert_eq!(left, ["A1//T2/bot"]);
        // The redelivery (same event_id, a retry header): only looks, finds nothing of T1.
        let mut again = uninstall.clone();
        again.retry = Some(crate::web::Retry {
            num: 1,
            reason: Some("http_timeout".into()),
        });
        let second = drive(&again, &store);
        assert_eq!(
            second,
            [
                ForgetStep::List("A1//T1/".into()),
                ForgetStep::Load("T1".into())
            ]
        );
        assert_eq!(stored(&store), left);
    }

    #[test]
    fn app_uninstalled_deletes_a_whole_installation_only_if_the_app_and_team_own_it() {
        let store = MemoryStore::new();
        store.put("T1", &team_install()).unwrap();
        // Stored under another workspace's short key: loaded, found foreign, left alone.
        store.put("T2", &team_install()).unwrap();
        let steps = drive(&uninstalled("T2"), &store);
        assert_eq!(steps.last(), Some(&ForgetStep::Load("T2".into())));
        assert_eq!(stored(&store), ["T1", "T2"]);

        // Another app's uninstall never deletes this app's installation.
        let other_app = event(
            r#"{"type":"event_callback","api_app_id":"A2","team_id":"T1",
                "event":{"type":"app_uninstalled"}}"#,
        );
        drive(&other_app, &store);
        assert_eq!(stored(&store), ["T1", "T2"]);

        let steps = drive(&uninstalled("T1"), &store);
        assert_eq!(steps.last(), Some(&ForgetStep::Delete("T1".into())));
        assert_eq!(stored(&store), ["T2"]);
        // Delivered again (Slack retries): nothing left to delete, nothing fails.
        let steps = drive(&uninstalled("T1"), &store);
        assert_eq!(steps.last(), Some(&ForgetStep::Load("T1".into())));
    }

    #[test]
    fn app_uninstalled_org_wide_forgets_the_org_install_not_its_workspaces() {
        let org = installation(
            r#"{"app_id":"A1","access_token":"xoxb-9","token_type":"bot","team":null,
               "enterprise":{"id":"E1"},"is_enterprise_install":true,
               "authed_user":{"id":"U1","access_token":"xoxp-9","token_type":"user"}}"#,
        );
        let workspace = installation(
            r#"{"app_id":"A1","access_token":"xoxb-3","token_type":"bot","team":{"id":"T3"},
               "enterprise":{"id":"E1"},"authed_user":{"id":"U3"}}"#,
        );
        let store = MemoryStore::new();
        for (key, record) in org.records().into_iter().chain(workspace.records()) {
            store.put(&key, &record).unwrap();
        }
        store.put(&org.key(), &org).unwrap();
        assert_eq!(org.key(), "E1");
        let event = event(
            r#"{"type":"event_callback","api_app_id":"A1","team_id":"T9","enterprise_id":"E1",
                "authorizations":[{"enterprise_id":"E1","team_id":null,"is_enterprise_install":true}],
                "event":{"type":"app_uninstalled"}}"#,
        );
        let steps = drive(&event, &store);
        assert_eq!(
            steps,
            [
                ForgetStep::List(InstallationKey::new("A1").with_enterprise("E1").prefix()),
                ForgetStep::Load("A1/E1//bot".into()),
                ForgetStep::Delete("A1/E1//bot".into()),
                ForgetStep::Load("A1/E1//user/U1".into()),
                ForgetStep::Delete("A1/E1//user/U1".into()),
                ForgetStep::Load("E1".into()),
                ForgetStep::Delete("E1".into()),
            ]
        );
        assert_eq!(stored(&store), ["A1/E1/T3/bot"]);
    }

    #[test]
    fn tokens_revoked_for_the_bot_keeps_the_users() {
        let store = records_with_neighbour();
        store.put("T1", &team_install()).unwrap();
        let bot = event(
            r#"{"type":"event_callback","api_app_id":"A1","team_id":"T1",
                "event":{"type":"tokens_revoked","tokens":{"bot":["UBOT"]}}}"#,
        );
        drive(&bot, &store);
        assert_eq!(stored(&store), ["A1//T1/user/U1", "A1//T2/bot", "T1"]);
        // The whole installation loses its bot token and keeps the user's.
        let left = store.load("T1").unwrap().unwrap().value;
        assert!(left.bot.is_none());
        assert!(left.user.is_some());
        // Delivered again: the installation has no bot token left to drop, so it stays.
        let steps = drive(&bot, &store);
        assert!(
            steps.iter().all(|s| matches!(s, ForgetStep::Load(_))),
            "{steps:?}"
        );
    }

    #[test]
    fn tokens_revoked_for_users_drops_theirs() {
        let store = records_with_neighbour();
        let user_only = installation(
            r#"{"app_id":"A1","access_token":"xoxp-7","token_type":"user","team":{"id":"T1"},
               "enterprise":null,"authed_user":{"id":"U7"}}"#,
        );
        store.put(&user_only.key(), &user_only).unwrap();
        let users = event(
            r#"{"type":"event_callback","api_app_id":"A1","team_id":"T1",
                "event":{"type":"tokens_revoked","tokens":{"oauth":["U1","U7"]}}}"#,
        );
        let steps = drive(&users, &store);
        assert!(steps.contains(&ForgetStep::Delete("A1//T1/user/U1".into())));
        assert!(steps.contains(&ForgetStep::Delete("T1:U7".into())));
        // The bot record (no user token in it) is loaded, and stays as it was.
        assert!(steps.contains(&ForgetStep::Load("A1//T1/bot".into())));
        let bot = store.load("A1//T1/bot").unwrap().unwrap().value;
        assert_eq!(bot, team_install().split().0.unwrap());
        assert_eq!(stored(&store), ["A1//T1/bot", "A1//T2/bot"]);

        // Both at once: nothing of T1 is left.
        let both = event(
            r#"{"type":"event_callback","api_app_id":"A1","team_id":"T1",
                "event":{"type":"tokens_revoked","tokens":{"oauth":["U1"],"bot":["UBOT"]}}}"#,
        );
        let store = records_with_neighbour();
        drive(&both, &store);
        assert_eq!(stored(&store), ["A1//T2/bot"]);
    }

    #[test]
    fn other_events_touch_nothing() {
        let store = records_with_neighbour();
        for body in [
            r#"{"type":"event_callback","api_app_id":"A1","team_id":"T1","event":{"type":"app_mention"}}"#,
            r#"{"type":"url_verification","challenge":"c"}"#,
            r#"{"type":"app_rate_limited","team_id":"T1","minute_rate_limited":1}"#,
            // No workspace or org named: nothing can be matched, so nothing is asked.
            r#"{"type":"event_callback","event":{"type":"app_uninstalled"}}"#,
            r#"{"type":"event_callback","event":{"type":"tokens_revoked","tokens":{"bot":["B"]}}}"#,
        ] {
            assert_eq!(event(body).forget().next_step(), None, "{body}");
        }
        assert_eq!(stored(&store).len(), 3);
    }

    #[test]
    fn a_store_error_stops_and_an_unanswered_load_deletes_nothing() {
        let mut forget = uninstalled("T1").forget();
        assert!(matches!(forget.next_step(), Some(ForgetStep::List(_))));
        assert_eq!(forget.next_step(), Some(ForgetStep::Load("T1".into())));
        let failed = forget.loaded(Err(KeeperError::Busy { key: "T1".into() }));
        assert!(
            matches!(failed, Err(KeeperError::Busy { .. })),
            "{failed:?}"
        );
        // A keeper's NotFound is nothing stored; an answer with no Load pending is ignored.
        let mut forget = uninstalled("T1").forget();
        forget.next_step();
        forget.loaded(Ok(team_install())).unwrap();
        forget.next_step();
        let missing = forget.loaded(Err(KeeperError::NotFound { key: "T1".into() }));
        assert!(missing.is_ok(), "{missing:?}");
        assert_eq!(forget.next_step(), None);

        // The owned installation under T1, but its Load was never answered: not deleted.
        let mut forget = uninstalled("T1").forget();
        forget.next_step();
        forget.next_step();
        assert_eq!(forget.next_step(), None);
        forget.found(Some(team_install()));
        assert_eq!(forget.next_step(), None);
    }

    #[test]
    fn debug_shows_no_token() {
        let mut forget = event(
            r#"{"type":"event_callback","api_app_id":"A1","team_id":"T1",
                "event":{"type":"tokens_revoked","tokens":{"bot":["UBOT"]}}}"#,
        )
        .forget();
        assert_eq!(forget.next_step(), Some(ForgetStep::Load("T1".into())));
        forget.found(Some(team_install()));
        let save = forget.clone().next_step().unwrap();
        assert!(matches!(save, ForgetStep::Save(..)));
        for shown in [format!("{forget:?}"), format!("{save:?}")] {
            assert!(
                !shown.contains("xoxp-1") && !shown.contains("xoxb-1"),
                "{shown}"
            );
        }
    }
}
