//! [`Errand`]: a keeper call about an installation's records (install, look up, list, delete)
//! as a small state machine the keeper drives, so that which records it touches is decided
//! here once, without I/O, and the keepers of both modes only perform the [`Ask`]s.

use std::borrow::Cow;

use crate::installation_key::{InstallationKey, StoredToken};
use crate::installations::{Installation, TokenType};
use crate::keeper::installers::InstallerCache;
use crate::keeper::{KeeperError, KeptToken};
use crate::secrets::AccessToken;
use crate::store_traits::Record;

/// What an [`Errand`] asks its keeper to do next.
#[derive(Debug)]
pub(crate) enum Ask<'a, T> {
    /// The keeper's own `get(key, token)` (its cache, its refresh): answer [`Answer::Got`].
    Get(&'a str, KeptToken),
    /// Load the record under the key, as it is: answer [`Answer::loaded`].
    Load(&'a str),
    /// List the store keys starting with the prefix: answer [`Answer::listed`].
    List(&'a str),
    /// The keeper's `save(key, record)`: answer [`Answer::Saved`].
    Save(&'a str, &'a Installation),
    /// The keeper's `delete(key)`: answer [`Answer::Deleted`].
    Delete(&'a str),
    /// The errand is over: hand this to the caller.
    Done(Result<T, KeeperError>),
}

/// What came of an [`Ask`], handed back with [`Errand::answer`].
// One answer at a time, moved once into its errand: boxing the record would cost an
// allocation per load for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Answer {
    /// What [`Ask::Get`] gave.
    Got(Result<AccessToken, KeeperError>),
    /// What [`Ask::Load`] gave.
    Loaded(Result<Option<Record<Installation>>, KeeperError>),
    /// What [`Ask::List`] gave.
    Listed(Result<Vec<String>, KeeperError>),
    /// What [`Ask::Save`] gave.
    Saved(Result<(), KeeperError>),
    /// What [`Ask::Delete`] gave.
    Deleted(Result<bool, KeeperError>),
}

impl Answer {
    /// A store's answer to [`Ask::Load`].
    pub(crate) fn loaded<E>(loaded: Result<Option<Record<Installation>>, E>) -> Answer
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Answer::Loaded(loaded.map_err(KeeperError::store))
    }

    /// A store's answer to [`Ask::List`].
    pub(crate) fn listed<E>(keys: Result<Vec<String>, E>) -> Answer
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        Answer::Listed(keys.map_err(KeeperError::store))
    }
}

/// A keeper call about installation records, driven by its keeper: perform what
/// [`Errand::ask`] asks, hand the [`Answer`] to [`Errand::answer`], until [`Ask::Done`].
/// An answer that does not answer the last ask is ignored, and the ask stays.
pub(crate) trait Errand {
    /// What the caller gets.
    type Output;

    /// What to do next; asking again before an answer asks the same.
    fn ask(&self) -> Ask<'_, Self::Output>;

    /// Takes what came of the last [`Errand::ask`].
    fn answer(&mut self, answer: Answer);
}

/// Stores an installation as its records ([`Installation::records`]): the bot record, then the
/// installing user's. Ends with the first record's key, or the first store error.
#[derive(Debug)]
pub(crate) struct Install {
    records: Vec<(String, Installation)>,
    saved: usize,
    failed: Option<KeeperError>,
}

impl Install {
    /// The install of `installation`.
    pub(crate) fn new(installation: &Installation) -> Install {
        Install {
            records: installation.records(),
            saved: 0,
            failed: None,
        }
    }
}

impl Errand for Install {
    type Output = String;

    fn ask(&self) -> Ask<'_, String> {
        match (&self.failed, self.records.get(self.saved)) {
            (Some(e), _) => Ask::Done(Err(e.clone())),
            (None, Some((key, record))) => Ask::Save(key, record),
            (None, None) => Ask::Done(Ok(self
                .records
                .first()
                .map(|r| r.0.clone())
                .unwrap_or_default())),
        }
    }

    fn answer(&mut self, answer: Answer) {
        match answer {
            Answer::Saved(Ok(())) => self.saved += 1,
            Answer::Saved(Err(e)) => self.failed = Some(e),
            _ => {}
        }
    }
}

/// The bot or user token asked for under a record key: the bot token and the user token of
/// a user's record under `key` itself; a user token under a bot record's key in the record of
/// the user who installed last ([`InstallerCache`]: the bot record is loaded only when that user
/// is not known).
#[derive(Debug)]
pub(crate) struct UserTokenLookup<'a> {
    key: &'a str,
    installers: &'a InstallerCache,
    margin: u64,
    now: u64,
    token: KeptToken,
    record: Option<Cow<'a, str>>,
    result: Option<Result<AccessToken, KeeperError>>,
}

impl<'a> UserTokenLookup<'a> {
    /// `token_type` under `key` at `now`, with `installers` learnt from bot records whose
    /// tokens are refreshed `margin` seconds before expiry.
    pub(crate) fn new(
        key: &'a str,
        token_type: TokenType,
        installers: &'a InstallerCache,
        margin: u64,
        now: u64,
    ) -> UserTokenLookup<'a> {
        let record = match token_type {
            TokenType::Bot => Some(Cow::Borrowed(key)),
            TokenType::User => installers.user_record(key, now),
        };
        UserTokenLookup {
            key,
            installers,
            margin,
            now,
            token: token_type.into(),
            record,
            result: None,
        }
    }
}

impl Errand for UserTokenLookup<'_> {
    type Output = AccessToken;

    fn ask(&self) -> Ask<'_, AccessToken> {
        match (&self.result, &self.record) {
            (Some(result), _) => Ask::Done(result.clone()),
            (None, Some(record)) => Ask::Get(record, self.token),
            (None, None) => Ask::Load(self.key),
        }
    }

    fn answer(&mut self, answer: Answer) {
        match (answer, &self.record) {
            (Answer::Got(got), Some(_)) => self.result = Some(got),
            (Answer::Loaded(Ok(loaded)), None) => {
                let stored = loaded.as_ref().map(|record| &record.value);
                let learnt = (self.installers).learn(self.key, stored, self.margin, self.now);
                self.record = Some(Cow::Owned(learnt));
            }
            (Answer::Loaded(Err(e)), None) => self.result = Some(Err(e)),
            _ => {}
        }
    }
}

/// Deletes one user's record (`tokens_revoked`). Ends with whether there was one; `false`
/// at once for a key without a user.
#[derive(Debug)]
pub(crate) struct DeleteUser {
    record: Option<String>,
    result: Option<Result<bool, KeeperError>>,
}

impl DeleteUser {
    /// The delete of `key`'s user's record.
    pub(crate) fn new(key: &InstallationKey) -> DeleteUser {
        DeleteUser {
            record: key.user_record(),
            result: None,
        }
    }
}

impl Errand for DeleteUser {
    type Output = bool;

    fn ask(&self) -> Ask<'_, bool> {
        match (&self.result, &self.record) {
            (Some(result), _) => Ask::Done(result.clone()),
            (None, Some(record)) => Ask::Delete(record),
            (None, None) => Ask::Done(Ok(false)),
        }
    }

    fn answer(&mut self, answer: Answer) {
        if let Answer::Deleted(deleted) = answer {
            self.result = Some(deleted);
        }
    }
}

/// Lists the store keys under a prefix, then asks one thing of each: the shared course of
/// [`Uninstall`] and [`Listing`].
#[derive(Debug)]
struct EachKey {
    prefix: String,
    keys: Option<Vec<String>>,
    done: usize,
    failed: Option<KeeperError>,
}

impl EachKey {
    fn new(prefix: String) -> EachKey {
        EachKey {
            prefix,
            keys: None,
            done: 0,
            failed: None,
        }
    }

    /// What to ask next: the listing, `each(key)` for the next key, or `finish()`.
    fn ask<'a, T>(
        &'a self,
        each: impl FnOnce(&'a str) -> Ask<'a, T>,
        finish: impl FnOnce() -> T,
    ) -> Ask<'a, T> {
        match (&self.failed, &self.keys) {
            (Some(e), _) => Ask::Done(Err(e.clone())),
            (None, None) => Ask::List(&self.prefix),
            (None, Some(keys)) => match keys.get(self.done) {
                Some(key) => each(key),
                None => Ask::Done(Ok(finish())),
            },
        }
    }

    /// Takes the listing; `Some` with a per-key answer's result, which moves on to the next key.
    fn answer<T>(
        &mut self,
        answer: Answer,
        each: impl FnOnce(Answer) -> Option<Result<T, KeeperError>>,
    ) -> Option<T> {
        match (&self.keys, answer) {
            (None, Answer::Listed(Ok(keys))) => self.keys = Some(keys),
            (None, Answer::Listed(Err(e))) => self.failed = Some(e),
            (Some(_), answer) => match each(answer)? {
                Ok(value) => {
                    self.done += 1;
                    return Some(value);
                }
                Err(e) => self.failed = Some(e),
            },
            _ => {}
        }
        None
    }
}

/// Deletes every record of an installation, the bot's and every user's: every key starting
/// with [`InstallationKey::prefix`] (`app_uninstalled`). Ends with how many went.
#[derive(Debug)]
pub(crate) struct Uninstall {
    each: EachKey,
    deleted: usize,
}

impl Uninstall {
    /// The uninstall of the installation `key` names (its user, if any, is ignored).
    pub(crate) fn new(key: &InstallationKey) -> Uninstall {
        Uninstall {
            each: EachKey::new(key.prefix()),
            deleted: 0,
        }
    }
}

impl Errand for Uninstall {
    type Output = usize;

    fn ask(&self) -> Ask<'_, usize> {
        self.each.ask(Ask::Delete, || self.deleted)
    }

    fn answer(&mut self, answer: Answer) {
        let deleted = self.each.answer(answer, |answer| match answer {
            Answer::Deleted(deleted) => Some(deleted),
            _ => None,
        });
        self.deleted += deleted.map_or(0, usize::from);
    }
}

/// Lists the tokens stored under keys starting with a prefix: their keys and expiry times
/// ([`StoredToken`]), never the tokens. A record deleted since the keys were listed is not
/// listed.
#[derive(Debug)]
pub(crate) struct Listing {
    each: EachKey,
    listed: Vec<StoredToken>,
}

impl Listing {
    /// The listing of the keys starting with `prefix` (`""` for all,
    /// [`InstallationKey::prefix`] for one installation).
    pub(crate) fn new(prefix: &str) -> Listing {
        Listing {
            each: EachKey::new(prefix.to_owned()),
            listed: Vec::new(),
        }
    }
}

impl Errand for Listing {
    type Output = Vec<StoredToken>;

    fn ask(&self) -> Ask<'_, Vec<StoredToken>> {
        self.each.ask(Ask::Load, || self.listed.clone())
    }

    fn answer(&mut self, answer: Answer) {
        let key = (self.each.keys.as_ref()).and_then(|keys| keys.get(self.each.done).cloned());
        let loaded = self.each.answer(answer, |answer| match answer {
            Answer::Loaded(loaded) => Some(loaded),
            _ => None,
        });
        if let (Some(key), Some(Some(record))) = (key, loaded) {
            self.listed.extend(StoredToken::of(&key, &record.value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::found;
    use crate::{MemoryStore, Store};

    const NOW: u64 = 1_700_000_000;

    fn installation(user: &str, tag: &str) -> Installation {
        serde_json::from_str(&format!(
            r#"{{"app_id":"A1","team_id":"T1","user_id":"{user}",
                "bot":{{"token":"xoxe.xoxb-{tag}","expires_at":1700043200,"issued_at":1700000000}},
                "user":{{"token":"xoxe.xoxp-{tag}","expires_at":1700043200}}}}"#
        ))
        .unwrap()
    }

    /// Performs what `errand` asks against `store` (a `get` hands out the stored token as it
    /// is), returning the result and what was asked, as `Load key`, `Get key`, ...
    fn run<E: Errand>(
        store: &MemoryStore<Installation>,
        mut errand: E,
    ) -> (Result<E::Output, KeeperError>, Vec<String>) {
        let mut asked = Vec::new();
        loop {
            let answer = match errand.ask() {
                Ask::Get(key, token) => {
                    asked.push(format!("Get {key}"));
                    let token_type = token.token_type().unwrap();
                    let got = found(key, store.load(key)).and_then(|value| {
                        let set = value.token(token_type);
                        let missing = KeeperError::NotFound { key: key.into() };
                        set.map(|set| set.token.clone()).ok_or(missing)
                    });
                    Answer::Got(got)
                }
                Ask::Load(key) => {
                    asked.push(format!("Load {key}"));
                    Answer::loaded(store.load(key))
                }
                Ask::List(prefix) => {
                    asked.push(format!("List {prefix}"));
                    Answer::listed(store.keys(prefix))
                }
                Ask::Save(key, record) => {
                    asked.push(format!("Save {key}"));
                    Answer::Saved(store.put(key, record).map(drop).map_err(KeeperError::store))
                }
                Ask::Delete(key) => {
                    asked.push(format!("Delete {key}"));
                    Answer::Deleted(store.delete(key).map_err(KeeperError::store))
                }
                Ask::Done(result) => return (result, asked),
            };
            errand.answer(answer);
        }
    }

    fn broken() -> KeeperError {
        KeeperError::store(std::io::Error::from(std::io::ErrorKind::ConnectionReset))
    }

    #[test]
    fn install_writes_the_bot_record_then_the_installers_and_stops_at_an_error() {
        let store = MemoryStore::new();
        let (first, asked) = run(&store, Install::new(&installation("U1", "1")));
        assert_eq!(first.unwrap(), "A1//T1/bot");
        assert_eq!(asked, ["Save A1//T1/bot", "Save A1//T1/user/U1"]);
        let mut install = Install::new(&installation("U2", "2"));
        install.answer(Answer::Saved(Err(broken())));
        assert!(matches!(
            install.ask(),
            Ask::Done(Err(KeeperError::Store(_)))
        ));
    }

    #[test]
    fn a_user_token_by_bot_key_loads_the_bot_record_once_while_it_is_fresh() {
        let (store, installers) = (MemoryStore::new(), InstallerCache::new());
        run(&store, Install::new(&installation("U1", "1")))
            .0
            .unwrap();
        let margin = Installation::DEFAULT_REFRESH_MARGIN;
        let token =
            |key, token_type| UserTokenLookup::new(key, token_type, &installers, margin, NOW);
        let (got, asked) = run(&store, token("A1//T1/bot", TokenType::User));
        assert_eq!(got.unwrap().expose(), "xoxe.xoxp-1");
        assert_eq!(asked, ["Load A1//T1/bot", "Get A1//T1/user/U1"]);
        let (_, asked) = run(&store, token("A1//T1/bot", TokenType::User));
        assert_eq!(asked, ["Get A1//T1/user/U1"]);
        // The bot token, and a user's own record, are asked for directly.
        let (got, asked) = run(&store, token("A1//T1/bot", TokenType::Bot));
        assert_eq!(
            (got.unwrap().expose(), asked),
            ("xoxe.xoxb-1", vec!["Get A1//T1/bot".into()])
        );
        let (_, asked) = run(&store, token("A1//T1/user/U1", TokenType::User));
        assert_eq!(asked, ["Get A1//T1/user/U1"]);
        // A store error on the bot record ends it.
        let mut unknown = token("A1//T9/bot", TokenType::User);
        assert!(matches!(unknown.ask(), Ask::Load("A1//T9/bot")));
        unknown.answer(Answer::Loaded(Err(broken())));
        assert!(matches!(
            unknown.ask(),
            Ask::Done(Err(KeeperError::Store(_)))
        ));
        // Nothing stored: asked under the key itself, which is not found.
        let (missing, _) = run(&store, token("A1//T9/bot", TokenType::User));
        assert!(matches!(missing, Err(KeeperError::NotFound { key }) if key == "A1//T9/bot"));
    }

    #[test]
    fn deletes_and_listings_touch_only_the_installations_records() {
        let store = MemoryStore::new();
        run(&store, Install::new(&installation("U1", "1")))
            .0
            .unwrap();
        run(&store, Install::new(&installation("U2", "2")))
            .0
            .unwrap();
        let other: Installation =
            serde_json::from_str(r#"{"app_id":"A2","team_id":"T1"}"#).unwrap();
        store.put("A2//T1/bot", &other).unwrap();
        let t1 = InstallationKey::new("A1").with_team("T1");

        let (listed, _) = run(&store, Listing::new(&t1.prefix()));
        let keys: Vec<_> = (listed.unwrap().into_iter())
            .map(|s| (s.key, s.token))
            .collect();
        let user = |id: &str| (format!("A1//T1/user/{id}"), KeptToken::User);
        assert_eq!(
            keys,
            [
                ("A1//T1/bot".to_owned(), KeptToken::Bot),
                user("U1"),
                user("U2")
            ]
        );
        // A record deleted between the listing and its load is not listed.
        let mut listing = Listing::new(&t1.prefix());
        listing.answer(Answer::Listed(Ok(vec!["A1//T1/gone".into()])));
        listing.answer(Answer::Loaded(Ok(None)));
        assert!(matches!(listing.ask(), Ask::Done(Ok(listed)) if listed.is_empty()));

        let (nothing, asked) = run(&store, DeleteUser::new(&t1));
        assert!(!nothing.unwrap() && asked.is_empty());
        let (deleted, asked) = run(&store, DeleteUser::new(&t1.clone().with_user("U1")));
        assert!(deleted.unwrap());
        assert_eq!(asked, ["Delete A1//T1/user/U1"]);

        let (gone, asked) = run(&store, Uninstall::new(&t1.clone().with_user("U2")));
        assert_eq!(gone.unwrap(), 2);
        assert_eq!(
            asked,
            ["List A1//T1/", "Delete A1//T1/bot", "Delete A1//T1/user/U2"]
        );
        assert_eq!(store.keys("").unwrap(), ["A2//T1/bot"]);
        let mut failing = Uninstall::new(&t1);
        failing.answer(Answer::Listed(Err(broken())));
        assert!(matches!(
            failing.ask(),
            Ask::Done(Err(KeeperError::Store(_)))
        ));
    }

    /// What the errands hand around never prints a token (the canary test's entries for
    /// them, kept here since the errands are private).
    #[test]
    fn errands_asks_and_answers_never_print_a_token() {
        let canary = "xoxe.xoxb-1-CANARY-9f3a7c";
        let installation: Installation = serde_json::from_str(&format!(
            r#"{{"app_id":"A1","team_id":"T1","user_id":"U1",
                "bot":{{"token":"{canary}","expires_at":1700043200,"issued_at":1700000000,
                "refresh_token":"{canary}"}}}}"#
        ))
        .unwrap();
        let store = MemoryStore::new();
        store.put("T1", &installation).unwrap();
        let install = Install::new(&installation);
        let ask = install.ask();
        assert!(matches!(ask, Ask::Save(..)), "{ask:?}");
        let token = installation.bot.as_ref().unwrap().token.clone();
        assert_eq!(token.expose(), canary);
        let shown = [
            format!("{install:?} {install:#?}"),
            format!("{ask:?} {ask:#?}"),
            format!("{:?}", Answer::Got(Ok(token))),
            format!("{:#?}", Answer::loaded(store.load("T1"))),
        ];
        for text in shown {
            assert!(!text.contains("9f3a7c"), "{text}");
        }
    }
}
