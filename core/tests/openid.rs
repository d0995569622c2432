//! Sign in with Slack: the two methods, the authorize URL, the key set and every check of the
//! id_token verifier, with tokens signed here by throw-away keys (tests/data/openid/).
#![cfg(feature = "openid")]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use quickcheck::{quickcheck, TestResult};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use serde_json::{json, Value};

use slack_oauth_core::openid::{
    at_hash, keys_request, AuthorizeUrl, Jwks, KeysError, Nonce, Scope, Token, TokenResponse,
    UserInfo, Verifier, VerifyError,
};
use slack_oauth_core::{
    authorize::{AuthorizeError, CodeVerifier, State},
    method::ClientAuth,
    parse,
    secret::IdToken,
    AccessToken, Api, ClientCredentials,
};

const CLIENT_ID: &str = "111.222";
const NOW: u64 = 1_700_000_000;
const ACCESS: &str = "xoxp-1-FAKEUSERTOKEN";

const PEMS: [&str; 3] = [
    include_str!("data/openid/test-key-1.pem"),
    include_str!("data/openid/test-key-2.pem"),
    include_str!("data/openid/test-key-3.pem"),
];

fn signer(i: usize) -> SigningKey<Sha256> {
    SigningKey::new(rsa::PrivateKey::from_pkcs8_pem(PEMS[i]).expect("a test key"))
}

/// The public half of test key `i` as a JWK, with `kid` when given.
fn jwk(i: usize, kid: Option<&str>) -> Value {
    let key = rsa::PublicKey::from(rsa::PrivateKey::from_pkcs8_pem(PEMS[i]).unwrap());
    let mut jwk = json!({
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "n": URL_SAFE_NO_PAD.encode(key.n().to_be_bytes_trimmed_vartime()),
        "e": URL_SAFE_NO_PAD.encode(key.e().to_be_bytes_trimmed_vartime()),
    });
    if let Some(kid) = kid {
        jwk["kid"] = json!(kid);
    }
    jwk
}

fn jwks(keys: &[Value]) -> Jwks {
    Jwks::from_json(json!({ "keys": keys }).to_string().as_bytes()).expect("a usable key set")
}

/// Keys 1 and 2 published as `k1` and `k2`.
fn slack_keys() -> Jwks {
    jwks(&[jwk(0, Some("k1")), jwk(1, Some("k2"))])
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A compact JWS of `claims` under `header`, signed with test key `key`.
fn sign(header: &Value, claims: &Value, key: usize) -> String {
    let signed = format!("{}.{}", b64(header), b64(claims));
    let signature = signer(key).sign(signed.as_bytes()).to_vec();
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn header(kid: &str) -> Value {
    json!({"alg": "RS256", "kid": kid, "typ": "JWT"})
}

/// Claims shaped like Slack's example (openid.connect.token's page), fake values.
fn claims() -> Value {
    json!({
        "iss": "https://slack.com",
        "sub": "U0000FAKE",
        "aud": CLIENT_ID,
        "exp": NOW + 300,
        "iat": NOW,
        "auth_time": NOW,
        "nonce": "n-0123456789",
        "at_hash": at_hash(&AccessToken::new(ACCESS)),
        "https://slack.com/team_id": "T0000FAKE",
        "https://slack.com/user_id": "U0000FAKE",
        "https://slack.com/team_name": "Example Team",
        "https://slack.com/team_domain": "example-team",
        "https://slack.com/enterprise_id": "E0000FAKE",
        "email": "user@example.com",
        "email_verified": true,
        "date_email_verified": 1_622_128_723,
        "locale": "en-US",
        "name": "Test User",
        "picture": "https://avatars.example/u_512.png",
        "given_name": "",
        "family_name": "",
        "https://slack.com/team_image_230": "https://avatars.example/t_230.png",
        "https://slack.com/team_image_default": true
    })
}

fn nonce() -> Nonce {
    Nonce::new("n-0123456789").unwrap()
}

fn verifier() -> Verifier {
    Verifier::new(CLIENT_ID)
}

/// Verifies `token` against Slack's keys with the usual nonce and access token.
fn check(token: &str) -> Result<slack_oauth_core::openid::Claims, VerifyError> {
    verifier().verify_id_token(
        &IdToken::new(token),
        Some(&AccessToken::new(ACCESS)),
        &slack_keys(),
        Some(&nonce()),
        NOW,
    )
}

fn with(claims: Value, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let Value::Object(mut map) = claims else {
        unreachable!()
    };
    change(&mut map);
    Value::Object(map)
}

fn code_of(result: Result<slack_oauth_core::openid::Claims, VerifyError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

// ---------------------------------------------------------------------------------------
// The happy path and the typed claims
// ---------------------------------------------------------------------------------------

#[test]
fn a_token_signed_by_slack_verifies_into_typed_claims() {
    let claims = check(&sign(&header("k1"), &claims(), 0)).expect("verifies");
    assert_eq!(claims.iss, "https://slack.com");
    assert_eq!(claims.sub, "U0000FAKE");
    assert_eq!(claims.aud, [CLIENT_ID]);
    assert_eq!(
        (claims.exp, claims.iat, claims.auth_time),
        (NOW + 300, NOW, Some(NOW))
    );
    assert_eq!(claims.nonce.as_deref(), Some("n-0123456789"));
    let p = &claims.profile;
    assert_eq!(p.user_id.as_deref(), Some("U0000FAKE"));
    assert_eq!(p.team_id.as_deref(), Some("T0000FAKE"));
    assert_eq!(p.team_name.as_deref(), Some("Example Team"));
    assert_eq!(p.team_domain.as_deref(), Some("example-team"));
    assert_eq!(p.enterprise_id.as_deref(), Some("E0000FAKE"));
    assert_eq!(p.email.as_deref(), Some("user@example.com"));
    assert_eq!(p.email_verified, Some(true));
    assert_eq!(p.date_email_verified, Some(1_622_128_723));
    assert_eq!(p.name.as_deref(), Some("Test User"));
    assert_eq!(
        p.picture.as_deref(),
        Some("https://avatars.example/u_512.png")
    );
    assert_eq!(p.given_name.as_deref(), Some(""));
    assert_eq!(p.family_name.as_deref(), Some(""));
    assert_eq!(p.locale.as_deref(), Some("en-US"));
    // The rest is kept, and only the rest.
    let mut extra: Vec<&str> = p.extra.keys().map(String::as_str).collect();
    extra.sort_unstable();
    assert_eq!(
        extra,
        [
            "https://slack.com/team_image_230",
            "https://slack.com/team_image_default"
        ]
    );
    // Serialized back, the claims are the ones signed.
    assert_eq!(serde_json::to_value(&claims).unwrap(), self::claims());
}

#[test]
fn verify_takes_the_token_answer_and_its_access_token() {
    let token = sign(&header("k1"), &claims(), 0);
    let body =
        json!({"ok": true, "access_token": ACCESS, "token_type": "Bearer", "id_token": token});
    let answer = parse::<Token, _>(&http::Response::new(body.to_string())).unwrap();
    let claims = verifier()
        .verify(&answer.value, &slack_keys(), Some(&nonce()), NOW)
        .unwrap();
    assert_eq!(claims.sub, "U0000FAKE");

    // Another access token beside the same id_token: at_hash says no.
    let mut other = answer.value.clone();
    other.access_token = AccessToken::new("xoxp-1-SOMEONE-ELSE");
    let err = verifier()
        .verify(&other, &slack_keys(), Some(&nonce()), NOW)
        .unwrap_err();
    assert_eq!(err, VerifyError::AtHashMismatch);

    let no_id: TokenResponse = serde_json::from_value(json!({"access_token": ACCESS})).unwrap();
    let err = verifier()
        .verify(&no_id, &slack_keys(), Some(&nonce()), NOW)
        .unwrap_err();
    assert_eq!(err.code(), "missing_id_token");
}

// ---------------------------------------------------------------------------------------
// Every check
// ---------------------------------------------------------------------------------------

#[test]
fn issuer() {
    let token = sign(
        &header("k1"),
        &with(claims(), |c| {
            c.insert("iss".into(), json!("https://slack.com/"));
        }),
        0,
    );
    let err = check(&token).unwrap_err();
    assert_eq!(
        err,
        VerifyError::WrongIssuer {
            expected: "https://slack.com".into(),
            found: "https://slack.com/".into()
        }
    );
    assert_eq!(err.code(), "wrong_issuer");

    // A configured issuer (the simulator's) is the one expected, and Slack's is then wrong.
    let sim_token = sign(
        &header("k1"),
        &with(claims(), |c| {
            c.insert("iss".into(), json!("http://127.0.0.1:8080"));
        }),
        0,
    );
    let sim = verifier().with_issuer("http://127.0.0.1:8080");
    let verify = |v: &Verifier, t: &str| {
        v.verify_id_token(&IdToken::new(t), None, &slack_keys(), Some(&nonce()), NOW)
    };
    assert!(verify(&sim, &sim_token).is_ok());
    assert_eq!(code_of(verify(&verifier(), &sim_token)), "wrong_issuer");
    assert_eq!(
        code_of(verify(&sim, &sign(&header("k1"), &claims(), 0))),
        "wrong_issuer"
    );
    let no_iss = sign(
        &header("k1"),
        &with(claims(), |c| {
            c.remove("iss");
        }),
        0,
    );
    assert_eq!(
        check(&no_iss).unwrap_err(),
        VerifyError::MissingClaim { claim: "iss" }
    );
}

#[test]
fn audience() {
    let signed = |aud: Value, azp: Option<&str>| {
        sign(
            &header("k1"),
            &with(claims(), |c| {
                c.insert("aud".into(), aud);
                if let Some(azp) = azp {
                    c.insert("azp".into(), json!(azp));
                }
            }),
            0,
        )
    };
    let err = check(&signed(json!("999.888"), None)).unwrap_err();
    assert_eq!(
        err,
        VerifyError::WrongAudience {
            expected: CLIENT_ID.into(),
            found: vec!["999.888".into()]
        }
    );
    assert_eq!(err.code(), "wrong_audience");
    // The array form: ours alone, or ours among others with `azp` naming us.
    assert!(check(&signed(json!([CLIENT_ID]), None)).is_ok());
    assert!(check(&signed(json!(["999.888", CLIENT_ID]), Some(CLIENT_ID))).is_ok());
    assert_eq!(
        code_of(check(&signed(json!(["999.888", CLIENT_ID]), None))),
        "wrong_audience"
    );
    assert_eq!(
        code_of(check(&signed(
            json!(["999.888", CLIENT_ID]),
            Some("999.888")
        ))),
        "wrong_audience"
    );
    assert_eq!(code_of(check(&signed(json!([]), None))), "wrong_audience");
    assert_eq!(code_of(check(&signed(json!(7), None))), "malformed");
    assert_eq!(code_of(check(&signed(json!([7]), None))), "malformed");
    let no_aud = sign(
        &header("k1"),
        &with(claims(), |c| {
            c.remove("aud");
        }),
        0,
    );
    assert_eq!(
        check(&no_aud).unwrap_err(),
        VerifyError::MissingClaim { claim: "aud" }
    );
}

#[test]
fn lifetime_with_leeway() {
    let token = sign(&header("k1"), &claims(), 0);
    let at = |now: u64, leeway: u64| {
        code_of(verifier().with_leeway(leeway).verify_id_token(
            &IdToken::new(token.as_str()),
            None,
            &slack_keys(),
            Some(&nonce()),
            now,
        ))
    };
    let exp = NOW + 300;
    assert_eq!(at(exp - 1, 0), "ok");
    assert_eq!(at(exp, 0), "expired");
    assert_eq!(at(exp + 59, 60), "ok");
    assert_eq!(at(exp + 60, 60), "expired");
    assert_eq!(
        verifier()
            .verify_id_token(
                &IdToken::new(token.as_str()),
                None,
                &slack_keys(),
                Some(&nonce()),
                exp + 60
            )
            .unwrap_err(),
        VerifyError::Expired { exp, now: exp + 60 }
    );
    // Issued in the future: allowed within the leeway only.
    assert_eq!(at(NOW - 60, 60), "ok");
    assert_eq!(at(NOW - 61, 60), "not_yet_valid");
    assert_eq!(at(NOW - 1, 0), "not_yet_valid");
    // `now` far beyond anything: no overflow, just expired.
    assert_eq!(at(u64::MAX, u64::MAX), "expired");

    let nbf = sign(
        &header("k1"),
        &with(claims(), |c| {
            c.insert("nbf".into(), json!(NOW + 100));
        }),
        0,
    );
    assert_eq!(
        check(&nbf).unwrap_err(),
        VerifyError::NotYetValid {
            at: NOW + 100,
            now: NOW
        }
    );
    for (claim, value) in [
        ("exp", json!(1.5)),
        ("iat", json!("now")),
        ("exp", json!(-1)),
    ] {
        let bad = sign(
            &header("k1"),
            &with(claims(), |c| {
                c.insert(claim.into(), value.clone());
            }),
            0,
        );
        assert_eq!(code_of(check(&bad)), "malformed", "{claim} {value}");
    }
    for claim in ["exp", "iat", "sub"] {
        let missing = sign(
            &header("k1"),
            &with(claims(), |c| {
                c.remove(claim);
            }),
            0,
        );
        assert_eq!(
            check(&missing).unwrap_err(),
            VerifyError::MissingClaim { claim }
        );
    }
}

#[test]
fn nonce_sent_and_not_sent() {
    let token_with = |nonce: Option<Value>| {
        sign(
            &header("k1"),
            &with(claims(), |c| {
                match nonce {
                    Some(n) => c.insert("nonce".into(), n),
                    None => c.remove("nonce"),
                };
            }),
            0,
        )
    };
    let verify = |token: &str, sent: Option<&Nonce>| {
        code_of(verifier().verify_id_token(&IdToken::new(token), None, &slack_keys(), sent, NOW))
    };
    let sent = nonce();
    // Sent: the claim must be the same string.
    assert_eq!(
        verify(&token_with(Some(json!("n-0123456789"))), Some(&sent)),
        "ok"
    );
    for claim in [
        Some(json!("n-0123456788")),
        Some(json!("n-012345678")),
        Some(json!("")),
        Some(json!(null)),
        Some(json!(5)),
        None,
    ] {
        assert_eq!(
            verify(&token_with(claim.clone()), Some(&sent)),
            "nonce_mismatch",
            "{claim:?}"
        );
    }
    // Not sent: Slack's empty claim, or none at all; any real value is someone else's flow.
    assert_eq!(verify(&token_with(Some(json!(""))), None), "ok");
    assert_eq!(verify(&token_with(None), None), "ok");
    assert_eq!(
        verify(&token_with(Some(json!("n-0123456789"))), None),
        "nonce_mismatch"
    );
    let err = check(&token_with(Some(json!("other")))).unwrap_err();
    assert_eq!(err, VerifyError::NonceMismatch);
    assert!(!err.to_string().contains("other"));
}

#[test]
fn at_hash_when_present() {
    // RFC-style check of the definition on a known value: base64url(left half of SHA-256).
    let digest = hmac_sha256::Hash::hash(ACCESS.as_bytes());
    assert_eq!(
        at_hash(&AccessToken::new(ACCESS)),
        URL_SAFE_NO_PAD.encode(&digest[..16])
    );
    assert_eq!(at_hash(&AccessToken::new(ACCESS)).len(), 22);

    let token = sign(&header("k1"), &claims(), 0);
    let verify = |access: Option<&str>| {
        code_of(verifier().verify_id_token(
            &IdToken::new(token.as_str()),
            access.map(AccessToken::new).as_ref(),
            &slack_keys(),
            Some(&nonce()),
            NOW,
        ))
    };
    assert_eq!(verify(Some(ACCESS)), "ok");
    assert_eq!(verify(Some("xoxp-1-OTHER")), "at_hash_mismatch");
    // Nothing to compare it with: not checked.
    assert_eq!(verify(None), "ok");
    // No at_hash in the token: nothing to check.
    let without = sign(
        &header("k1"),
        &with(claims(), |c| {
            c.remove("at_hash");
        }),
        0,
    );
    assert!(check(&without).is_ok());
    let not_string = sign(
        &header("k1"),
        &with(claims(), |c| {
            c.insert("at_hash".into(), json!(1));
        }),
        0,
    );
    assert_eq!(check(&not_string).unwrap_err(), VerifyError::AtHashMismatch);
}

#[test]
fn signature_and_algorithm() {
    let good = sign(&header("k1"), &claims(), 0);
    let (signed, signature) = good.rsplit_once('.').unwrap();
    let (head, _) = signed.split_once('.').unwrap();

    // Claims changed after signing.
    let forged = with(claims(), |c| {
        c.insert("sub".into(), json!("U0ADMIN"));
    });
    let tampered = format!("{head}.{}.{signature}", b64(&forged));
    assert_eq!(check(&tampered).unwrap_err(), VerifyError::BadSignature);
    // Signed by a key Slack never published, under one of Slack's key ids.
    assert_eq!(
        check(&sign(&header("k1"), &claims(), 2)).unwrap_err(),
        VerifyError::BadSignature
    );
    // A signature of the wrong size, or of another token.
    let other = sign(&header("k1"), &forged, 0);
    let other_sig = other.rsplit_once('.').unwrap().1;
    assert_eq!(
        code_of(check(&format!("{signed}.{other_sig}"))),
        "bad_signature"
    );
    assert_eq!(code_of(check(&format!("{signed}.AAAA"))), "bad_signature");
    assert_eq!(code_of(check(&format!("{signed}."))), "malformed");

    // Only RS256: `none`, HMAC with the public key as secret, other RSA hashes.
    for alg in ["none", "HS256", "RS512", "PS256", "ES256", "rs256", ""] {
        let h = json!({"alg": alg, "kid": "k1"});
        let token = format!("{}.{}.{signature}", b64(&h), b64(&claims()));
        let err = check(&token).unwrap_err();
        assert_eq!(
            err,
            VerifyError::UnsupportedAlgorithm { alg: alg.into() },
            "{alg}"
        );
        assert_eq!(err.code(), "unsupported_algorithm");
    }
    let unsigned = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims()));
    assert_eq!(code_of(check(&unsigned)), "unsupported_algorithm");
    // A critical extension we cannot understand.
    let crit = json!({"alg": "RS256", "kid": "k1", "crit": ["exp"], "exp": 1});
    assert_eq!(code_of(check(&sign(&crit, &claims(), 0))), "malformed");
}

#[test]
fn key_rotation() {
    let by_new_key = sign(&header("k2"), &claims(), 1);
    let verify = |keys: &Jwks, token: &str| {
        verifier().verify_id_token(&IdToken::new(token), None, keys, Some(&nonce()), NOW)
    };
    // Both keys published: the token's kid picks the new one.
    assert!(verify(&slack_keys(), &by_new_key).is_ok());

    // The caller's cached set predates the new key: "refresh the keys".
    let cached = jwks(&[jwk(0, Some("k1"))]);
    let err = verify(&cached, &by_new_key).unwrap_err();
    assert_eq!(
        err,
        VerifyError::UnknownKey {
            kid: Some("k2".into())
        }
    );
    assert_eq!(err.code(), "unknown_key");
    assert!(err.needs_new_keys());
    assert!(err.to_string().contains("refresh the keys"), "{err}");

    // Refetched after the old key's retirement: the new token passes, an old one does not.
    let refreshed = jwks(&[jwk(1, Some("k2"))]);
    assert!(verify(&refreshed, &by_new_key).is_ok());
    let by_old_key = sign(&header("k1"), &claims(), 0);
    assert_eq!(code_of(verify(&refreshed, &by_old_key)), "unknown_key");
    // The kid and the key must go together: k2's id over k1's signature is refused.
    assert_eq!(
        code_of(verify(&slack_keys(), &sign(&header("k2"), &claims(), 0))),
        "bad_signature"
    );
    // No other check answers "refresh the keys".
    assert!(!VerifyError::BadSignature.needs_new_keys());
}

#[test]
fn tokens_without_a_key_id_try_every_key() {
    let no_kid = json!({"alg": "RS256"});
    let keys = jwks(&[jwk(0, None), jwk(1, Some("k2"))]);
    let verify = |token: &str| {
        code_of(verifier().verify_id_token(&IdToken::new(token), None, &keys, Some(&nonce()), NOW))
    };
    assert_eq!(verify(&sign(&no_kid, &claims(), 0)), "ok");
    assert_eq!(verify(&sign(&no_kid, &claims(), 1)), "ok");
    assert_eq!(verify(&sign(&no_kid, &claims(), 2)), "bad_signature");
    // A kid the set lacks, when the set's keys have none: still unknown.
    assert_eq!(verify(&sign(&header("k9"), &claims(), 0)), "unknown_key");
}

// ---------------------------------------------------------------------------------------
// The key set
// ---------------------------------------------------------------------------------------

#[test]
fn key_set_keeps_only_rs256_signing_keys() {
    let mut enc = jwk(1, Some("enc"));
    enc["use"] = json!("enc");
    let mut rs512 = jwk(1, Some("rs512"));
    rs512["alg"] = json!("RS512");
    let mut bare = jwk(1, Some("bare"));
    bare.as_object_mut().unwrap().remove("alg");
    bare.as_object_mut().unwrap().remove("use");
    let mut small = jwk(0, Some("small"));
    // 1024 bits: the top half of key 1's modulus, odd.
    let n = URL_SAFE_NO_PAD
        .decode(small["n"].as_str().unwrap())
        .unwrap();
    let mut half = n[..128].to_vec();
    half[127] |= 1;
    small["n"] = json!(URL_SAFE_NO_PAD.encode(half));
    let set = json!({"keys": [
        jwk(0, Some("k1")),
        {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
        enc, rs512, bare, small,
        {"kty": "RSA", "kid": "broken", "n": "!!!", "e": "AQAB"},
        {"kty": "RSA", "kid": "no-n", "e": "AQAB"},
        "not an object",
        jwk(1, Some("k1")),
    ]});
    let keys = Jwks::from_json(set.to_string().as_bytes()).unwrap();
    let kids: Vec<Option<&str>> = keys.keys().iter().map(|k| k.kid()).collect();
    assert_eq!(kids, [Some("k1"), Some("bare")]);
    assert_eq!(keys.skipped(), 8);
    assert_eq!(keys.find("k1").unwrap().bits(), 2048);
    assert!(keys.find("enc").is_none());
    // The first of two keys with one id is the one used.
    assert!(verifier()
        .verify_id_token(
            &IdToken::new(sign(&header("k1"), &claims(), 0)),
            None,
            &keys,
            Some(&nonce()),
            NOW
        )
        .is_ok());
    assert!(!format!("{keys:?}").contains(jwk(0, None)["n"].as_str().unwrap()));

    assert_eq!(
        Jwks::from_json(br#"{"keys":[]}"#).unwrap_err(),
        KeysError::NoUsableKey { skipped: 0 }
    );
    for bad in [
        &b""[..],
        b"{}",
        b"[]",
        b"{\"keys\":{}}",
        b"<html></html>",
        b"\xff\xfe",
    ] {
        assert_eq!(
            Jwks::from_json(bad).unwrap_err(),
            KeysError::Malformed,
            "{bad:?}"
        );
    }
}

#[test]
fn key_set_answers() {
    let body = json!({"keys": [jwk(0, Some("k1"))]}).to_string();
    let ok = http::Response::new(body.clone());
    assert_eq!(Jwks::parse(&ok).unwrap().keys().len(), 1);
    let status = |code: u16, headers: &[(&str, &str)], body: &str| {
        let mut b = http::Response::builder().status(code);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        Jwks::parse(&b.body(body.to_owned()).unwrap())
    };
    assert_eq!(
        status(429, &[("retry-after", "7")], "").unwrap_err(),
        KeysError::RateLimited {
            retry_after: Some(std::time::Duration::from_secs(7))
        }
    );
    assert_eq!(
        status(429, &[], "").unwrap_err(),
        KeysError::RateLimited { retry_after: None }
    );
    assert_eq!(
        status(503, &[], &body).unwrap_err(),
        KeysError::Status { status: 503 }
    );
    assert_eq!(
        status(404, &[], "<html>").unwrap_err(),
        KeysError::Status { status: 404 }
    );
    assert_eq!(
        status(200, &[], "<html>").unwrap_err(),
        KeysError::Malformed
    );
    for err in [
        KeysError::Malformed,
        KeysError::Status { status: 500 },
        KeysError::NoUsableKey { skipped: 2 },
        KeysError::RateLimited { retry_after: None },
    ] {
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn the_keys_request_follows_the_base_url() {
    for (api, url) in [
        (Api::new(), "https://slack.com/openid/connect/keys"),
        (Api::gov(), "https://slack-gov.com/openid/connect/keys"),
        (
            Api::new().with_base_url("http://127.0.0.1:9/api/").unwrap(),
            "http://127.0.0.1:9/openid/connect/keys",
        ),
        (
            Api::new().with_base_url("http://[::1]:9").unwrap(),
            "http://[::1]:9/openid/connect/keys",
        ),
        (
            Api::new()
                .with_base_url("https://proxy.example/slack/api")
                .unwrap(),
            "https://proxy.example/slack/openid/connect/keys",
        ),
    ] {
        let api = api.with_credentials(ClientCredentials::new(CLIENT_ID, "CANARY-SECRET"));
        let request = keys_request(&api).unwrap();
        assert_eq!(request.method(), "GET");
        assert_eq!(request.uri(), url);
        assert_eq!(request.headers()["accept"], "application/json");
        assert!(request.headers().get("authorization").is_none());
        assert!(request.body().is_empty());
        assert_eq!(slack_oauth_core::openid::keys_url(&api), url);
    }
    let suffixed = Api::new().with_user_agent_suffix("my-app/1").unwrap();
    let request = keys_request(&suffixed).unwrap();
    assert!(request.headers()["user-agent"]
        .to_str()
        .unwrap()
        .ends_with(" my-app/1"));
}

// ---------------------------------------------------------------------------------------
// Garbage in: typed errors, never a panic, never a pass
// ---------------------------------------------------------------------------------------

#[test]
fn malformed_tokens() {
    let good = sign(&header("k1"), &claims(), 0);
    let (h, rest) = good.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    let cases = [
        String::new(),
        ".".into(),
        "..".into(),
        "...".into(),
        "a.b".into(),
        format!("{good}.extra"),
        format!("{h}.{p}"),
        format!("{h}=.{p}.{s}"),
        format!("{h}.{p}=.{s}"),
        format!("{h}.{p}.{s}="),
        format!("{}.{p}.{s}", b64(&json!("a string"))),
        format!("{}.{p}.{s}", b64(&json!({"kid": "k1"}))),
        format!("{}.{p}.{s}", b64(&json!({"alg": 256}))),
        format!("{}.{p}.{s}", URL_SAFE_NO_PAD.encode(b"\xff{")),
        "x".repeat(Verifier::MAX_TOKEN_LEN + 1),
        "eyJ.eyJ.eyJ".into(),
    ];
    for token in cases {
        let err = check(&token).unwrap_err();
        assert_eq!(err.code(), "malformed", "{token:.80}");
        // Never echoes the token.
        if token.len() > 8 {
            assert!(!err.to_string().contains(&token) && !format!("{err:?}").contains(&token));
        }
    }
    // Well signed, but the claims are not an object.
    for payload in [json!([1]), json!("x"), json!(null)] {
        let token = sign(&header("k1"), &payload, 0);
        assert_eq!(code_of(check(&token)), "malformed", "{payload}");
    }
    // Well signed, a claim of a type Slack never sends.
    let odd = sign(
        &header("k1"),
        &with(claims(), |c| {
            c.insert("email_verified".into(), json!("yes"));
        }),
        0,
    );
    assert_eq!(code_of(check(&odd)), "malformed");
}

#[test]
fn errors_never_show_the_token_or_the_nonce() {
    let token = sign(
        &header("k1"),
        &with(claims(), |c| {
            c.insert("exp".into(), json!(NOW - 1000));
        }),
        0,
    );
    let err = check(&token).unwrap_err();
    assert_eq!(err.code(), "expired");
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains(&token) && !shown.contains("n-0123456789"),
        "{shown}"
    );
    let id = IdToken::new(token.as_str());
    assert_eq!(format!("{id:?}"), "IdToken(<redacted>)");
    assert_eq!(format!("{:?}", nonce()), "Nonce(<redacted>)");
    // Shortened and stripped of control characters when a value is shown.
    let long = sign(
        &json!({"alg": format!("X\n{}", "A".repeat(500)), "kid": "k1"}),
        &claims(),
        0,
    );
    let VerifyError::UnsupportedAlgorithm { alg } = check(&long).unwrap_err() else {
        panic!()
    };
    assert_eq!(alg.len(), 64);
    assert!(!alg.contains('\n'));
}

#[test]
fn codes_are_stable() {
    let all = [
        (VerifyError::MissingIdToken, "missing_id_token"),
        (VerifyError::Malformed { reason: "x" }, "malformed"),
        (
            VerifyError::UnsupportedAlgorithm { alg: "none".into() },
            "unsupported_algorithm",
        ),
        (VerifyError::UnknownKey { kid: None }, "unknown_key"),
        (VerifyError::BadSignature, "bad_signature"),
        (
            VerifyError::WrongIssuer {
                expected: "a".into(),
                found: "b".into(),
            },
            "wrong_issuer",
        ),
        (
            VerifyError::WrongAudience {
                expected: "a".into(),
                found: vec![],
            },
            "wrong_audience",
        ),
        (VerifyError::Expired { exp: 1, now: 2 }, "expired"),
        (VerifyError::NotYetValid { at: 2, now: 1 }, "not_yet_valid"),
        (VerifyError::NonceMismatch, "nonce_mismatch"),
        (VerifyError::AtHashMismatch, "at_hash_mismatch"),
        (VerifyError::MissingClaim { claim: "sub" }, "missing_claim"),
    ];
    for (err, code) in all {
        assert_eq!(err.code(), code);
        assert!(
            err.to_string()
                .starts_with(&format!("id_token refused ({code}): ")),
            "{err}"
        );
    }
}

quickcheck! {
    fn garbage_never_panics(token: String) -> bool {
        check(&token).is_err()
    }

    fn garbage_parts_never_panic(header: Vec<u8>, payload: Vec<u8>, signature: Vec<u8>) -> bool {
        let token = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(signature)
        );
        check(&token).is_err()
    }

    fn any_change_to_a_good_token_is_refused(at: usize, with: char) -> TestResult {
        let good = sign(&header("k1"), &claims(), 0);
        let mut chars: Vec<char> = good.chars().collect();
        let at = at % chars.len();
        if chars[at] == with {
            return TestResult::discard();
        }
        chars[at] = with;
        let changed: String = chars.into_iter().collect();
        TestResult::from_bool(check(&changed).is_err())
    }

    fn garbage_key_sets_never_panic(json: String) -> bool {
        let _ = Jwks::from_json(json.as_bytes());
        let _ = Jwks::from_json(format!(r#"{{"keys":[{{"kty":"RSA","n":{json:?},"e":"AQAB"}}]}}"#).as_bytes());
        true
    }
}

// ---------------------------------------------------------------------------------------
// The methods and the authorize URL
// ---------------------------------------------------------------------------------------

#[test]
fn token_requests() {
    let api = Api::new().with_credentials(ClientCredentials::new(CLIENT_ID, "sec ret"));
    let code = Token::code("c-1")
        .redirect_uri("https://example.com/cb")
        .code_verifier(CodeVerifier::new("v".repeat(43)));
    let request = api.request(&code).unwrap();
    assert_eq!(request.method(), "POST");
    assert_eq!(request.uri(), "https://slack.com/api/openid.connect.token");
    assert_eq!(
        request.headers()["authorization"],
        "Basic MTExLjIyMjpzZWMrcmV0"
    );
    assert_eq!(
        std::str::from_utf8(request.body()).unwrap(),
        format!(
            "code=c-1&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&code_verifier={}",
            "v".repeat(43)
        )
    );
    // Form fields instead of Basic, as Slack's Node SDK sends them.
    let body = api
        .clone()
        .with_client_auth(ClientAuth::Body)
        .request(&Token::refresh("xoxe-1-r"))
        .unwrap();
    assert!(body.headers().get("authorization").is_none());
    assert_eq!(
        body.body(),
        b"client_id=111.222&client_secret=sec+ret&grant_type=refresh_token&refresh_token=xoxe-1-r"
    );
    assert!(!format!("{code:?}").contains("c-1"));
    // Without credentials it does not build.
    assert!(Api::new().request(&Token::code("c")).is_err());
}

#[test]
fn token_answers() {
    // With token rotation (Slack's Java SDK test shape, fake values).
    let body = br#"{"ok":true,"access_token":"xoxe.xoxp-1-FAKE","token_type":"Bearer",
        "refresh_token":"xoxe-1-FAKE","expires_in":43200,"id_token":"eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        "warning":"superfluous_charset"}"#;
    let reply = parse::<Token, _>(&http::Response::new(&body[..])).unwrap();
    let v = reply.value;
    assert_eq!(v.access_token.expose(), "xoxe.xoxp-1-FAKE");
    assert_eq!(v.refresh_token.as_ref().unwrap().expose(), "xoxe-1-FAKE");
    assert_eq!(v.token_type.as_deref(), Some("Bearer"));
    assert_eq!(v.expires_at(NOW), Some(NOW + 43200));
    assert!(v.id_token.is_some());
    assert_eq!(reply.warnings.len(), 1);
    let shown = format!("{v:?}");
    assert!(!shown.contains("FAKE") && !shown.contains("eyJ"), "{shown}");

    // No access token: not a token answer.
    let err =
        parse::<Token, _>(&http::Response::new(&br#"{"ok":true,"id_token":"x"}"#[..])).unwrap_err();
    assert!(
        matches!(err, slack_oauth_core::Error::UnexpectedShape(_)),
        "{err:?}"
    );
    let err = parse::<Token, _>(&http::Response::new(
        &br#"{"ok":false,"error":"oauth_authorization_url_mismatch"}"#[..],
    ))
    .unwrap_err();
    assert_eq!(
        err.code(),
        Some(&slack_oauth_core::ErrorCode::OauthAuthorizationUrlMismatch)
    );
}

#[test]
fn user_info() {
    let request = Api::new().request(&UserInfo::new("xoxp-1-CANARY")).unwrap();
    assert_eq!(
        request.uri(),
        "https://slack.com/api/openid.connect.userInfo"
    );
    assert_eq!(request.headers()["authorization"], "Bearer xoxp-1-CANARY");
    assert!(request.body().is_empty());

    // The full example of the method's page (fake values).
    let body = br#"{"ok":true,"sub":"U0000FAKE","https://slack.com/user_id":"U0000FAKE",
 "https://slack.com/team_id":"T0000FAKE","email":"user@example.com","email_verified":true,
 "date_email_verified":1622128723,"name":"Test User","picture":"https://avatars.example/u_512.png",
 "given_name":"Test","family_name":"User","locale":"en-US","https://slack.com/team_name":"Example Team",
 "https://slack.com/team_domain":"example-team","https://slack.com/user_image_24":"https://avatars.example/u_24.png",
 "https://slack.com/team_image_34":"https://avatars.example/t_34.png","https://slack.com/team_image_default":true,
 "warning":"missing_charset","response_metadata":{"warnings":["missing_charset"]}}"#;
    let reply = parse::<UserInfo, _>(&http::Response::new(&body[..])).unwrap();
    let v = reply.value;
    assert_eq!(v.sub, "U0000FAKE");
    let p = &v.profile;
    assert_eq!(p.user_id.as_deref(), Some("U0000FAKE"));
    assert_eq!(p.team_domain.as_deref(), Some("example-team"));
    assert_eq!(p.given_name.as_deref(), Some("Test"));
    assert_eq!(p.date_email_verified, Some(1_622_128_723));
    assert_eq!(p.enterprise_id, None);
    // The envelope is not a claim.
    let mut extra: Vec<&str> = p.extra.keys().map(String::as_str).collect();
    extra.sort_unstable();
    assert_eq!(
        extra,
        [
            "https://slack.com/team_image_34",
            "https://slack.com/team_image_default",
            "https://slack.com/user_image_24"
        ]
    );
    assert_eq!(reply.warnings.len(), 1);
    // `email_verified` missing is unknown, not false.
    let bare =
        parse::<UserInfo, _>(&http::Response::new(&br#"{"ok":true,"sub":"U1"}"#[..])).unwrap();
    assert_eq!(bare.value.profile.email_verified, None);
}

#[test]
fn authorize_urls() {
    let state = State::new("st&te").unwrap();
    let nonce = Nonce::new("n=1").unwrap();
    let verifier = CodeVerifier::new("secretpassword");
    let url = AuthorizeUrl::new(CLIENT_ID)
        .scopes([Scope::Email, Scope::Profile, Scope::Email, Scope::OpenId])
        .redirect_uri("https://example.com/cb?x=1")
        .state(&state)
        .nonce(&nonce)
        .team("T0FAKE")
        .pkce(&verifier.challenge())
        .build()
        .unwrap();
    let (path, query) = url.split_once('?').unwrap();
    assert_eq!(path, "https://slack.com/openid/connect/authorize");
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let expect = [
        ("response_type", "code"),
        ("scope", "openid,email,profile"),
        ("client_id", CLIENT_ID),
        ("state", "st&te"),
        ("team", "T0FAKE"),
        ("nonce", "n=1"),
        ("redirect_uri", "https://example.com/cb?x=1"),
        (
            "code_challenge",
            "ldMBaaWcQYtSATMV_IG8mf3wp7A6EW80arYoSW80ntU",
        ),
        ("code_challenge_method", "S256"),
    ];
    let expect: Vec<(String, String)> = expect
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(pairs, expect);

    assert_eq!(
        AuthorizeUrl::new("1.2").build().unwrap(),
        "https://slack.com/openid/connect/authorize?response_type=code&scope=openid&client_id=1.2"
    );
    assert!(AuthorizeUrl::new("1.2")
        .gov()
        .build()
        .unwrap()
        .starts_with("https://slack-gov.com/openid/connect/authorize?"));
    let sim = AuthorizeUrl::new("1.2")
        .with_base_url("http://127.0.0.1:4567/")
        .unwrap()
        .build()
        .unwrap();
    assert!(sim.starts_with("http://127.0.0.1:4567/openid/connect/authorize?response_type=code"));
    assert!(AuthorizeUrl::new("1.2")
        .with_base_url("http://evil.example")
        .is_err());
    for bad in ["", "https://example.com/cb#x"] {
        assert_eq!(
            AuthorizeUrl::new("1.2").redirect_uri(bad).build(),
            Err(AuthorizeError::InvalidRedirectUri)
        );
    }
    for scope in [Scope::OpenId, Scope::Profile, Scope::Email] {
        assert_eq!(Scope::parse(scope.as_str()), Some(scope));
    }
    assert_eq!(Scope::parse("identity.basic"), None);
    // Nonces: random bytes within State's bounds, or the app's own visible ASCII.
    assert!(Nonce::from_random_bytes(&[0; 15]).is_err());
    assert!(Nonce::new("").is_err() && Nonce::new("a b").is_err());
    assert!(!nonce.matches("n=2") && nonce.matches("n=1"));
}
