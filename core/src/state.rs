//! The OAuth `state` parameter: plain random values, or self-verifying signed ones.
//!
//! `state` ties the callback to the browser that started the install, so a forged redirect
//! (login CSRF) is refused. Two ways to keep it:
//!
//! - [`State::from_random_bytes`]: a random value the app stores (in the user's session or a
//!   cookie) and compares on the callback with [`State::verify`], in constant time.
//! - [`StateSigner`]: an HMAC-SHA256 over a random nonce and the issue time with a
//!   [`StateKey`] the app holds, so no store is needed; it expires after
//!   [`StateSigner::DEFAULT_MAX_AGE`] seconds unless configured otherwise. Bind it to the browser
//!   session with [`StateSigner::issue_bound`] when the app has one: an unbound signed state
//!   proves the app issued it, not that this browser asked for it.
//!
//! The core draws no random numbers: the caller passes the random bytes in.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::secrets::StateKey;

impl State {
    /// The fewest random bytes a state or nonce takes (128 bits).
    pub const MIN_RANDOM_BYTES: usize = 16;
    /// The most random bytes a state or nonce takes.
    pub const MAX_RANDOM_BYTES: usize = 64;
    /// The longest `state` value accepted anywhere, in characters.
    pub const MAX_LEN: usize = 1024;
}

impl StateSigner {
    /// The shortest [`StateKey`] a [`StateSigner`] accepts, in bytes.
    pub const MIN_KEY_LEN: usize = 32;
    /// How long a signed state stays valid unless configured otherwise: 10 minutes, the
    /// lifetime of the authorization code it travels with.
    pub const DEFAULT_MAX_AGE: u64 = 600;
    /// How far in the future a signed state's issue time may lie (clock differences between
    /// the servers that issue and verify it), unless configured otherwise.
    pub const DEFAULT_MAX_SKEW: u64 = 60;
}

const VERSION: u8 = 1;
const MAC_LEN: usize = 32;
const HEADER_LEN: usize = 1 + 8;
/// Keeps states of this library apart from any other HMAC the app computes with the same key.
const DOMAIN: &[u8] = b"slack-oauth/state/v1\0";

/// Why a `state` was refused or could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateError {
    /// The state is not the expected one: a different value, a forged or tampered signed
    /// state, another key, or another session binding.
    Mismatch,
    /// The signed state is older than the signer's maximum age.
    Expired {
        /// When it was issued (Unix seconds).
        issued_at: u64,
        /// When it stopped being valid (Unix seconds).
        expired_at: u64,
    },
    /// The signed state's issue time is further in the future than the allowed clock skew.
    IssuedInFuture {
        /// The issue time it claims (Unix seconds).
        issued_at: u64,
    },
    /// The value is not a signed state of this library (wrong encoding, length or version).
    Malformed,
    /// Random bytes or a nonce outside [`State::MIN_RANDOM_BYTES`]`..=`[`State::MAX_RANDOM_BYTES`].
    RandomBytes {
        /// How many bytes were given.
        len: usize,
    },
    /// A state value that is empty, longer than [`State::MAX_LEN`], or holds a character that
    /// is not visible ASCII (so it would not come back unchanged through a URL).
    InvalidValue,
    /// The signing key is shorter than [`StateSigner::MIN_KEY_LEN`] bytes.
    WeakKey {
        /// Its length in bytes.
        len: usize,
    },
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Mismatch => f.write_str("the OAuth state does not match"),
            StateError::Expired {
                issued_at,
                expired_at,
            } => write!(
                f,
                "the OAuth state expired at {expired_at} (issued at {issued_at}, Unix seconds)"
            ),
            StateError::IssuedInFuture { issued_at } => write!(
                f,
                "the OAuth state claims a future issue time ({issued_at}, Unix seconds)"
            ),
            StateError::Malformed => f.write_str("the OAuth state is not a signed state"),
            StateError::RandomBytes { len } => write!(
                f,
                "a state needs {} to {} random bytes, got {len}",
                State::MIN_RANDOM_BYTES,
                State::MAX_RANDOM_BYTES
            ),
            StateError::InvalidValue => {
                f.write_str("a state value must be 1 to 1024 visible ASCII characters")
            }
            StateError::WeakKey { len } => write!(
                f,
                "the state-signing key has {len} bytes, at least {} needed",
                StateSigner::MIN_KEY_LEN
            ),
        }
    }
}

impl std::error::Error for StateError {}

/// A `state` value to send in the authorize URL and expect back on the callback.
///
/// Its `Debug` hides the value (a leaked state lets a forged callback pass); [`State::as_str`]
/// gives it for the URL and the app's session. Comparing is constant-time ([`State::verify`]),
/// which is why there is no `PartialEq`.
#[derive(Clone)]
pub struct State(String);

impl State {
    /// A random state from `bytes` drawn by the caller from a secure random source
    /// (16 to 64 bytes), base64url-encoded.
    ///
    /// ```
    /// use slack_oauth_core::authorize::State;
    /// let state = State::from_random_bytes(&[42; 16])?;
    /// assert_eq!(state.as_str(), "KioqKioqKioqKioqKioqKg");
    /// assert!(state.verify("KioqKioqKioqKioqKioqKg").is_ok());
    /// assert!(state.verify("KioqKioqKioqKioqKioqKh").is_err());
    /// # Ok::<(), slack_oauth_core::authorize::StateError>(())
    /// ```
    pub fn from_random_bytes(bytes: &[u8]) -> Result<State, StateError> {
        check_random_len(bytes)?;
        Ok(State(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A state value the app made itself: 1 to [`State::MAX_LEN`] visible ASCII characters.
    pub fn new(value: impl Into<String>) -> Result<State, StateError> {
        let value = value.into();
        if is_valid_state_value(&value) {
            Ok(State(value))
        } else {
            Err(StateError::InvalidValue)
        }
    }

    /// The value, for the authorize URL and the app's session store.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `received` equals this state; constant-time in the content.
    pub fn matches(&self, received: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), received.as_bytes())
    }

    /// [`State::matches`] as a `Result`: [`StateError::Mismatch`] when they differ.
    pub fn verify(&self, received: &str) -> Result<(), StateError> {
        if self.matches(received) {
            Ok(())
        } else {
            Err(StateError::Mismatch)
        }
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("State(<redacted>)")
    }
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for State {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        State::new(value).map_err(serde::de::Error::custom)
    }
}

/// Visible ASCII only: such a value survives the round trip through a URL and the callback's
/// decoding unchanged, and cannot smuggle a line break into a log or header.
pub(crate) fn is_valid_state_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= State::MAX_LEN
        && value.bytes().all(|b| b.is_ascii_graphic())
}

fn check_random_len(bytes: &[u8]) -> Result<(), StateError> {
    if (State::MIN_RANDOM_BYTES..=State::MAX_RANDOM_BYTES).contains(&bytes.len()) {
        Ok(())
    } else {
        Err(StateError::RandomBytes { len: bytes.len() })
    }
}

/// Compares two byte strings in time that depends on their lengths only, not their content.
///
/// The lengths are not secret (every state of one kind has the same length); the content is.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // Keeps the optimizer from turning the fold into an early-exit comparison.
    std::hint::black_box(diff) == 0
}

impl StateKey {
    /// A signing key from random bytes (at least [`StateSigner::MIN_KEY_LEN`]) drawn by the caller,
    /// base64url-encoded so it can live in a config file or environment variable.
    ///
    /// Keep one key for all app servers that verify states; rotating it voids states in flight.
    pub fn from_random_bytes(bytes: &[u8]) -> Result<StateKey, StateError> {
        if bytes.len() < StateSigner::MIN_KEY_LEN {
            return Err(StateError::WeakKey { len: bytes.len() });
        }
        Ok(StateKey::new(URL_SAFE_NO_PAD.encode(bytes)))
    }
}

/// Issues and verifies self-verifying `state` values: `base64url(version ‖ issued_at ‖ nonce ‖
/// HMAC-SHA256(key, … ‖ binding ‖ version ‖ issued_at ‖ nonce))`.
///
/// The app needs no server-side store: the callback's state proves by itself that this app
/// issued it and when. Time is passed in as Unix seconds.
///
/// ```
/// use slack_oauth_core::{StateSigner, authorize::StateError, secret::StateKey};
///
/// let signer = StateSigner::new(StateKey::from_random_bytes(&[9; 32])?)?; // a real random key!
/// let now = 1_700_000_000;
/// let state = signer.issue(&[1; 16], now)?; // fresh random nonce per install
///
/// // On the callback, a few minutes later:
/// let verified = signer.verify(state.as_str(), now + 120)?;
/// assert_eq!(verified.issued_at(), now);
///
/// // Too late, or tampered with:
/// assert!(matches!(signer.verify(state.as_str(), now + 600), Err(StateError::Expired { .. })));
/// assert_eq!(signer.verify("AAAA", now), Err(StateError::Malformed));
/// # Ok::<(), StateError>(())
/// ```
#[derive(Debug, Clone)]
pub struct StateSigner {
    key: StateKey,
    max_age: u64,
    max_skew: u64,
}

/// What a valid signed state said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedState {
    issued_at: u64,
    nonce: Vec<u8>,
}

impl VerifiedState {
    /// When the state was issued (Unix seconds).
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// The random nonce it was issued with; an app that wants each state used only once can
    /// remember these until they expire.
    pub fn nonce(&self) -> &[u8] {
        &self.nonce
    }
}

impl StateSigner {
    /// A signer with `key`, valid for [`StateSigner::DEFAULT_MAX_AGE`] seconds with
    /// [`StateSigner::DEFAULT_MAX_SKEW`] seconds of clock skew. Refuses keys shorter than
    /// [`StateSigner::MIN_KEY_LEN`] bytes.
    pub fn new(key: StateKey) -> Result<StateSigner, StateError> {
        let len = key.expose().len();
        if len < StateSigner::MIN_KEY_LEN {
            return Err(StateError::WeakKey { len });
        }
        Ok(StateSigner {
            key,
            max_age: StateSigner::DEFAULT_MAX_AGE,
            max_skew: StateSigner::DEFAULT_MAX_SKEW,
        })
    }

    /// Sets how many seconds a state stays valid after it is issued.
    pub fn with_max_age(mut self, seconds: u64) -> StateSigner {
        self.max_age = seconds;
        self
    }

    /// Sets how many seconds in the future an issue time may lie (clock skew between servers).
    pub fn with_max_skew(mut self, seconds: u64) -> StateSigner {
        self.max_skew = seconds;
        self
    }

    /// How many seconds a state stays valid.
    pub fn max_age(&self) -> u64 {
        self.max_age
    }

    /// Issues a state at `now` (Unix seconds) from a fresh random `nonce` of 16 to 64 bytes.
    pub fn issue(&self, nonce: &[u8], now: u64) -> Result<State, StateError> {
        self.issue_bound(nonce, &[], now)
    }

    /// Like [`StateSigner::issue`], and only valid for the same `binding` (e.g. the browser's
    /// session id or a hash of it), which is signed but not carried in the state.
    pub fn issue_bound(&self, nonce: &[u8], binding: &[u8], now: u64) -> Result<State, StateError> {
        check_random_len(nonce)?;
        let mut blob = Vec::with_capacity(HEADER_LEN + nonce.len() + MAC_LEN);
        blob.push(VERSION);
        blob.extend_from_slice(&now.to_be_bytes());
        blob.extend_from_slice(nonce);
        let mac = self.mac(binding, &blob).finalize();
        blob.extend_from_slice(&mac);
        Ok(State(URL_SAFE_NO_PAD.encode(blob)))
    }

    /// Verifies a state received at `now` (Unix seconds): its signature (constant-time), then
    /// its age. It is valid from its issue time (less the allowed skew) until, but not
    /// including, issue time + max age.
    pub fn verify(&self, received: &str, now: u64) -> Result<VerifiedState, StateError> {
        self.verify_bound(received, &[], now)
    }

    /// Verifies a state issued with [`StateSigner::issue_bound`] for the same `binding`.
    pub fn verify_bound(
        &self,
        received: &str,
        binding: &[u8],
        now: u64,
    ) -> Result<VerifiedState, StateError> {
        // Anything longer than the largest state is not ours; don't decode it.
        if received.len() > (HEADER_LEN + State::MAX_RANDOM_BYTES + MAC_LEN).div_ceil(3) * 4 {
            return Err(StateError::Malformed);
        }
        let blob = URL_SAFE_NO_PAD
            .decode(received)
            .map_err(|_| StateError::Malformed)?;
        let body_len = blob
            .len()
            .checked_sub(MAC_LEN)
            .ok_or(StateError::Malformed)?;
        let nonce_len = body_len
            .checked_sub(HEADER_LEN)
            .ok_or(StateError::Malformed)?;
        if blob[0] != VERSION
            || !(State::MIN_RANDOM_BYTES..=State::MAX_RANDOM_BYTES).contains(&nonce_len)
        {
            return Err(StateError::Malformed);
        }
        let (body, mac) = blob.split_at(body_len);
        let mut expected = [0u8; MAC_LEN];
        expected.copy_from_slice(mac);
        // The signature is checked before the time, so a forged state learns nothing.
        if !self.mac(binding, body).finalize_verify(&expected) {
            return Err(StateError::Mismatch);
        }
        let mut time = [0u8; 8];
        time.copy_from_slice(&body[1..HEADER_LEN]);
        let issued_at = u64::from_be_bytes(time);
        if issued_at > now.saturating_add(self.max_skew) {
            return Err(StateError::IssuedInFuture { issued_at });
        }
        // Compare the age, not `issued_at + max_age`: that sum saturates near u64::MAX and
        // would call a fresh state expired.
        if now.saturating_sub(issued_at) >= self.max_age {
            return Err(StateError::Expired {
                issued_at,
                expired_at: issued_at.saturating_add(self.max_age),
            });
        }
        Ok(VerifiedState {
            issued_at,
            nonce: body[HEADER_LEN..].to_vec(),
        })
    }

    fn mac(&self, binding: &[u8], body: &[u8]) -> hmac_sha256::HMAC {
        let mut mac = hmac_sha256::HMAC::new(self.key.expose().as_bytes());
        mac.update(DOMAIN);
        // Length-prefixed, so binding and body cannot be shifted into each other.
        mac.update((binding.len() as u64).to_be_bytes());
        mac.update(binding);
        mac.update(body);
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::TestResult;

    fn signer() -> StateSigner {
        StateSigner::new(StateKey::from_random_bytes(&[3; 32]).unwrap()).unwrap()
    }

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn plain_state() {
        let s = State::from_random_bytes(&[0xFF; 16]).unwrap();
        assert!(s.matches(s.as_str()));
        assert!(!s.matches(""));
        assert!(!s.matches(&s.as_str()[1..]));
        assert_eq!(s.verify("other"), Err(StateError::Mismatch));
        assert_eq!(
            State::from_random_bytes(&[0; 15]).unwrap_err(),
            StateError::RandomBytes { len: 15 }
        );
        assert!(State::from_random_bytes(&[0; 64]).is_ok());
        assert!(State::from_random_bytes(&[0; 65]).is_err());
        assert!(State::new("abc-123").is_ok());
        for bad in [
            String::new(),
            "a b".into(),
            "a\nb".into(),
            "é".into(),
            "x".repeat(1025),
        ] {
            assert_eq!(State::new(bad).unwrap_err(), StateError::InvalidValue);
        }
        assert_eq!(format!("{s:?}"), "State(<redacted>)");
        let json = serde_json::to_string(&s).unwrap();
        let back: State = serde_json::from_str(&json).unwrap();
        assert!(back.matches(s.as_str()));
        assert!(serde_json::from_str::<State>("\"a b\"").is_err());
    }

    #[test]
    fn constant_time_eq_is_eq() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn signed_state_round_trip_and_expiry_boundaries() {
        let s = signer();
        let state = s.issue(&[7; 16], NOW).unwrap();
        assert_eq!(s.verify(state.as_str(), NOW).unwrap().issued_at(), NOW);
        assert_eq!(s.verify(state.as_str(), NOW).unwrap().nonce(), &[7; 16]);
        assert!(s.verify(state.as_str(), NOW + 599).is_ok());
        assert_eq!(
            s.verify(state.as_str(), NOW + 600),
            Err(StateError::Expired {
                issued_at: NOW,
                expired_at: NOW + 600
            })
        );
        let short = signer().with_max_age(30);
        assert_eq!(short.max_age(), 30);
        assert!(short.verify(state.as_str(), NOW + 29).is_ok());
        assert!(matches!(
            short.verify(state.as_str(), NOW + 30),
            Err(StateError::Expired { .. })
        ));
    }

    #[test]
    fn future_dated_states() {
        let s = signer();
        let state = s.issue(&[7; 16], NOW + 60).unwrap();
        assert!(s.verify(state.as_str(), NOW).is_ok(), "within the skew");
        let state = s.issue(&[7; 16], NOW + 61).unwrap();
        assert_eq!(
            s.verify(state.as_str(), NOW),
            Err(StateError::IssuedInFuture {
                issued_at: NOW + 61
            })
        );
        let strict = signer().with_max_skew(0);
        let state = strict.issue(&[7; 16], NOW + 1).unwrap();
        assert!(strict.verify(state.as_str(), NOW).is_err());
        // A state issued at the end of time must not overflow.
        let state = s.issue(&[7; 16], u64::MAX).unwrap();
        assert!(s.verify(state.as_str(), u64::MAX - 1).is_ok());
        // ... nor look expired the moment it is issued (quickcheck found this one).
        assert!(s.verify(state.as_str(), u64::MAX).is_ok());
    }

    #[test]
    fn tampering_and_other_keys() {
        let s = signer();
        let state = s.issue(&[7; 16], NOW).unwrap();
        let other = StateSigner::new(StateKey::from_random_bytes(&[4; 32]).unwrap()).unwrap();
        assert_eq!(other.verify(state.as_str(), NOW), Err(StateError::Mismatch));
        // Change the issue time and keep the MAC: refused.
        let mut blob = URL_SAFE_NO_PAD.decode(state.as_str()).unwrap();
        blob[8] ^= 1;
        let forged = URL_SAFE_NO_PAD.encode(&blob);
        assert_eq!(s.verify(&forged, NOW), Err(StateError::Mismatch));
        // Wrong version byte.
        let mut blob = URL_SAFE_NO_PAD.decode(state.as_str()).unwrap();
        blob[0] = 2;
        assert_eq!(
            s.verify(&URL_SAFE_NO_PAD.encode(&blob), NOW),
            Err(StateError::Malformed)
        );
        for junk in ["", "!!!!", "AAAA", &"A".repeat(5000), "é"] {
            assert_eq!(s.verify(junk, NOW), Err(StateError::Malformed), "{junk}");
        }
        // A plain random state is not a signed one.
        let plain = State::from_random_bytes(&[1; 64]).unwrap();
        assert!(s.verify(plain.as_str(), NOW).is_err());
    }

    #[test]
    fn binding() {
        let s = signer();
        let state = s.issue_bound(&[7; 16], b"session-1", NOW).unwrap();
        assert!(s.verify_bound(state.as_str(), b"session-1", NOW).is_ok());
        assert_eq!(
            s.verify_bound(state.as_str(), b"session-2", NOW),
            Err(StateError::Mismatch)
        );
        assert_eq!(s.verify(state.as_str(), NOW), Err(StateError::Mismatch));
        let unbound = s.issue(&[7; 16], NOW).unwrap();
        assert_eq!(
            s.verify_bound(unbound.as_str(), b"session-1", NOW),
            Err(StateError::Mismatch)
        );
    }

    #[test]
    fn keys_and_nonces() {
        assert_eq!(
            StateSigner::new(StateKey::new("short")).unwrap_err(),
            StateError::WeakKey { len: 5 }
        );
        assert_eq!(
            StateKey::from_random_bytes(&[0; 31]).unwrap_err(),
            StateError::WeakKey { len: 31 }
        );
        let s = signer();
        assert!(s.issue(&[0; 15], NOW).is_err());
        assert!(s.issue(&[0; 64], NOW).is_ok());
        assert!(s.issue(&[0; 65], NOW).is_err());
        let dbg = format!("{s:?}");
        assert!(!dbg.contains(&URL_SAFE_NO_PAD.encode([3u8; 32])), "{dbg}");
    }

    quickcheck::quickcheck! {
        fn signed_state_verifies_within_its_lifetime(nonce: Vec<u8>, issued: u64, age: u16) -> TestResult {
            let mut nonce = nonce;
            nonce.resize(16 + nonce.len() % 49, 0xC3);
            let age = u64::from(age) % StateSigner::DEFAULT_MAX_AGE;
            let Some(now) = issued.checked_add(age) else { return TestResult::discard() };
            let s = signer();
            let state = s.issue(&nonce, issued).unwrap();
            let ok = s.verify(state.as_str(), now).unwrap();
            TestResult::from_bool(ok.issued_at() == issued && ok.nonce() == nonce.as_slice())
        }

        fn any_single_byte_change_is_refused(nonce: Vec<u8>, issued: u32, index: usize, flip: u8) -> TestResult {
            if flip == 0 {
                return TestResult::discard();
            }
            let mut nonce = nonce;
            nonce.resize(16 + nonce.len() % 49, 0x3C);
            let s = signer();
            let issued = u64::from(issued);
            let state = s.issue(&nonce, issued).unwrap();
            let mut blob = URL_SAFE_NO_PAD.decode(state.as_str()).unwrap();
            let index = index % blob.len();
            blob[index] ^= flip;
            TestResult::from_bool(s.verify(&URL_SAFE_NO_PAD.encode(&blob), issued).is_err())
        }

        fn any_single_character_change_is_refused(index: usize, replacement: u8) -> TestResult {
            let s = signer();
            let state = s.issue(&[5; 16], NOW).unwrap();
            let mut text = state.as_str().as_bytes().to_vec();
            let index = index % text.len();
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let replacement = alphabet[usize::from(replacement) % alphabet.len()];
            if text[index] == replacement {
                return TestResult::discard();
            }
            text[index] = replacement;
            let text = String::from_utf8(text).unwrap();
            TestResult::from_bool(s.verify(&text, NOW).is_err())
        }
    }
}
