//! [`Lookup`]: the records a keeper tries for a token named by an [`InstallationKey`], in
//! order, and which answer ends the look-up.

use crate::installation_key::InstallationKey;
use crate::keeper::errand::{Answer, Ask, Errand};
use crate::keeper::{KeeperError, KeptToken};
use crate::secrets::AccessToken;

/// A look-up by [`InstallationKey`]: the record of the key's workspace (the bot record, or the
/// user's record for a user token), then, for a key with a team, the same record of an
/// org-wide install of its Enterprise org, which serves every workspace of the org. The first
/// answer that is not [`KeeperError::NotFound`] ends it; else it ends with the last record's
/// `NotFound` (the key's own when there is no record to ask for: a user token for a key
/// without a user).
#[derive(Debug)]
pub(crate) struct Lookup {
    token: KeptToken,
    records: Vec<String>,
    tried: usize,
    result: Result<AccessToken, KeeperError>,
}

impl Lookup {
    /// The look-up of `token` for `key`.
    pub(crate) fn new(key: &InstallationKey, token: KeptToken) -> Lookup {
        let org_wide = key.team.is_some().then(|| key.org_wide());
        let records = [Some(key), org_wide.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|key| key.record(token))
            .collect();
        Lookup {
            token,
            records,
            tried: 0,
            result: Err(KeeperError::NotFound {
                key: key.to_string(),
            }),
        }
    }

    fn over(&self) -> bool {
        let found = !matches!(self.result, Err(KeeperError::NotFound { .. }));
        found || self.tried == self.records.len()
    }
}

impl Errand for Lookup {
    type Output = AccessToken;

    fn ask(&self) -> Ask<'_, AccessToken> {
        match self.over() {
            true => Ask::Done(self.result.clone()),
            false => Ask::Get(&self.records[self.tried], self.token),
        }
    }

    fn answer(&mut self, answer: Answer) {
        if let (false, Answer::Got(got)) = (self.over(), answer) {
            self.result = got;
            self.tried += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The org-wide install serves a workspace of its org that has no install of its own.
    #[test]
    fn a_workspace_falls_back_to_its_orgs_org_wide_install() {
        let key = InstallationKey::new("A1")
            .with_enterprise("E1")
            .with_team("T7");
        let mut lookup = Lookup::new(&key, KeptToken::Bot);
        let mut asked = Vec::new();
        let found = loop {
            let answer = match lookup.ask() {
                // Only the org-wide install is stored.
                Ask::Get("A1/E1//bot", _) => Ok(AccessToken::new("xoxb-org")),
                Ask::Get(record, _) => Err(KeeperError::NotFound { key: record.into() }),
                Ask::Done(result) => break result,
                other => unreachable!("a look-up never asks {other:?}"),
            };
            if let Ask::Get(record, _) = lookup.ask() {
                asked.push(record.to_owned());
            }
            lookup.answer(Answer::Got(answer));
        };
        assert_eq!(asked, ["A1/E1/T7/bot", "A1/E1//bot"]);
        assert_eq!(found.unwrap().expose(), "xoxb-org");
    }

    /// The records `lookup` asks for when each answers `answer(record)`, and its result.
    fn run(
        mut lookup: Lookup,
        answer: impl Fn(&str) -> Result<AccessToken, KeeperError>,
    ) -> (Vec<String>, Result<AccessToken, KeeperError>) {
        let mut asked = Vec::new();
        loop {
            let got = match lookup.ask() {
                Ask::Get(record, _) => {
                    asked.push(record.to_owned());
                    answer(record)
                }
                Ask::Done(result) => return (asked, result),
                other => panic!("{other:?}"),
            };
            lookup.answer(Answer::Got(got));
        }
    }

    fn missing(record: &str) -> Result<AccessToken, KeeperError> {
        Err(KeeperError::NotFound { key: record.into() })
    }

    #[test]
    fn the_workspace_then_the_org_wide_install() {
        let key = InstallationKey::new("A1")
            .with_enterprise("E1")
            .with_team("T1");
        let asked = |key: &InstallationKey, token| run(Lookup::new(key, token), missing).0;
        assert_eq!(asked(&key, KeptToken::Bot), ["A1/E1/T1/bot", "A1/E1//bot"]);
        let user = key.clone().with_user("U1");
        assert_eq!(
            asked(&user, KeptToken::User),
            ["A1/E1/T1/user/U1", "A1/E1//user/U1"]
        );
        // An org-wide key is its own fallback; no user, no user record.
        assert_eq!(asked(&key.org_wide(), KeptToken::Bot), ["A1/E1//bot"]);
        assert!(asked(&key, KeptToken::User).is_empty());
        assert!(asked(&key, KeptToken::Configuration).is_empty());
        let (_, nothing) = run(Lookup::new(&key, KeptToken::User), missing);
        assert!(matches!(nothing, Err(KeeperError::NotFound { key }) if key == "A1/E1/T1/bot"));
        let (_, last) = run(Lookup::new(&key, KeptToken::Bot), missing);
        assert!(matches!(last, Err(KeeperError::NotFound { key }) if key == "A1/E1//bot"));
    }

    #[test]
    fn the_first_answer_that_is_not_not_found_ends_it() {
        let key = InstallationKey::new("A1")
            .with_enterprise("E1")
            .with_team("T1");
        let (asked, found) = run(Lookup::new(&key, KeptToken::Bot), |_| {
            Ok(AccessToken::new("xoxb-1"))
        });
        assert_eq!((asked.len(), found.unwrap().expose()), (1, "xoxb-1"));
        let (asked, busy) = run(Lookup::new(&key, KeptToken::Bot), |record| {
            Err(KeeperError::Busy { key: record.into() })
        });
        assert_eq!(asked.len(), 1);
        assert!(matches!(busy, Err(KeeperError::Busy { .. })));
        // An answer to nothing asked changes nothing.
        let mut lookup = Lookup::new(&key, KeptToken::Bot);
        lookup.answer(Answer::Deleted(Ok(true)));
        assert!(matches!(lookup.ask(), Ask::Get("A1/E1/T1/bot", _)));
    }
}
