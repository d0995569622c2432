//! Verifying that a request to the app came from Slack: `X-Slack-Signature` and
//! `X-Slack-Request-Timestamp` (<https://api.slack.com/authentication/verifying-requests-from-slack>).

use std::fmt;

use http::HeaderMap;

/// The header holding `v0=` and the hex HMAC-SHA256 of the request.
pub const SIGNATURE_HEADER: &str = "x-slack-signature";
/// The header holding the Unix time (seconds) Slack signed the request at.
pub const TIMESTAMP_HEADER: &str = "x-slack-request-timestamp";
/// How far a request's timestamp may lie from `now`, either way: 5 minutes, as Slack
/// recommends, so a captured request cannot be replayed later.
pub const MAX_SIGNATURE_AGE: u64 = 300;

/// The app's signing secret ("Basic Information" → "App Credentials" in the app's settings).
///
/// Slack's are 32 lowercase hex characters. An empty or short secret is refused when it is
/// made, so that a missing configuration value (read with `unwrap_or_default()`, say) cannot
/// turn into a secret anyone can sign with.
///
/// Its `Debug` and `Display` never show the value.
///
/// ```
/// use slack_oauth_core::web::{SignatureError, SigningSecret};
///
/// assert!(SigningSecret::new("e3b0c44298fc1c149afbf4c8996fb924").is_ok());
/// assert_eq!(SigningSecret::new(""), Err(SignatureError::WeakSecret { len: 0 }));
/// assert!(SigningSecret::new("signing-secret").is_err()); // 14 bytes
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl SigningSecret {
    /// The shortest secret accepted, in bytes: 16, half of Slack's 32 hex characters. Longer
    /// secrets (a future format) are accepted.
    pub const MIN_LEN: usize = 16;

    /// The secret, refused with [`SignatureError::WeakSecret`] when shorter than
    /// [`SigningSecret::MIN_LEN`] bytes (or empty, or only whitespace around fewer).
    pub fn new(secret: impl Into<String>) -> Result<SigningSecret, SignatureError> {
        let secret = secret.into();
        let len = secret.trim().len();
        if len < SigningSecret::MIN_LEN {
            return Err(SignatureError::WeakSecret { len });
        }
        Ok(SigningSecret(secret))
    }

    /// A secret in Slack's format (32 lowercase hex characters) from 16 random bytes drawn
    /// by the caller: for simulators and tests that play Slack's side.
    pub fn from_random_bytes(bytes: &[u8; 16]) -> SigningSecret {
        let hex = bytes.iter().map(|b| format!("{b:02x}")).collect();
        SigningSecret(hex)
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

impl fmt::Display for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why a request's signature was refused. Never holds the secret or the body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// No `X-Slack-Request-Timestamp` header.
    MissingTimestamp,
    /// No `X-Slack-Signature` header.
    MissingSignature,
    /// The timestamp is not a number of seconds.
    MalformedTimestamp,
    /// The timestamp is more than [`MAX_SIGNATURE_AGE`] seconds from `now`.
    Stale {
        /// The request's timestamp (Unix seconds).
        timestamp: u64,
        /// The time it was checked at (Unix seconds).
        now: u64,
    },
    /// The signature is not `v0=` followed by 64 hex digits.
    MalformedSignature,
    /// The signature does not match the body, timestamp and secret.
    Mismatch,
    /// [`SigningSecret::new`] was given fewer than [`SigningSecret::MIN_LEN`] bytes (never
    /// a request's fault: the app's configuration is missing or wrong).
    WeakSecret {
        /// Its length in bytes (never the secret).
        len: usize,
    },
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::MissingTimestamp => f.write_str("no X-Slack-Request-Timestamp header"),
            SignatureError::MissingSignature => f.write_str("no X-Slack-Signature header"),
            SignatureError::MalformedTimestamp => {
                f.write_str("X-Slack-Request-Timestamp is not Unix seconds")
            }
            SignatureError::Stale { timestamp, now } => write!(
                f,
                "the request was signed at {timestamp}, more than {MAX_SIGNATURE_AGE} s from {now} (Unix seconds)"
            ),
            SignatureError::MalformedSignature => {
                f.write_str("X-Slack-Signature is not v0= and 64 hex digits")
            }
            SignatureError::Mismatch => f.write_str("the request's signature does not match"),
            SignatureError::WeakSecret { len } => write!(
                f,
                "the signing secret has {len} bytes, at least {} needed (Slack's are 32 hex characters)",
                SigningSecret::MIN_LEN
            ),
        }
    }
}

impl std::error::Error for SignatureError {}

/// Checks Slack's signature on requests to the app (events, slash commands, interactivity),
/// and makes such signatures (for simulators and tests).
///
/// ```
/// use slack_oauth_core::web::{SignatureError, SigningSecret, Verifier};
///
/// let verifier = Verifier::new(SigningSecret::new("8f742231b10e8888abcd99yyyzzz85a5")?);
/// let body = br#"{"type":"url_verification","challenge":"abc"}"#;
/// let signature = verifier.sign(1_700_000_000, body);
/// let request = http::Request::post("/slack/events")
///     .header("x-slack-request-timestamp", "1700000000")
///     .header("x-slack-signature", &signature)
///     .body(body.to_vec())?;
/// assert_eq!(verifier.verify(&request, 1_700_000_100), Ok(()));
/// assert!(matches!(verifier.verify(&request, 1_700_000_400), Err(SignatureError::Stale { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Verifier {
    secret: SigningSecret,
    max_age: u64,
}

impl Verifier {
    /// A verifier for `secret`, accepting timestamps within [`MAX_SIGNATURE_AGE`] of `now`.
    pub fn new(secret: SigningSecret) -> Verifier {
        Verifier {
            secret,
            max_age: MAX_SIGNATURE_AGE,
        }
    }

    /// Accepts timestamps within `seconds` of `now` instead.
    pub fn with_max_age(mut self, seconds: u64) -> Verifier {
        self.max_age = seconds;
        self
    }

    /// Verifies `request`'s headers and its raw body (the bytes as received, before any
    /// parsing) at `now` (Unix seconds).
    pub fn verify<B: AsRef<[u8]>>(
        &self,
        request: &http::Request<B>,
        now: u64,
    ) -> Result<(), SignatureError> {
        self.verify_parts(request.headers(), request.body().as_ref(), now)
    }

    /// [`Verifier::verify`] from the headers and the raw body.
    pub fn verify_parts(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: u64,
    ) -> Result<(), SignatureError> {
        let timestamp = headers
            .get(TIMESTAMP_HEADER)
            .ok_or(SignatureError::MissingTimestamp)?;
        let signature = headers
            .get(SIGNATURE_HEADER)
            .ok_or(SignatureError::MissingSignature)?;
        let timestamp_text = timestamp
            .to_str()
            .map_err(|_| SignatureError::MalformedTimestamp)?;
        // Digits only: `u64::from_str` would also take a leading `+`, which Slack never sends
        // and which would make two header values sign the same.
        if timestamp_text.is_empty()
            || timestamp_text.len() > 20
            || !timestamp_text.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(SignatureError::MalformedTimestamp);
        }
        let seconds: u64 = timestamp_text
            .parse()
            .map_err(|_| SignatureError::MalformedTimestamp)?;
        if seconds.abs_diff(now) > self.max_age {
            return Err(SignatureError::Stale {
                timestamp: seconds,
                now,
            });
        }
        let expected = decode_signature(signature.as_bytes())?;
        // hmac-sha256 compares in constant time (a volatile read keeps it from short-cutting).
        if self
            .mac(timestamp_text.as_bytes(), body)
            .finalize_verify(&expected)
        {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// The `X-Slack-Signature` value Slack would send for `body` at `timestamp`.
    pub fn sign(&self, timestamp: u64, body: &[u8]) -> String {
        let mac = self.mac(timestamp.to_string().as_bytes(), body).finalize();
        let mut out = String::with_capacity(3 + 64);
        out.push_str("v0=");
        for byte in mac {
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0xF)]));
        }
        out
    }

    fn mac(&self, timestamp: &[u8], body: &[u8]) -> hmac_sha256::HMAC {
        let mut mac = hmac_sha256::HMAC::new(self.secret.expose().as_bytes());
        mac.update(b"v0:");
        mac.update(timestamp);
        mac.update(b":");
        mac.update(body);
        mac
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn decode_signature(value: &[u8]) -> Result<[u8; 32], SignatureError> {
    let hex = value
        .strip_prefix(b"v0=")
        .filter(|hex| hex.len() == 64)
        .ok_or(SignatureError::MalformedSignature)?;
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let high = hex_value(pair[0]).ok_or(SignatureError::MalformedSignature)?;
        let low = hex_value(pair[1]).ok_or(SignatureError::MalformedSignature)?;
        *byte = (high << 4) | low;
    }
    Ok(out)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Slack's worked example (a slash command) from
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TIMESTAMP: u64 = 1_531_420_618;
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIGNATURE: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

    fn verifier() -> Verifier {
        Verifier::new(SigningSecret::new(SECRET).unwrap())
    }

    fn request(
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &str,
    ) -> http::Request<Vec<u8>> {
        let mut builder = http::Request::post("/slack/events");
        if let Some(t) = timestamp {
            builder = builder.header(TIMESTAMP_HEADER, t);
        }
        if let Some(s) = signature {
            builder = builder.header(SIGNATURE_HEADER, s);
        }
        builder.body(body.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn slacks_example_verifies_and_signs() {
        let v = verifier();
        assert_eq!(v.sign(TIMESTAMP, BODY.as_bytes()), SIGNATURE);
        let ok = request(Some("1531420618"), Some(SIGNATURE), BODY);
        assert_eq!(v.verify(&ok, TIMESTAMP), Ok(()));
        assert_eq!(v.verify(&ok, TIMESTAMP + 300), Ok(()));
        assert_eq!(v.verify(&ok, TIMESTAMP - 300), Ok(()));
        // Upper-case hex is the same signature.
        let upper = format!("v0={}", SIGNATURE[3..].to_ascii_uppercase());
        assert_eq!(
            v.verify(&request(Some("1531420618"), Some(&upper), BODY), TIMESTAMP),
            Ok(())
        );
    }

    #[test]
    fn stale_and_future_timestamps() {
        let v = verifier();
        let ok = request(Some("1531420618"), Some(SIGNATURE), BODY);
        assert_eq!(
            v.verify(&ok, TIMESTAMP + 301),
            Err(SignatureError::Stale {
                timestamp: TIMESTAMP,
                now: TIMESTAMP + 301
            })
        );
        assert!(matches!(
            v.verify(&ok, TIMESTAMP - 301),
            Err(SignatureError::Stale { .. })
        ));
        assert!(matches!(
            v.verify(&ok, u64::MAX),
            Err(SignatureError::Stale { .. })
        ));
        assert_eq!(
            v.clone()
                .with_max_age(10_000)
                .verify(&ok, TIMESTAMP + 9_999),
            Ok(())
        );
    }

    #[test]
    fn tampering_is_refused() {
        let v = verifier();
        let mut body = BODY.to_owned();
        body.push(' ');
        assert_eq!(
            v.verify(
                &request(Some("1531420618"), Some(SIGNATURE), &body),
                TIMESTAMP
            ),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is signed too (re-dated within the window: still refused).
        let redated = request(Some("1531420619"), Some(SIGNATURE), BODY);
        assert_eq!(v.verify(&redated, TIMESTAMP), Err(SignatureError::Mismatch));
        // Another app's secret.
        let other = Verifier::new(SigningSecret::new("0123456789abcdef0123456789abcdef").unwrap());
        assert_eq!(
            other.verify(
                &request(Some("1531420618"), Some(SIGNATURE), BODY),
                TIMESTAMP
            ),
            Err(SignatureError::Mismatch)
        );
        // Every single changed hex digit.
        for i in 3..SIGNATURE.len() {
            let mut sig = SIGNATURE.as_bytes().to_vec();
            sig[i] = if sig[i] == b'0' { b'1' } else { b'0' };
            let sig = String::from_utf8(sig).unwrap();
            assert_eq!(
                v.verify(&request(Some("1531420618"), Some(&sig), BODY), TIMESTAMP),
                Err(SignatureError::Mismatch),
                "{i}"
            );
        }
    }

    #[test]
    fn missing_and_malformed_headers() {
        let v = verifier();
        assert_eq!(
            v.verify(&request(None, Some(SIGNATURE), BODY), TIMESTAMP),
            Err(SignatureError::MissingTimestamp)
        );
        assert_eq!(
            v.verify(&request(Some("1531420618"), None, BODY), TIMESTAMP),
            Err(SignatureError::MissingSignature)
        );
        for bad in [
            "",
            "+1531420618",
            "-1",
            "1.5",
            "abc",
            "99999999999999999999999",
        ] {
            assert_eq!(
                v.verify(&request(Some(bad), Some(SIGNATURE), BODY), TIMESTAMP),
                Err(SignatureError::MalformedTimestamp),
                "{bad:?}"
            );
        }
        for bad in [
            "",
            "v0=",
            "v1=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b50",
            "v0=g2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
            "a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
        ] {
            assert_eq!(
                v.verify(&request(Some("1531420618"), Some(bad), BODY), TIMESTAMP),
                Err(SignatureError::MalformedSignature),
                "{bad:?}"
            );
        }
        // Invalid UTF-8 in a header and an empty body: typed errors, no panic.
        let mut r = request(Some("1531420618"), Some(SIGNATURE), "");
        r.headers_mut().insert(
            TIMESTAMP_HEADER,
            http::HeaderValue::from_bytes(&[0xFF, 0xFE]).unwrap(),
        );
        assert_eq!(
            v.verify(&r, TIMESTAMP),
            Err(SignatureError::MalformedTimestamp)
        );
    }

    #[test]
    fn the_secret_never_shows() {
        let v = verifier();
        assert!(!format!("{v:?}").contains(SECRET));
        assert_eq!(
            SigningSecret::new(SECRET).unwrap().to_string(),
            "<redacted>"
        );
        for e in [
            SignatureError::Mismatch,
            SignatureError::Stale {
                timestamp: 1,
                now: 999,
            },
            SigningSecret::new("short").unwrap_err(),
        ] {
            assert!(!e.to_string().contains(SECRET));
        }
    }

    #[test]
    fn an_empty_or_short_secret_is_refused() {
        for weak in [
            "",
            " ",
            "signing-secret",
            "0123456789abcde",
            "  0123456789abcde  ",
        ] {
            let refused = SigningSecret::new(weak).unwrap_err();
            assert_eq!(
                refused,
                SignatureError::WeakSecret {
                    len: weak.trim().len()
                }
            );
            assert!(refused.to_string().contains("16"), "{refused}");
        }
        // Slack's format, and anything longer.
        for strong in [SECRET, "0123456789abcdef", &"f".repeat(64)] {
            assert_eq!(SigningSecret::new(strong).unwrap().expose(), strong);
        }
        let made = SigningSecret::from_random_bytes(&[0xab; 16]);
        assert_eq!(made.expose(), "ab".repeat(16));
        assert!(SigningSecret::new(made.expose()).is_ok());
    }
}
