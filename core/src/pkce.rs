//! PKCE (RFC 7636): the code verifier an app keeps and the `S256` challenge it sends.
//!
//! The verifier is made from random bytes the caller draws (the core has no random source):
//! `CodeVerifier::from_random_bytes(&bytes)`, then `verifier.challenge()` goes into the
//! authorize URL and the verifier itself into `oauth.v2.access`.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::secrets::CodeVerifier;

impl CodeVerifier {
    /// The shortest code verifier RFC 7636 allows, in characters.
    pub const MIN_LEN: usize = 43;
    /// The longest code verifier RFC 7636 allows, in characters.
    pub const MAX_LEN: usize = 128;
    /// The fewest random bytes [`CodeVerifier::from_random_bytes`] takes (256 bits, 43 characters).
    pub const MIN_RANDOM_BYTES: usize = 32;
    /// The most random bytes [`CodeVerifier::from_random_bytes`] takes (128 characters).
    pub const MAX_RANDOM_BYTES: usize = 96;
}

/// Why a code verifier was refused. Never holds the verifier or any of its characters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PkceError {
    /// The verifier is shorter than [`CodeVerifier::MIN_LEN`] characters.
    TooShort {
        /// Its length in bytes.
        len: usize,
    },
    /// The verifier is longer than [`CodeVerifier::MAX_LEN`] characters.
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The verifier holds a character outside RFC 3986's unreserved set
    /// (`A-Z a-z 0-9 - . _ ~`).
    InvalidCharacter {
        /// The byte offset of the first such character.
        index: usize,
    },
    /// [`CodeVerifier::from_random_bytes`] was given fewer than [`CodeVerifier::MIN_RANDOM_BYTES`] or
    /// more than [`CodeVerifier::MAX_RANDOM_BYTES`] bytes.
    RandomBytes {
        /// How many bytes were given.
        len: usize,
    },
}

impl fmt::Display for PkceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PkceError::TooShort { len } => write!(
                f,
                "PKCE code verifier too short: {len} characters, at least {} needed",
                CodeVerifier::MIN_LEN
            ),
            PkceError::TooLong { len } => write!(
                f,
                "PKCE code verifier too long: {len} characters, at most {} allowed",
                CodeVerifier::MAX_LEN
            ),
            PkceError::InvalidCharacter { index } => write!(
                f,
                "PKCE code verifier has a character outside A-Z a-z 0-9 - . _ ~ at offset {index}"
            ),
            PkceError::RandomBytes { len } => write!(
                f,
                "a PKCE code verifier needs {} to {} random bytes, got {len}",
                CodeVerifier::MIN_RANDOM_BYTES,
                CodeVerifier::MAX_RANDOM_BYTES
            ),
        }
    }
}

impl std::error::Error for PkceError {}

impl CodeVerifier {
    /// Makes a verifier from random bytes drawn by the caller from a cryptographically secure
    /// source: the bytes are base64url-encoded without padding, so 32 bytes give the
    /// 43-character minimum and 96 give the 128-character maximum. 32 bytes are plenty.
    ///
    /// ```
    /// use slack_oauth_core::{authorize::{CodeVerifier, PkceError}};
    /// let random = [7u8; 32]; // use a real random source, e.g. getrandom
    /// let verifier = CodeVerifier::from_random_bytes(&random)?;
    /// assert_eq!(verifier.expose().len(), 43);
    /// assert_eq!(
    ///     CodeVerifier::from_random_bytes(&[0; 16]).unwrap_err(),
    ///     PkceError::RandomBytes { len: 16 }
    /// );
    /// # Ok::<(), PkceError>(())
    /// ```
    pub fn from_random_bytes(bytes: &[u8]) -> Result<CodeVerifier, PkceError> {
        if !(CodeVerifier::MIN_RANDOM_BYTES..=CodeVerifier::MAX_RANDOM_BYTES).contains(&bytes.len())
        {
            return Err(PkceError::RandomBytes { len: bytes.len() });
        }
        Ok(CodeVerifier::new(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// Accepts a verifier the caller made, after checking RFC 7636's rules: 43 to 128
    /// characters of `A-Z a-z 0-9 - . _ ~`. ([`CodeVerifier::new`] does not check.)
    ///
    /// ```
    /// use slack_oauth_core::{authorize::{CodeVerifier, PkceError}};
    /// assert!(CodeVerifier::parse("a".repeat(43)).is_ok());
    /// assert_eq!(CodeVerifier::parse("a".repeat(42)).unwrap_err(), PkceError::TooShort { len: 42 });
    /// assert_eq!(
    ///     CodeVerifier::parse(format!("{}+", "a".repeat(50))).unwrap_err(),
    ///     PkceError::InvalidCharacter { index: 50 }
    /// );
    /// ```
    pub fn parse(verifier: impl Into<String>) -> Result<CodeVerifier, PkceError> {
        let verifier = CodeVerifier::new(verifier);
        verifier.validate()?;
        Ok(verifier)
    }

    /// Checks RFC 7636's length and character rules on this verifier.
    pub fn validate(&self) -> Result<(), PkceError> {
        let value = self.expose();
        if let Some(index) = value.bytes().position(|b| !is_unreserved(b)) {
            return Err(PkceError::InvalidCharacter { index });
        }
        // Only ASCII is left, so bytes and characters agree.
        match value.len() {
            len if len < CodeVerifier::MIN_LEN => Err(PkceError::TooShort { len }),
            len if len > CodeVerifier::MAX_LEN => Err(PkceError::TooLong { len }),
            _ => Ok(()),
        }
    }

    /// The `S256` challenge for this verifier: `base64url-nopad(SHA-256(verifier))`.
    ///
    /// Computed for any value, checked or not. The first vector is the one in Slack's PKCE
    /// guide (too short for RFC 7636, hence `new`); the second is RFC 7636's Appendix B.
    ///
    /// ```
    /// use slack_oauth_core::authorize::CodeVerifier;
    /// assert_eq!(
    ///     CodeVerifier::new("secretpassword").challenge().as_str(),
    ///     "ldMBaaWcQYtSATMV_IG8mf3wp7A6EW80arYoSW80ntU"
    /// );
    /// let rfc = CodeVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")?;
    /// assert_eq!(rfc.challenge().as_str(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    /// # Ok::<(), slack_oauth_core::authorize::PkceError>(())
    /// ```
    pub fn challenge(&self) -> CodeChallenge {
        CodeChallenge::for_verifier(self)
    }
}

/// RFC 3986 unreserved characters, the only ones RFC 7636 allows in a verifier.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// An `S256` PKCE code challenge: safe to send and to print (it reveals nothing of the verifier).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// The only challenge method Slack supports, sent as `code_challenge_method`.
    pub const METHOD: &'static str = "S256";

    /// The challenge for `verifier`; the same as [`CodeVerifier::challenge`].
    pub fn for_verifier(verifier: &CodeVerifier) -> CodeChallenge {
        let digest = hmac_sha256::Hash::hash(verifier.expose().as_bytes());
        CodeChallenge(URL_SAFE_NO_PAD.encode(digest))
    }

    /// The challenge as sent in `code_challenge` (43 characters).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CodeChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_bounds() {
        assert_eq!(
            CodeVerifier::parse("a".repeat(42)).unwrap_err(),
            PkceError::TooShort { len: 42 }
        );
        assert!(CodeVerifier::parse("a".repeat(43)).is_ok());
        assert!(CodeVerifier::parse("~".repeat(128)).is_ok());
        assert_eq!(
            CodeVerifier::parse("a".repeat(129)).unwrap_err(),
            PkceError::TooLong { len: 129 }
        );
        assert_eq!(
            CodeVerifier::parse("").unwrap_err(),
            PkceError::TooShort { len: 0 }
        );
    }

    #[test]
    fn character_set() {
        let all = "ABCXYZabcxyz0189-._~".repeat(3);
        assert!(CodeVerifier::parse(all).is_ok());
        for bad in ['+', '/', '=', ' ', '%', 'é', '\n'] {
            let v = format!("{}{bad}{}", "a".repeat(10), "b".repeat(40));
            assert_eq!(
                CodeVerifier::parse(v).unwrap_err(),
                PkceError::InvalidCharacter { index: 10 },
                "{bad:?}"
            );
        }
    }

    #[test]
    fn random_byte_bounds() {
        for (len, ok) in [(0, false), (31, false), (32, true), (96, true), (97, false)] {
            let r = CodeVerifier::from_random_bytes(&vec![0xA5; len]);
            assert_eq!(r.is_ok(), ok, "{len}");
            if let Ok(v) = r {
                v.validate().unwrap();
                assert_eq!(v.expose().len(), (len * 4).div_ceil(3));
            }
        }
        assert_eq!(
            CodeVerifier::from_random_bytes(&[1; 96])
                .unwrap()
                .expose()
                .len(),
            CodeVerifier::MAX_LEN
        );
    }

    #[test]
    fn rfc7636_appendix_b() {
        let octets = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let v = CodeVerifier::from_random_bytes(&octets).unwrap();
        assert_eq!(v.expose(), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            v.challenge().to_string(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn errors_never_show_the_verifier() {
        let e = CodeVerifier::parse("CANARY+CANARY").unwrap_err();
        assert!(!format!("{e} {e:?}").contains("CANARY"));
    }

    quickcheck::quickcheck! {
        fn any_valid_random_bytes_make_a_valid_verifier(bytes: Vec<u8>) -> bool {
            let mut bytes = bytes;
            bytes.resize(32 + bytes.len() % 65, 0x5A);
            let v = CodeVerifier::from_random_bytes(&bytes).unwrap();
            v.validate().is_ok() && v.challenge().as_str().len() == 43
        }
    }
}
