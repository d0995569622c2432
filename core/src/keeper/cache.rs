//! [`TokenCache`]: tokens known fresh, kept in the process so that a call for a token that is not
//! due needs no store round trip.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use foldhash::fast::RandomState;

use crate::keeper::{look, KeeperError, KeptToken, Renewable, Settings};
use crate::store_traits::Record;

/// What the lock-free first look of a keeper call found ([`TokenCache::first_look`]).
pub(crate) enum FirstLook<R: Renewable> {
    /// The stored token is not due: use it.
    Fresh(R::Token),
    /// The token is due: the record as loaded, for the run under the key's lock to start
    /// from ([`Machine::start_from`](crate::keeper::Machine::start_from)).
    Due(Record<R>),
}

/// Fresh tokens by key, each valid until its refresh margin begins (on the caller's clock).
///
/// A token stays cached after another process replaced the stored value (a reinstall
/// elsewhere) until its margin begins; a keeper's `invalidate` forgets it when the app learns
/// of such a change (`app_uninstalled`, `tokens_revoked`, a reinstall). Holds tokens: `Debug`
/// shows only how many.
pub(crate) struct TokenCache<R: Renewable> {
    entries: Mutex<Entries<R>>,
}

/// Each key's tokens, one slot per [`KeptToken`], with the time (Unix seconds) until which
/// each may be handed out. Keyed by the key alone so that a look-up borrows the caller's
/// `&str` instead of building an owned key on the fresh path. Hashed with foldhash rather
/// than std's SipHash: the look-up is most of a fresh-token call, and SipHash's protection
/// against chosen keys buys little for keys that name installations this app stored itself.
type Entries<R> = HashMap<String, [Option<(<R as Renewable>::Token, u64)>; 3], RandomState>;

/// The slot of `token` in an entry.
fn slot(token: KeptToken) -> usize {
    match token {
        KeptToken::Bot => 0,
        KeptToken::User => 1,
        KeptToken::Configuration => 2,
    }
}

impl<R: Renewable> TokenCache<R> {
    /// An empty cache.
    pub(crate) fn new() -> TokenCache<R> {
        TokenCache {
            entries: Mutex::new(HashMap::default()),
        }
    }

    /// The cached `token` of `key`, while `now` is before its refresh margin.
    pub(crate) fn get(&self, key: &str, token: KeptToken, now: u64) -> Option<R::Token> {
        let entries = self.entries();
        let (cached, until) = entries.get(key)?[slot(token)].as_ref()?;
        (now < *until).then(|| cached.clone())
    }

    /// The lock-free first look of a keeper call, as [`check`](crate::keeper::check), that
    /// also remembers a fresh token, and hands back the loaded record when the token is due,
    /// so that the run under the key's lock can start from it instead of loading it again:
    /// an uncontended refresh then costs a load, the lease and the write-back.
    pub(crate) fn first_look<E>(
        &self,
        loaded: Result<Option<Record<R>>, E>,
        settings: &Settings,
        key: &str,
        token: KeptToken,
        now: u64,
    ) -> Result<FirstLook<R>, KeeperError>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let (record, fresh) = match look(loaded, settings, key, token, now) {
            Err(missing @ KeeperError::NotFound { .. }) => {
                self.invalidate(key);
                return Err(missing);
            }
            looked => looked?,
        };
        let Some(fresh) = fresh else {
            return Ok(FirstLook::Due(record));
        };
        let until = record.value.fresh_until(token, settings.margin);
        if now < until {
            let entry = (fresh.clone(), until);
            let mut entries = self.entries();
            match entries.get_mut(key) {
                Some(slots) => slots[slot(token)] = Some(entry),
                None => {
                    let mut slots = [None, None, None];
                    slots[slot(token)] = Some(entry);
                    entries.insert(key.to_owned(), slots);
                }
            }
        }
        Ok(FirstLook::Fresh(fresh))
    }

    /// Forgets the tokens of `key`: the next call reads the store.
    pub(crate) fn invalidate(&self, key: &str) {
        self.entries().remove(key);
    }

    fn entries(&self) -> MutexGuard<'_, Entries<R>> {
        // Changed only by single inserts and removes: usable after a panic elsewhere.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<R: Renewable> fmt::Debug for TokenCache<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field(
                "tokens",
                &self.entries().values().flatten().flatten().count(),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccessToken, Installation, MemoryStore, Store};

    const NOW: u64 = 1_700_000_000;

    /// The first look's fresh token, as the keeper's `check` gives it.
    fn check<E: std::error::Error + Send + Sync + 'static>(
        cache: &TokenCache<Installation>,
        loaded: Result<Option<Record<Installation>>, E>,
        settings: &Settings,
        key: &str,
        token: KeptToken,
        now: u64,
    ) -> Result<Option<AccessToken>, KeeperError> {
        let look = cache.first_look(loaded, settings, key, token, now)?;
        Ok(match look {
            FirstLook::Fresh(token) => Some(token),
            FirstLook::Due(_) => None,
        })
    }

    fn stored() -> MemoryStore<Installation> {
        let answer = serde_json::from_str(
            r#"{"access_token":"xoxe.xoxb-1-A","token_type":"bot","expires_in":43200,
            "refresh_token":"xoxe-1-R","team":{"id":"T1"}}"#,
        )
        .unwrap();
        let store = MemoryStore::new();
        store
            .put("T1", &Installation::from_access(answer, NOW).unwrap())
            .unwrap();
        store
    }

    #[test]
    fn fresh_tokens_are_kept_until_their_margin_begins() {
        let (store, cache, settings) = (stored(), TokenCache::new(), Settings::new("w"));
        assert!(cache.get("T1", KeptToken::Bot, NOW).is_none());
        let fresh = check(
            &cache,
            store.load("T1"),
            &settings,
            "T1",
            KeptToken::Bot,
            NOW,
        );
        assert_eq!(fresh.unwrap().unwrap().expose(), "xoxe.xoxb-1-A");
        // The store no longer matters while the token is not due...
        store.delete("T1").unwrap();
        let margin_begins = NOW + 43_200 - Installation::DEFAULT_REFRESH_MARGIN;
        let hit = cache.get("T1", KeptToken::Bot, margin_begins - 1);
        assert_eq!(hit.unwrap().expose(), "xoxe.xoxb-1-A");
        // ...and is read again once it is, or once told.
        assert!(cache.get("T1", KeptToken::Bot, margin_begins).is_none());
        assert!(cache.get("T1", KeptToken::User, NOW).is_none());
        cache.invalidate("T1");
        assert!(cache.get("T1", KeptToken::Bot, NOW).is_none());
        assert!(format!("{cache:?}").contains("tokens: 0"));
    }

    #[test]
    fn due_or_missing_tokens_are_not_kept() {
        let (store, cache, settings) = (stored(), TokenCache::new(), Settings::new("w"));
        let due = NOW + 43_200 - 60;
        let checked = check(
            &cache,
            store.load("T1"),
            &settings,
            "T1",
            KeptToken::Bot,
            due,
        );
        assert!(checked.unwrap().is_none(), "due: the machine must run");
        assert!(cache.get("T1", KeptToken::Bot, NOW).is_none());
        let missing = check(
            &cache,
            store.load("T2"),
            &settings,
            "T2",
            KeptToken::Bot,
            NOW,
        );
        assert!(matches!(missing, Err(KeeperError::NotFound { .. })));
        let wrong = check(
            &cache,
            store.load("T1"),
            &settings,
            "T1",
            KeptToken::Configuration,
            NOW,
        );
        assert!(matches!(wrong, Err(KeeperError::WrongToken { .. })));
    }
}
