//! `src/fixture/` is what core's throw-away test keys sign: the test re-signs it (RSA PKCS#1
//! v1.5 signatures are deterministic) and compares, so the fixture cannot drift from its
//! recipe. `WASM_SMOKE_WRITE_FIXTURE=1 cargo test -p wasm-smoke --test fixture` rewrites it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use serde_json::json;
use slack_oauth_core::openid::at_hash;
use slack_oauth_core::AccessToken;

const PEMS: [&str; 2] = [
    include_str!("../../core/tests/data/openid/test-key-1.pem"),
    include_str!("../../core/tests/data/openid/test-key-2.pem"),
];
const ACCESS: &str = "xoxp-1-FAKEUSERTOKEN";

fn private(i: usize) -> rsa::PrivateKey {
    rsa::PrivateKey::from_pkcs8_pem(PEMS[i]).expect("a test key")
}

fn jwks() -> String {
    let keys: Vec<_> = (0..2)
        .map(|i| {
            let public = rsa::PublicKey::from(private(i));
            json!({
                "kty": "RSA", "kid": format!("k{}", i + 1), "alg": "RS256", "use": "sig",
                "n": URL_SAFE_NO_PAD.encode(public.n().to_be_bytes_trimmed_vartime()),
                "e": URL_SAFE_NO_PAD.encode(public.e().to_be_bytes_trimmed_vartime()),
            })
        })
        .collect();
    format!(
        "{}\n",
        serde_json::to_string_pretty(&json!({ "keys": keys })).unwrap()
    )
}

fn token_answer() -> String {
    let header = json!({"alg": "RS256", "kid": "k2", "typ": "JWT"});
    let iat = wasm_smoke::ISSUED_AT;
    let claims = json!({
        "iss": "https://slack.com", "sub": "U0000FAKE", "aud": "111.222",
        "exp": iat + 300, "iat": iat, "auth_time": iat, "nonce": wasm_smoke::NONCE,
        "at_hash": at_hash(&AccessToken::new(ACCESS)),
        "https://slack.com/team_id": "T0000FAKE", "https://slack.com/user_id": "U0000FAKE",
        "email": "user@example.com", "email_verified": true, "name": "Test User",
    });
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(private(1))
        .sign(signed.as_bytes())
        .to_vec();
    let id_token = format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature));
    let answer =
        json!({"ok": true, "access_token": ACCESS, "token_type": "Bearer", "id_token": id_token});
    format!("{}\n", serde_json::to_string_pretty(&answer).unwrap())
}

#[test]
// A test, not the library, writes the files it is asked to regenerate.
#[allow(clippy::disallowed_methods)]
fn the_fixture_is_what_the_test_keys_sign() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/fixture");
    let expected = [("jwks.json", jwks()), ("token.json", token_answer())];
    if std::env::var_os("WASM_SMOKE_WRITE_FIXTURE").is_some() {
        for (name, text) in &expected {
            std::fs::write(format!("{dir}/{name}"), text).unwrap();
        }
        return;
    }
    assert_eq!(wasm_smoke::JWKS, expected[0].1, "src/fixture/jwks.json");
    assert_eq!(
        wasm_smoke::TOKEN_ANSWER,
        expected[1].1,
        "src/fixture/token.json"
    );
}
