//! What the simulator answers to Sign in with Slack's methods before it plays the OpenID
//! provider: Slack's own answers to the codes and tokens it does issue.

use http::Response;
use serde_json::Value;
use slack_oauth_core::oauth_v2::Access;
use slack_oauth_core::openid::{Token, UserInfo};
use slack_oauth_core::{Api, ClientAuth, ClientCredentials};
use slack_oauth_sim::{AppConfig, Sim};

const ID: &str = "111.222";
const SECRET: &str = "app-secret";
const REDIRECT: &str = "https://example.com/slack/callback";

fn error(resp: &Response<Vec<u8>>) -> String {
    let v: Value = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(v["ok"], false, "{v}");
    v["error"].as_str().unwrap().to_owned()
}

fn api(secret: &str) -> Api {
    Api::new().with_credentials(ClientCredentials::new(ID, secret))
}

#[test]
fn an_oauth_code_is_not_an_openid_code() {
    let sim = Sim::new();
    sim.register_app(AppConfig::new(ID, SECRET).redirect_uri(REDIRECT));
    let redirect = sim
        .approve(&format!(
            "https://slack.com/oauth/v2/authorize?client_id={ID}&user_scope=search:read&redirect_uri={REDIRECT}"
        ))
        .unwrap();
    let code = redirect
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let exchange = Token::code(code).redirect_uri(REDIRECT);

    // The client is checked first, by HTTP Basic or by form fields.
    assert_eq!(
        error(&sim.handle(&api("wrong").request(&exchange).unwrap())),
        "bad_client_secret"
    );
    let unknown = Api::new().with_credentials(ClientCredentials::new("9.9", SECRET));
    assert_eq!(
        error(&sim.handle(&unknown.request(&exchange).unwrap())),
        "invalid_client_id"
    );
    for auth in [ClientAuth::Basic, ClientAuth::Body] {
        let request = api(SECRET)
            .with_client_auth(auth)
            .request(&exchange)
            .unwrap();
        assert_eq!(
            error(&sim.handle(&request)),
            "oauth_authorization_url_mismatch"
        );
    }
    assert_eq!(
        error(&sim.handle(&api(SECRET).request(&Token::code("nope")).unwrap())),
        "invalid_code"
    );
    let refresh = api(SECRET).request(&Token::refresh("xoxe-1-nope")).unwrap();
    assert_eq!(error(&sim.handle(&refresh)), "invalid_refresh_token");

    // userInfo: no token, a dead one, and a live one without the `openid` scope.
    let none = Api::new().request(&UserInfo::new("")).unwrap();
    assert_eq!(error(&sim.handle(&none)), "not_authed");
    let dead = Api::new().request(&UserInfo::new("xoxp-unknown")).unwrap();
    assert_eq!(error(&sim.handle(&dead)), "invalid_auth");
    // The refused exchange did not spend the code: the install flow still takes it.
    let install = sim.handle(
        &api(SECRET)
            .request(&Access::code(code).redirect_uri(REDIRECT))
            .unwrap(),
    );
    let v: Value = serde_json::from_slice(install.body()).unwrap();
    let user_token = v["authed_user"]["access_token"].as_str().unwrap();
    let live = Api::new().request(&UserInfo::new(user_token)).unwrap();
    assert_eq!(error(&sim.handle(&live)), "missing_scope");
}
