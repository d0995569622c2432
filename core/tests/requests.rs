//! The exact HTTP request each method builds: verb, URL, headers, and the form body decoded
//! back to exactly the arguments (in order).

use base64::Engine as _;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use slack_oauth_core::apps_auth_external::{Delete, Get};
use slack_oauth_core::oauth_v2::{Access, AccessRefresh, Exchange, UserAccess};
use slack_oauth_core::tooling_tokens::Rotate;
use slack_oauth_core::{
    error::BuildError,
    method::{BaseUrl, ClientAuth},
    Api, ClientCredentials, Method,
};

type Request = http::Request<Vec<u8>>;

fn confidential() -> Api {
    Api::new().with_credentials(ClientCredentials::new("111.222", "secret"))
}

/// The form body, decoded independently of the code that encoded it.
fn form(request: &Request) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes(request.body()).expect("the body is a valid form")
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// What every request shares: POST, the URL, the three fixed headers and nothing else
/// but (optionally) Authorization.
fn assert_envelope(request: &Request, url: &str) {
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), url);
    assert!(request.uri().query().is_none(), "nothing goes in the URL");
    let headers = request.headers();
    // Bare form type: a charset here makes Slack warn `superfluous_charset`.
    assert_eq!(headers[CONTENT_TYPE], "application/x-www-form-urlencoded");
    assert_eq!(headers[ACCEPT], "application/json");
    assert_eq!(headers[USER_AGENT], Api::USER_AGENT);
    assert_eq!(
        Api::USER_AGENT,
        format!("slack-oauth/{}", env!("CARGO_PKG_VERSION"))
    );
    for name in headers.keys() {
        assert!(
            [CONTENT_TYPE, ACCEPT, USER_AGENT, AUTHORIZATION].contains(name),
            "unexpected header {name}"
        );
    }
    assert_eq!(headers.len(), headers.keys().len(), "no repeated header");
}

fn authorization(request: &Request) -> Option<&http::HeaderValue> {
    request.headers().get(AUTHORIZATION)
}

fn assert_basic(request: &Request, expected: &str) {
    let value = authorization(request).expect("an Authorization header");
    assert_eq!(value, expected);
    assert!(
        value.is_sensitive(),
        "Authorization must be marked sensitive"
    );
}

fn assert_bearer(request: &Request, token: &str) {
    let value = authorization(request).expect("an Authorization header");
    assert_eq!(value.to_str().unwrap(), format!("Bearer {token}"));
    assert!(
        value.is_sensitive(),
        "Authorization must be marked sensitive"
    );
}

#[test]
fn access_code_grant_with_basic_auth() {
    let request = confidential()
        .request(&Access::code("4724469134.4644").redirect_uri("https://example.com/cb"))
        .unwrap();
    assert_envelope(&request, "https://slack.com/api/oauth.v2.access");
    // The RFC 6749 / python-slack-sdk test vector.
    assert_basic(&request, "Basic MTExLjIyMjpzZWNyZXQ=");
    assert_eq!(
        form(&request),
        pairs(&[
            ("code", "4724469134.4644"),
            ("redirect_uri", "https://example.com/cb")
        ])
    );
}

#[test]
fn access_code_grant_with_pkce_verifier() {
    let request = confidential()
        .request(
            &Access::code("c0de")
                .redirect_uri("https://example.com/cb")
                .code_verifier("secretpassword"),
        )
        .unwrap();
    assert_basic(&request, "Basic MTExLjIyMjpzZWNyZXQ=");
    assert_eq!(
        form(&request),
        pairs(&[
            ("code", "c0de"),
            ("redirect_uri", "https://example.com/cb"),
            ("code_verifier", "secretpassword"),
        ])
    );
}

#[test]
fn access_refresh_grant() {
    // The refresh grant is its own type, with no redirect URI or verifier to set.
    let grant: AccessRefresh = Access::refresh("xoxe-1-abcd");
    assert_eq!(grant, AccessRefresh::new("xoxe-1-abcd"));
    let request = confidential().request(&grant).unwrap();
    assert_envelope(&request, "https://slack.com/api/oauth.v2.access");
    assert_basic(&request, "Basic MTExLjIyMjpzZWNyZXQ=");
    assert_eq!(
        form(&request),
        pairs(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "xoxe-1-abcd")
        ])
    );
}

#[test]
fn user_access_code_and_refresh() {
    let request = confidential()
        .request(&UserAccess::code("c0de").code_verifier("v3rifier"))
        .unwrap();
    assert_envelope(&request, "https://slack.com/api/oauth.v2.user.access");
    assert_basic(&request, "Basic MTExLjIyMjpzZWNyZXQ=");
    assert_eq!(
        form(&request),
        pairs(&[("code", "c0de"), ("code_verifier", "v3rifier")])
    );

    let request = confidential()
        .request(&UserAccess::refresh("xoxe-1-u"))
        .unwrap();
    assert_envelope(&request, "https://slack.com/api/oauth.v2.user.access");
    assert_eq!(
        form(&request),
        pairs(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "xoxe-1-u")
        ])
    );
}

#[test]
fn basic_credentials_are_form_urlencoded_before_base64() {
    // RFC 6749 §2.3.1: id and secret are application/x-www-form-urlencoded, then joined by
    // `:`. Without that, a `:` in the secret would split it.
    let secret = "a:b+c%d e/é";
    let api = Api::new().with_credentials(ClientCredentials::new("1.2:3", secret));
    let request = api.request(&Access::code("x")).unwrap();
    let encoded = "1.2%3A3:a%3Ab%2Bc%25d+e%2F%C3%A9";
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(encoded)
    );
    assert_basic(&request, &expected);

    // And back: split at the only unencoded `:`, form-decode each half.
    let b64 = expected.strip_prefix("Basic ").unwrap();
    let plain = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let plain = String::from_utf8(plain).unwrap();
    let (id, secret_part) = plain.split_once(':').unwrap();
    let decoded: Vec<(String, String)> =
        serde_urlencoded::from_str(&format!("id={id}&secret={secret_part}")).unwrap();
    assert_eq!(decoded, pairs(&[("id", "1.2:3"), ("secret", secret)]));
    // Nothing but the Authorization header carries the secret.
    assert!(!String::from_utf8_lossy(request.body()).contains("a:b"));
    assert_eq!(form(&request), pairs(&[("code", "x")]));
}

#[test]
fn body_credentials_when_chosen() {
    let api = Api::new()
        .with_credentials(ClientCredentials::new("111.222", "s3:cr+t%"))
        .with_client_auth(ClientAuth::Body);
    for request in [
        api.request(&Access::code("c0de")).unwrap(),
        api.request(&UserAccess::code("c0de")).unwrap(),
    ] {
        assert!(authorization(&request).is_none());
        assert_eq!(
            form(&request),
            pairs(&[
                ("client_id", "111.222"),
                ("client_secret", "s3:cr+t%"),
                ("code", "c0de")
            ])
        );
    }
    let request = api.request(&Access::refresh("xoxe-1-r")).unwrap();
    assert!(authorization(&request).is_none());
    assert_eq!(
        form(&request),
        pairs(&[
            ("client_id", "111.222"),
            ("client_secret", "s3:cr+t%"),
            ("grant_type", "refresh_token"),
            ("refresh_token", "xoxe-1-r"),
        ])
    );
}

#[test]
fn pkce_public_client_sends_client_id_alone() {
    // Either placement: a public client has no secret, so there is no Basic header to build.
    for client_auth in [ClientAuth::Basic, ClientAuth::Body] {
        let api = Api::new()
            .with_credentials(ClientCredentials::public("123.456"))
            .with_client_auth(client_auth);
        let request = api
            .request(&Access::code("c0de").code_verifier("secretpassword"))
            .unwrap();
        assert_envelope(&request, "https://slack.com/api/oauth.v2.access");
        assert!(authorization(&request).is_none());
        assert_eq!(
            form(&request),
            pairs(&[
                ("client_id", "123.456"),
                ("code", "c0de"),
                ("code_verifier", "secretpassword"),
            ])
        );
        // A PKCE public client's refresh: client_id alone identifies it
        // (https://api.slack.com/authentication/oauth-v2#pkce).
        let request = api.request(&Access::refresh("xoxe-1-abcd")).unwrap();
        assert!(authorization(&request).is_none());
        assert_eq!(
            form(&request),
            pairs(&[
                ("client_id", "123.456"),
                ("grant_type", "refresh_token"),
                ("refresh_token", "xoxe-1-abcd"),
            ])
        );
    }
}

#[test]
fn exchange_sends_bearer_and_credentials_in_body() {
    // https://api.slack.com/methods/oauth.v2.exchange: the legacy token as bearer, id and secret as form arguments,
    // whatever ClientAuth says.
    for client_auth in [ClientAuth::Basic, ClientAuth::Body] {
        let api = confidential().with_client_auth(client_auth);
        let request = api.request(&Exchange::new("xoxb-legacy-1")).unwrap();
        assert_envelope(&request, "https://slack.com/api/oauth.v2.exchange");
        assert_bearer(&request, "xoxb-legacy-1");
        assert_eq!(
            form(&request),
            pairs(&[("client_id", "111.222"), ("client_secret", "secret")])
        );
    }
    assert_eq!(
        Api::new().request(&Exchange::new("xoxb-1")).unwrap_err(),
        BuildError::MissingCredentials {
            method: "oauth.v2.exchange"
        }
    );
    let public = Api::new().with_credentials(ClientCredentials::public("123.456"));
    assert_eq!(
        public.request(&Exchange::new("xoxb-1")).unwrap_err(),
        BuildError::MissingClientSecret {
            method: "oauth.v2.exchange"
        }
    );
}

#[test]
fn rotate_sends_the_refresh_token_and_no_authorization() {
    // With or without app credentials configured: this method takes none.
    for api in [Api::new(), confidential()] {
        let request = api.request(&Rotate::new("xoxe-1-abcdefg")).unwrap();
        assert_envelope(&request, "https://slack.com/api/tooling.tokens.rotate");
        assert!(authorization(&request).is_none());
        assert_eq!(
            form(&request),
            pairs(&[("refresh_token", "xoxe-1-abcdefg")])
        );
    }
}

#[test]
fn external_get_sends_bearer_and_arguments() {
    let api = Api::new();
    let request = api.request(&Get::new("xwfp-1-w", "Et12345ABCDE")).unwrap();
    assert_envelope(&request, "https://slack.com/api/apps.auth.external.get");
    assert_bearer(&request, "xwfp-1-w");
    assert_eq!(
        form(&request),
        pairs(&[("external_token_id", "Et12345ABCDE")])
    );

    for (force, text) in [(true, "true"), (false, "false")] {
        let request = api
            .request(&Get::new("xwfp-1-w", "Et1").force_refresh(force))
            .unwrap();
        assert_eq!(
            form(&request),
            pairs(&[("external_token_id", "Et1"), ("force_refresh", text)])
        );
    }
}

#[test]
fn external_delete_sends_bearer_and_chosen_arguments() {
    let api = Api::new();
    let cases: [(Delete, &[(&str, &str)]); 4] = [
        (
            Delete::new("xoxp-1").external_token_id("Et1"),
            &[("external_token_id", "Et1")],
        ),
        (Delete::new("xoxp-1").app_id("A123"), &[("app_id", "A123")]),
        (
            Delete::new("xoxp-1").app_id("A123").provider_key("google"),
            &[("app_id", "A123"), ("provider_key", "google")],
        ),
        (Delete::new("xoxp-1"), &[]),
    ];
    for (method, expected) in cases {
        let request = api.request(&method).unwrap();
        assert_envelope(&request, "https://slack.com/api/apps.auth.external.delete");
        assert_bearer(&request, "xoxp-1");
        assert_eq!(form(&request), pairs(expected));
    }
}

#[test]
fn client_methods_need_credentials() {
    let api = Api::new();
    assert_eq!(
        api.request(&Access::code("c")).unwrap_err(),
        BuildError::MissingCredentials {
            method: "oauth.v2.access"
        }
    );
    assert_eq!(
        api.request(&UserAccess::refresh("r")).unwrap_err(),
        BuildError::MissingCredentials {
            method: "oauth.v2.user.access"
        }
    );
}

#[test]
fn tokens_that_cannot_be_headers_are_refused() {
    for bad in ["xoxb-1\r\nX-Evil: 1", "xoxb-\n", "\0"] {
        assert_eq!(
            Api::new().request(&Get::new(bad, "Et1")).unwrap_err(),
            BuildError::InvalidToken
        );
        assert_eq!(
            confidential().request(&Exchange::new(bad)).unwrap_err(),
            BuildError::InvalidToken
        );
    }
}

/// Builds one request of every method against `api`, for the base URL tests.
fn all_six(api: &Api) -> Vec<Request> {
    vec![
        api.request(&Access::code("c")).unwrap(),
        api.request(&UserAccess::code("c")).unwrap(),
        api.request(&Exchange::new("xoxb-1")).unwrap(),
        api.request(&Rotate::new("xoxe-1")).unwrap(),
        api.request(&Get::new("xwfp-1", "Et1")).unwrap(),
        api.request(&Delete::new("xoxp-1")).unwrap(),
    ]
}

const NAMES: [&str; 6] = [
    Access::NAME,
    UserAccess::NAME,
    Exchange::NAME,
    Rotate::NAME,
    Get::NAME,
    Delete::NAME,
];

#[test]
fn default_gov_and_custom_bases() {
    let creds = || ClientCredentials::new("111.222", "secret");
    assert_eq!(BaseUrl::SLACK, "https://slack.com/api");
    assert_eq!(BaseUrl::GOV_SLACK, "https://slack-gov.com/api");
    let cases = [
        (Api::new(), "https://slack.com/api"),
        (Api::default(), "https://slack.com/api"),
        (Api::gov(), "https://slack-gov.com/api"),
        (
            Api::new()
                .with_base_url("https://slack.example.test/proxy/api/")
                .unwrap(),
            "https://slack.example.test/proxy/api",
        ),
        (
            Api::new()
                .with_base_url("http://127.0.0.1:8080/api")
                .unwrap(),
            "http://127.0.0.1:8080/api",
        ),
        (
            Api::new().with_base_url("http://localhost:9/api").unwrap(),
            "http://localhost:9/api",
        ),
        (
            Api::new().with_base_url("http://[::1]:9/api").unwrap(),
            "http://[::1]:9/api",
        ),
    ];
    for (api, base) in cases {
        let api = api.with_credentials(creds());
        assert_eq!(api.base_url(), base);
        assert_eq!(
            api.url("oauth.v2.access"),
            format!("{base}/oauth.v2.access")
        );
        for (request, name) in all_six(&api).iter().zip(NAMES) {
            assert_envelope(request, &format!("{base}/{name}"));
        }
    }
}

#[test]
fn plain_http_is_refused_unless_loopback() {
    for (url, host) in [
        ("http://slack.com/api", "slack.com"),
        ("http://10.0.0.1/api", "10.0.0.1"),
        ("http://192.168.1.1:8080/api", "192.168.1.1"),
        ("http://localhost.example.com/api", "localhost.example.com"),
        ("http://127.0.0.1.example.com/api", "127.0.0.1.example.com"),
        ("http://[::2]/api", "[::2]"),
    ] {
        let err = Api::new().with_base_url(url).unwrap_err();
        assert_eq!(
            err,
            BuildError::InsecureUrl {
                host: host.to_owned()
            },
            "{url}"
        );
        let message = err.to_string();
        assert!(
            message.contains("https") && message.contains(host),
            "{message}"
        );
    }
    for url in [
        "ftp://slack.com/api",
        "slack.com/api",
        "/api",
        "",
        "https://user:pass@slack.com/api",
        "https://slack.com/api?token=x",
        "https://slack.com/api#frag",
    ] {
        assert!(
            matches!(
                Api::new().with_base_url(url),
                Err(BuildError::InvalidUrl { .. })
            ),
            "{url}"
        );
    }
}

#[test]
fn user_agent_suffix() {
    let api = Api::new().with_user_agent_suffix("my-app/2.1").unwrap();
    let request = api.request(&Rotate::new("xoxe-1")).unwrap();
    assert_eq!(
        request.headers()[USER_AGENT],
        format!("{} my-app/2.1", Api::USER_AGENT)
    );
    assert_eq!(
        Api::new().with_user_agent_suffix("bad\nvalue").unwrap_err(),
        BuildError::InvalidUserAgent
    );
}

#[test]
fn secrets_never_reach_the_url() {
    let api = Api::new()
        .with_credentials(ClientCredentials::new("111.222", "S3CRET"))
        .with_client_auth(ClientAuth::Body);
    for request in all_six(&api) {
        let uri = request.uri().to_string();
        for secret in ["S3CRET", "xox", "xwfp", "code"] {
            assert!(!uri.contains(secret), "{uri}");
        }
    }
}
