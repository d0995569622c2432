//! What a store keeps: records per app, org, workspace and user, so that no installer, app or
//! org-wide install erases or hides another's tokens (both keepers, over a memory store).

#![cfg(feature = "ureq")]

use std::sync::Arc;

use slack_oauth::oauth_v2::AccessResponse;
use slack_oauth::{
    installation::InstallationKey,
    keeper::{KeeperError, KeptToken},
    Api, Installation, MemoryStore, Store,
};

const NOW: u64 = 1_700_000_000;

/// An install answer of app `app` in `team` (or org-wide in `enterprise`) by `user`.
fn installed(
    app: &str,
    enterprise: Option<&str>,
    team: Option<&str>,
    user: &str,
    tag: &str,
) -> Installation {
    let team = team.map_or("null".to_owned(), |t| format!(r#"{{"id":"{t}"}}"#));
    let org = enterprise.map_or("null".to_owned(), |e| format!(r#"{{"id":"{e}"}}"#));
    let org_wide = team == "null";
    let answer: AccessResponse = serde_json::from_str(&format!(
        r#"{{"ok":true,"app_id":"{app}","access_token":"xoxe.xoxb-{tag}","token_type":"bot",
            "scope":"chat:write","bot_user_id":"UB","expires_in":43200,"refresh_token":"xoxe-1-b{tag}",
            "team":{team},"enterprise":{org},"is_enterprise_install":{org_wide},
            "authed_user":{{"id":"{user}","scope":"search:read","access_token":"xoxe.xoxp-{tag}",
              "token_type":"user","expires_in":43200,"refresh_token":"xoxe-1-u{tag}"}}}}"#
    ))
    .unwrap();
    Installation::from_access(answer, NOW).unwrap()
}

fn key(app: &str) -> InstallationKey {
    InstallationKey::new(app)
}

#[test]
fn second_installer_second_app_and_org_wide_install_lose_nothing() {
    use slack_oauth::ureq::{Client, Keeper};

    let store = Arc::new(MemoryStore::new());
    let keeper = Keeper::new(Client::new(Api::new()), Arc::clone(&store)).with_clock(|| NOW);
    let first = keeper
        .install(&installed("A1", None, Some("T1"), "U1", "1"))
        .unwrap();
    assert_eq!(first, "A1//T1/bot");
    keeper
        .install(&installed("A1", None, Some("T1"), "U2", "2"))
        .unwrap();
    keeper
        .install(&installed("A2", None, Some("T1"), "U1", "3"))
        .unwrap();
    keeper
        .install(&installed("A1", Some("E1"), None, "U3", "4"))
        .unwrap();

    let token = |key: &InstallationKey, kind| {
        let token = match kind {
            KeptToken::Bot => keeper.find_bot_token(key),
            _ => keeper.find_user_token(key),
        };
        token.map(|t| t.expose().to_owned())
    };
    let t1 = key("A1").with_team("T1");
    // The second installer's bot token is a reinstall; the first user's token stays.
    assert_eq!(token(&t1, KeptToken::Bot).unwrap(), "xoxe.xoxb-2");
    assert_eq!(
        token(&t1.clone().with_user("U1"), KeptToken::User).unwrap(),
        "xoxe.xoxp-1"
    );
    assert_eq!(
        token(&t1.clone().with_user("U2"), KeptToken::User).unwrap(),
        "xoxe.xoxp-2"
    );
    // The installer's key still gives a user token: the last installer's.
    assert_eq!(keeper.user_token(&first).unwrap().expose(), "xoxe.xoxp-2");
    // Another app in the same workspace, by the same user, is kept apart.
    let a2 = key("A2").with_team("T1").with_user("U1");
    assert_eq!(token(&a2, KeptToken::Bot).unwrap(), "xoxe.xoxb-3");
    assert_eq!(token(&a2, KeptToken::User).unwrap(), "xoxe.xoxp-3");
    // The org-wide install serves every workspace of the org, and only that org.
    let in_org = key("A1")
        .with_enterprise("E1")
        .with_team("T7")
        .with_user("U3");
    assert_eq!(token(&in_org, KeptToken::Bot).unwrap(), "xoxe.xoxb-4");
    assert_eq!(token(&in_org, KeptToken::User).unwrap(), "xoxe.xoxp-4");
    let other_org = key("A1").with_enterprise("E2").with_team("T7");
    assert!(matches!(
        keeper.find_bot_token(&other_org),
        Err(KeeperError::NotFound { .. })
    ));

    // The listing names every record with its expiry, and no token.
    let stored = keeper.stored("").unwrap();
    let listed: Vec<(&str, KeptToken, Option<u64>)> = (stored.iter())
        .map(|s| (s.key.as_str(), s.token, s.expires_at))
        .collect();
    let at = Some(NOW + 43_200);
    assert_eq!(
        listed,
        [
            ("A1//T1/bot", KeptToken::Bot, at),
            ("A1//T1/user/U1", KeptToken::User, at),
            ("A1//T1/user/U2", KeptToken::User, at),
            ("A1/E1//bot", KeptToken::Bot, at),
            ("A1/E1//user/U3", KeptToken::User, at),
            ("A2//T1/bot", KeptToken::Bot, at),
            ("A2//T1/user/U1", KeptToken::User, at),
        ]
    );
    assert!(!format!("{stored:?}").contains("xoxe"));

    // tokens_revoked: that user only.
    assert!(keeper.delete_user(&t1.clone().with_user("U1")).unwrap());
    assert!(keeper.find_user_token(&t1.clone().with_user("U1")).is_err());
    assert_eq!(
        token(&t1.clone().with_user("U2"), KeptToken::User).unwrap(),
        "xoxe.xoxp-2"
    );
    // app_uninstalled: the bot and every user of that installation, nothing else.
    assert_eq!(keeper.uninstall(&t1).unwrap(), 2);
    assert!(keeper.find_bot_token(&t1).is_err());
    assert_eq!(
        store.keys("").unwrap(),
        [
            "A1/E1//bot",
            "A1/E1//user/U3",
            "A2//T1/bot",
            "A2//T1/user/U1"
        ]
    );
}

#[cfg(feature = "hyper")]
#[tokio::test]
async fn async_keeper_keeps_users_apart_too() {
    use slack_oauth::hyper::{Client, Keeper};

    let store = Arc::new(MemoryStore::new());
    let keeper = Keeper::new(Client::new(Api::new()), Arc::clone(&store)).with_clock(|| NOW);
    keeper
        .install(&installed("A1", None, Some("T1"), "U1", "1"))
        .await
        .unwrap();
    keeper
        .install(&installed("A1", None, Some("T1"), "U2", "2"))
        .await
        .unwrap();
    keeper
        .install(&installed("A1", Some("E1"), None, "U3", "4"))
        .await
        .unwrap();
    let t1 = key("A1").with_team("T1");
    let u1 = keeper
        .find_user_token(&t1.clone().with_user("U1"))
        .await
        .unwrap();
    assert_eq!(u1.expose(), "xoxe.xoxp-1");
    let bot = keeper
        .find_bot_token(&key("A1").with_enterprise("E1").with_team("T9"))
        .await;
    assert_eq!(bot.unwrap().expose(), "xoxe.xoxb-4");
    assert_eq!(keeper.stored(&t1.prefix()).await.unwrap().len(), 3);
    assert!(keeper
        .delete_user(&t1.clone().with_user("U2"))
        .await
        .unwrap());
    assert_eq!(keeper.uninstall(&t1).await.unwrap(), 2);
    assert_eq!(store.keys("").unwrap(), ["A1/E1//bot", "A1/E1//user/U3"]);
}
