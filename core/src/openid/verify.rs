//! Checking a Sign in with Slack `id_token`: [`Verifier`] and [`VerifyError`].

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::pkcs1v15::Signature;
use rsa::signature::Verifier as _;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::secret::IdToken;
use crate::state::constant_time_eq;
use crate::AccessToken;

use super::authorize::Nonce;
use super::claims::Claims;
use super::keys::{Jwk, Jwks};
use super::methods::TokenResponse;

/// Checks `id_token`s for one app: RS256 signature against Slack's keys, issuer, audience
/// (the app's client id), lifetime, nonce and `at_hash`, in that order; the claims come out
/// only when every check passed.
///
/// Nothing here reads the clock or the network: `now` (Unix seconds) and the key set
/// ([`Jwks`], fetched with [`keys_request`](super::keys_request) and kept by the caller) are
/// arguments.
///
/// ```
/// use slack_oauth_core::{parse, openid::{Jwks, Nonce, Token, Verifier}};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let (keys_body, token_body) = fixture();
///
/// // The key set, fetched once with `openid::keys_request` and kept.
/// let keys = Jwks::parse(&http::Response::new(keys_body))?;
/// // The `openid.connect.token` answer, and the nonce kept with the browser's session.
/// let answer = parse::<Token, _>(&http::Response::new(token_body))?.value;
/// let nonce = Nonce::new("n-1")?;
///
/// let verifier = Verifier::new("111.222"); // the app's client id
/// let now = 1_700_000_000; // the wall clock, Unix seconds
/// let claims = verifier.verify(&answer, &keys, Some(&nonce), now)?;
/// assert_eq!(claims.sub, "U0FAKE");
/// assert_eq!(claims.profile.team_id.as_deref(), Some("T0FAKE"));
///
/// // Every failure names its check.
/// let late = verifier.verify(&answer, &keys, Some(&nonce), now + 3600).unwrap_err();
/// assert_eq!(late.code(), "expired");
/// let replayed = verifier.verify(&answer, &keys, Some(&Nonce::new("n-2")?), now).unwrap_err();
/// assert_eq!(replayed.code(), "nonce_mismatch");
/// let other_app = Verifier::new("333.444").verify(&answer, &keys, Some(&nonce), now).unwrap_err();
/// assert_eq!(other_app.code(), "wrong_audience");
///
/// // The simulator, or any other provider, has an issuer of its own.
/// let sim = Verifier::new("111.222").with_issuer("http://127.0.0.1:8080");
/// assert_eq!(sim.verify(&answer, &keys, Some(&nonce), now).unwrap_err().code(), "wrong_issuer");
/// # Ok(())
/// # }
/// # fn fixture() -> (String, String) {
/// #     use base64::{engine::general_purpose::URL_SAFE_NO_PAD as B64, Engine as _};
/// #     use rsa::{pkcs8::DecodePrivateKey, signature::{SignatureEncoding, Signer}, traits::PublicKeyParts};
/// #     let private = rsa::PrivateKey::from_pkcs8_pem(include_str!("../../tests/data/openid/test-key-1.pem")).unwrap();
/// #     let public = rsa::PublicKey::from(&private);
/// #     let keys = serde_json::json!({"keys": [{"kty": "RSA", "kid": "k1",
/// #         "n": B64.encode(public.n().to_be_bytes_trimmed_vartime()),
/// #         "e": B64.encode(public.e().to_be_bytes_trimmed_vartime())}]});
/// #     let header = serde_json::json!({"alg": "RS256", "kid": "k1"});
/// #     let claims = serde_json::json!({"iss": "https://slack.com", "sub": "U0FAKE", "aud": "111.222",
/// #         "exp": 1_700_000_300, "iat": 1_700_000_000, "nonce": "n-1",
/// #         "https://slack.com/team_id": "T0FAKE"});
/// #     let signed = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
/// #     let signature = rsa::pkcs1v15::SigningKey::<rsa::sha2::Sha256>::new(private).sign(signed.as_bytes());
/// #     let id_token = format!("{signed}.{}", B64.encode(signature.to_vec()));
/// #     let answer = serde_json::json!({"ok": true, "access_token": "xoxp-1", "id_token": id_token});
/// #     (keys.to_string(), answer.to_string())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    client_id: String,
    issuer: String,
    leeway: u64,
}

impl Verifier {
    /// Slack's issuer (`iss`), as its discovery document states it.
    pub const SLACK_ISSUER: &'static str = "https://slack.com";
    /// The clock skew allowed on `exp`, `iat` and `nbf` by default, in seconds.
    pub const DEFAULT_LEEWAY: u64 = 60;
    /// The longest `id_token` read, in bytes; Slack's are about 1.5 KiB.
    pub const MAX_TOKEN_LEN: usize = 16 * 1024;

    /// Checks tokens issued by Slack for the app `client_id`.
    pub fn new(client_id: impl Into<String>) -> Verifier {
        Verifier {
            client_id: client_id.into(),
            issuer: Verifier::SLACK_ISSUER.to_owned(),
            leeway: Verifier::DEFAULT_LEEWAY,
        }
    }

    /// Expects another issuer: the simulator's, or GovSlack's (not published by Slack).
    pub fn with_issuer(mut self, issuer: impl Into<String>) -> Verifier {
        self.issuer = issuer.into();
        self
    }

    /// Allows `leeway` seconds of clock skew on `exp`, `iat` and `nbf`.
    pub fn with_leeway(mut self, leeway: u64) -> Verifier {
        self.leeway = leeway;
        self
    }

    /// The expected `aud`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The expected `iss`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Checks the `id_token` of an `openid.connect.token` answer, with its `access_token` for
    /// `at_hash`. `nonce` is the one sent to the authorize page, `None` if none was.
    pub fn verify(
        &self,
        response: &TokenResponse,
        keys: &Jwks,
        nonce: Option<&Nonce>,
        now: u64,
    ) -> Result<Claims, VerifyError> {
        let id_token = response
            .id_token
            .as_ref()
            .ok_or(VerifyError::MissingIdToken)?;
        self.verify_id_token(id_token, Some(&response.access_token), keys, nonce, now)
    }

    /// Checks an `id_token` on its own. `at_hash` is checked when the token has one and
    /// `access_token` (the token issued with it) is given.
    pub fn verify_id_token(
        &self,
        id_token: &IdToken,
        access_token: Option<&AccessToken>,
        keys: &Jwks,
        nonce: Option<&Nonce>,
        now: u64,
    ) -> Result<Claims, VerifyError> {
        let jws = Jws::split(id_token.expose())?;
        let header: Header = serde_json::from_slice(&jws.header)
            .map_err(|_| malformed("the header is not a JSON object with a string `alg`"))?;
        if header.alg != "RS256" {
            return Err(VerifyError::UnsupportedAlgorithm {
                alg: shown(&header.alg),
            });
        }
        if header.crit.is_some() {
            return Err(malformed("the header names critical extensions (`crit`)"));
        }
        if jws.signature.is_empty() {
            return Err(malformed("the signature is empty"));
        }
        let signature = Signature::try_from(jws.signature.as_slice())
            .map_err(|_| malformed("the signature cannot be read"))?;
        check_signature(keys, header.kid.as_deref(), jws.signed, &signature)?;

        // Signed by Slack from here on; still checked before being believed.
        let Ok(Value::Object(claims)) = serde_json::from_slice::<Value>(&jws.payload) else {
            return Err(malformed("the claims are not a JSON object"));
        };
        let iss = string_claim(&claims, "iss")?;
        if iss != self.issuer {
            return Err(VerifyError::WrongIssuer {
                expected: self.issuer.clone(),
                found: shown(iss),
            });
        }
        self.check_audience(&claims)?;
        let exp = time_claim(&claims, "exp")?.ok_or(VerifyError::MissingClaim { claim: "exp" })?;
        if now >= exp.saturating_add(self.leeway) {
            return Err(VerifyError::Expired { exp, now });
        }
        let iat = time_claim(&claims, "iat")?.ok_or(VerifyError::MissingClaim { claim: "iat" })?;
        for at in [Some(iat), time_claim(&claims, "nbf")?]
            .into_iter()
            .flatten()
        {
            if at > now.saturating_add(self.leeway) {
                return Err(VerifyError::NotYetValid { at, now });
            }
        }
        string_claim(&claims, "sub")?;
        check_nonce(&claims, nonce)?;
        check_at_hash(&claims, access_token)?;

        serde_json::from_value(Value::Object(claims))
            .map_err(|_| malformed("a claim has a type Slack does not send"))
    }

    fn check_audience(&self, claims: &Map<String, Value>) -> Result<(), VerifyError> {
        let aud: Vec<&str> = match claims.get("aud") {
            None => return Err(VerifyError::MissingClaim { claim: "aud" }),
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many
                .iter()
                .map(|v| {
                    v.as_str()
                        .ok_or(malformed("`aud` is not a list of strings"))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(malformed("`aud` is not a string")),
        };
        // OpenID Connect Core §3.1.3.7: with several audiences, `azp` names the one the token
        // was issued to.
        let azp_ok = aud.len() < 2
            || claims.get("azp").and_then(Value::as_str) == Some(self.client_id.as_str());
        if aud.contains(&self.client_id.as_str()) && azp_ok {
            Ok(())
        } else {
            Err(VerifyError::WrongAudience {
                expected: self.client_id.clone(),
                found: aud.iter().take(4).map(|a| shown(a)).collect(),
            })
        }
    }
}

/// Why an `id_token` was refused. Each variant names the check that failed, and
/// [`VerifyError::code`] gives it as a stable string.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The token answer carries no `id_token`.
    MissingIdToken,
    /// Not a signed JWT (three base64url parts: JSON header, JSON claims, signature).
    Malformed {
        /// What is wrong, in our words (never a part of the token).
        reason: &'static str,
    },
    /// The header's `alg` is not `RS256`, the only one Slack signs with (`none` and `HS256`
    /// are refused here).
    UnsupportedAlgorithm {
        /// The `alg` found (shortened).
        alg: String,
    },
    /// No key of the set has the token's key id, or the set has no key for a token without
    /// one: Slack may have started signing with a new key. Fetch the key set again
    /// ([`keys_request`](super::keys_request)) and retry once.
    UnknownKey {
        /// The token's `kid` (shortened), if it names one.
        kid: Option<String>,
    },
    /// The signature does not verify with the key: the token was altered or not signed by
    /// the key set's owner.
    BadSignature,
    /// `iss` is not the expected issuer.
    WrongIssuer {
        /// The issuer expected ([`Verifier::issuer`]).
        expected: String,
        /// The issuer found (shortened).
        found: String,
    },
    /// `aud` does not name this app's client id.
    WrongAudience {
        /// The client id expected.
        expected: String,
        /// The audiences found (shortened, at most four).
        found: Vec<String>,
    },
    /// `exp` has passed (with the leeway).
    Expired {
        /// The token's `exp`.
        exp: u64,
        /// The `now` given.
        now: u64,
    },
    /// `iat` or `nbf` is later than `now` plus the leeway.
    NotYetValid {
        /// The time found.
        at: u64,
        /// The `now` given.
        now: u64,
    },
    /// The `nonce` claim differs from the nonce sent, is missing though one was sent, or is
    /// set though none was (Slack's `""` is accepted then).
    NonceMismatch,
    /// `at_hash` does not match the access token issued with the `id_token`.
    AtHashMismatch,
    /// A required claim is missing.
    MissingClaim {
        /// The claim's name.
        claim: &'static str,
    },
}

impl VerifyError {
    /// The check that failed, as a stable string: `nonce_mismatch`, `bad_signature`,
    /// `unknown_key`, `expired`, `wrong_audience`, `wrong_issuer`, `not_yet_valid`,
    /// `at_hash_mismatch`, `unsupported_algorithm`, `missing_claim`, `missing_id_token` or
    /// `malformed`.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::MissingIdToken => "missing_id_token",
            VerifyError::Malformed { .. } => "malformed",
            VerifyError::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            VerifyError::UnknownKey { .. } => "unknown_key",
            VerifyError::BadSignature => "bad_signature",
            VerifyError::WrongIssuer { .. } => "wrong_issuer",
            VerifyError::WrongAudience { .. } => "wrong_audience",
            VerifyError::Expired { .. } => "expired",
            VerifyError::NotYetValid { .. } => "not_yet_valid",
            VerifyError::NonceMismatch => "nonce_mismatch",
            VerifyError::AtHashMismatch => "at_hash_mismatch",
            VerifyError::MissingClaim { .. } => "missing_claim",
        }
    }

    /// Whether fetching the key set again may help ([`VerifyError::UnknownKey`]).
    pub fn needs_new_keys(&self) -> bool {
        matches!(self, VerifyError::UnknownKey { .. })
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "id_token refused ({}): ", self.code())?;
        match self {
            VerifyError::MissingIdToken => f.write_str("the token answer has no id_token"),
            VerifyError::Malformed { reason } => f.write_str(reason),
            VerifyError::UnsupportedAlgorithm { alg } => {
                write!(f, "signed with {alg:?}, only RS256 is accepted")
            }
            VerifyError::UnknownKey { kid: Some(kid) } => write!(
                f,
                "no key {kid:?} in the key set: refresh the keys and retry once"
            ),
            VerifyError::UnknownKey { kid: None } => {
                f.write_str("no key in the key set: refresh the keys and retry once")
            }
            VerifyError::BadSignature => f.write_str("the signature does not verify"),
            VerifyError::WrongIssuer { expected, found } => {
                write!(f, "issuer {found:?}, expected {expected:?}")
            }
            VerifyError::WrongAudience { expected, found } => {
                write!(f, "audience {found:?}, expected {expected:?}")
            }
            VerifyError::Expired { exp, now } => write!(f, "expired at {exp}, now is {now}"),
            VerifyError::NotYetValid { at, now } => {
                write!(f, "valid from {at} only, now is {now}")
            }
            VerifyError::NonceMismatch => f.write_str("the nonce is not the one sent"),
            VerifyError::AtHashMismatch => f.write_str("at_hash does not match the access token"),
            VerifyError::MissingClaim { claim } => write!(f, "no `{claim}` claim"),
        }
    }
}

impl std::error::Error for VerifyError {}

fn malformed(reason: &'static str) -> VerifyError {
    VerifyError::Malformed { reason }
}

/// A value from the token, fit for an error message: no control characters, 64 at most.
fn shown(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// A compact JWS (RFC 7515 §7.1), split and decoded.
struct Jws<'a> {
    /// `header.payload`, the bytes the signature covers.
    signed: &'a [u8],
    header: Vec<u8>,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl<'a> Jws<'a> {
    fn split(token: &'a str) -> Result<Jws<'a>, VerifyError> {
        if token.len() > Verifier::MAX_TOKEN_LEN {
            return Err(malformed("longer than Verifier::MAX_TOKEN_LEN"));
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("not three dot-separated parts"));
        };
        let decode =
            |part: &str, reason| URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed(reason));
        Ok(Jws {
            signed: &token.as_bytes()[..header.len() + 1 + payload.len()],
            header: decode(header, "the header is not base64url")?,
            payload: decode(payload, "the claims are not base64url")?,
            signature: decode(signature, "the signature is not base64url")?,
        })
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<serde::de::IgnoredAny>,
}

/// With a `kid`, only that key; without one (RFC 7515 makes it optional), any key of the set.
fn check_signature(
    keys: &Jwks,
    kid: Option<&str>,
    signed: &[u8],
    signature: &Signature,
) -> Result<(), VerifyError> {
    let verifies = |key: &Jwk| key.key.verify(signed, signature).is_ok();
    match kid {
        Some(kid) => match keys.find(kid) {
            Some(key) if verifies(key) => Ok(()),
            Some(_) => Err(VerifyError::BadSignature),
            None => Err(VerifyError::UnknownKey {
                kid: Some(shown(kid)),
            }),
        },
        None if keys.keys().is_empty() => Err(VerifyError::UnknownKey { kid: None }),
        None if keys.keys().iter().any(verifies) => Ok(()),
        None => Err(VerifyError::BadSignature),
    }
}

fn string_claim<'c>(
    claims: &'c Map<String, Value>,
    claim: &'static str,
) -> Result<&'c str, VerifyError> {
    match claims.get(claim) {
        None => Err(VerifyError::MissingClaim { claim }),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(malformed("`iss` or `sub` is not a string")),
    }
}

/// A NumericDate claim (RFC 7519 §2): whole seconds here, as Slack sends them.
fn time_claim(
    claims: &Map<String, Value>,
    claim: &'static str,
) -> Result<Option<u64>, VerifyError> {
    match claims.get(claim) {
        None => Ok(None),
        Some(value) => value.as_u64().map(Some).ok_or(malformed(
            "`exp`, `iat` or `nbf` is not a whole number of seconds",
        )),
    }
}

/// Sent: the claim must be equal. Not sent: absent, or Slack's `""`.
fn check_nonce(claims: &Map<String, Value>, nonce: Option<&Nonce>) -> Result<(), VerifyError> {
    let claim = match claims.get("nonce") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(VerifyError::NonceMismatch),
    };
    let ok = match (nonce, claim) {
        (Some(sent), Some(got)) => sent.matches(got),
        (Some(_), None) => false,
        (None, None | Some("")) => true,
        (None, Some(_)) => false,
    };
    if ok {
        Ok(())
    } else {
        Err(VerifyError::NonceMismatch)
    }
}

/// OpenID Connect Core §3.1.3.6: base64url of the left half of SHA-256 of the access token,
/// SHA-256 being RS256's hash.
fn check_at_hash(
    claims: &Map<String, Value>,
    access_token: Option<&AccessToken>,
) -> Result<(), VerifyError> {
    let (Some(claim), Some(token)) = (claims.get("at_hash"), access_token) else {
        return Ok(());
    };
    let Some(claim) = claim.as_str() else {
        return Err(VerifyError::AtHashMismatch);
    };
    let expected = at_hash(token);
    if constant_time_eq(expected.as_bytes(), claim.as_bytes()) {
        Ok(())
    } else {
        Err(VerifyError::AtHashMismatch)
    }
}

/// The `at_hash` of `access_token`: what an RS256 `id_token` issued with it carries.
pub fn at_hash(access_token: &AccessToken) -> String {
    let digest = hmac_sha256::Hash::hash(access_token.expose().as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}
