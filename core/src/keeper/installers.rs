//! [`InstallerCache`]: which user record the user token asked for under a bot record's key lives
//! in, remembered so that a fresh user token asked for that way needs no store round trip.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use crate::installation_key::InstallationKey;
use crate::installations::Installation;
use crate::keeper::{KeptToken, Renewable};

/// Bot record keys and the record key of the user who installed last
/// ([`Installation::user_record_for`]), each remembered until the bot token's refresh margin
/// begins: the bot record is trusted as long as a keeper's token cache would trust its
/// token, and forgotten with it ([`InstallerCache::invalidate`]).
///
/// A keeper's `user_token(key)` asks [`InstallerCache::user_record`] first, and loads the bot
/// record (and tells [`InstallerCache::learn`]) only when that says nothing. Holds no secret.
#[derive(Default)]
pub(crate) struct InstallerCache {
    entries: Mutex<HashMap<String, (String, u64)>>,
}

impl InstallerCache {
    /// Nothing remembered.
    pub(crate) fn new() -> InstallerCache {
        InstallerCache::default()
    }

    /// The record holding the user token asked for under `key` at `now`, when known without
    /// a load: `key` itself unless it is a bot record's key, else the installer's record
    /// remembered for it. `None`: load the record under `key` and hand it to
    /// [`InstallerCache::learn`].
    pub(crate) fn user_record<'k>(&self, key: &'k str, now: u64) -> Option<Cow<'k, str>> {
        if let Some((record, until)) = self.entries().get(key) {
            return (now < *until).then(|| Cow::Owned(record.clone()));
        }
        let bot = InstallationKey::kept_token(key) == Some(KeptToken::Bot);
        (!bot).then_some(Cow::Borrowed(key))
    }

    /// The record holding the user token asked for under the bot record's key `key`, given
    /// what is `stored` there at `now` ([`Installation::user_record_for`]); remembered while
    /// the bot token is not due (refresh `margin` seconds before expiry). Nothing stored:
    /// `key` itself, whose look-up then says [`KeeperError::NotFound`](crate::keeper::KeeperError::NotFound).
    pub(crate) fn learn(
        &self,
        key: &str,
        stored: Option<&Installation>,
        margin: u64,
        now: u64,
    ) -> String {
        let Some(stored) = stored else {
            return key.to_owned();
        };
        let user = stored.user_record_for(key);
        let until = stored.fresh_until(KeptToken::Bot, margin);
        if now < until {
            let entry = (user.clone(), until);
            self.entries().insert(key.to_owned(), entry);
        }
        user
    }

    /// Forgets what was learnt from the record under `key` (it was saved, deleted or
    /// invalidated): the next look-up loads it again.
    pub(crate) fn invalidate(&self, key: &str) {
        self.entries().remove(key);
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, (String, u64)>> {
        // Changed only by single inserts and removes: usable after a panic elsewhere.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for InstallerCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known = self.entries().len();
        f.debug_struct("InstallerCache")
            .field("known", &known)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryStore, Store};

    const NOW: u64 = 1_700_000_000;

    fn installed() -> MemoryStore<Installation> {
        let installation: Installation = serde_json::from_str(
            r#"{"app_id":"A1","team_id":"T1","user_id":"U1",
                "bot":{"token":"xoxe.xoxb-1-B","expires_at":1700043200,"issued_at":1700000000},
                "user":{"token":"xoxe.xoxp-1-U","expires_at":1700043200}}"#,
        )
        .unwrap();
        let store = MemoryStore::new();
        for (key, record) in installation.records() {
            store.put(&key, &record).unwrap();
        }
        store
    }

    fn stored(store: &MemoryStore<Installation>, key: &str) -> Option<Installation> {
        store.load(key).unwrap().map(|record| record.value)
    }

    #[test]
    fn a_bot_key_is_resolved_once_while_its_token_is_fresh() {
        let (store, installers) = (installed(), InstallerCache::new());
        let margin = Installation::DEFAULT_REFRESH_MARGIN;
        // Any key that is not a bot record's is its own answer, without a load.
        for own in ["A1//T1/user/U1", "T1"] {
            assert_eq!(installers.user_record(own, NOW).as_deref(), Some(own));
        }
        let bot = "A1//T1/bot";
        assert_eq!(installers.user_record(bot, NOW), None);
        let learnt = installers.learn(bot, stored(&store, bot).as_ref(), margin, NOW);
        assert_eq!(learnt, "A1//T1/user/U1");
        let due = NOW + 43_200 - margin;
        let known = installers.user_record(bot, due - 1);
        assert_eq!(known.as_deref(), Some("A1//T1/user/U1"));
        // From the bot token's margin on, or once told, the bot record is read again.
        assert_eq!(installers.user_record(bot, due), None);
        installers.invalidate(bot);
        assert_eq!(installers.user_record(bot, NOW), None);
        assert!(format!("{installers:?}").contains("known: 0"));
    }

    #[test]
    fn nothing_stored_or_a_due_bot_token_is_not_remembered() {
        let (store, installers) = (installed(), InstallerCache::new());
        let margin = Installation::DEFAULT_REFRESH_MARGIN;
        let missing = installers.learn("A1//T9/bot", None, margin, NOW);
        assert_eq!(missing, "A1//T9/bot");
        assert_eq!(installers.user_record("A1//T9/bot", NOW), None);
        let due = NOW + 43_200 - 60;
        let bot = stored(&store, "A1//T1/bot");
        let learnt = installers.learn("A1//T1/bot", bot.as_ref(), margin, due);
        assert_eq!(learnt, "A1//T1/user/U1");
        assert_eq!(installers.user_record("A1//T1/bot", due), None);
    }
}
