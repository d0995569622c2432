//! [`Keyring`]: the keys that seal and open records at rest, each with a short id.

use std::fmt;

use base64::alphabet::STANDARD;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use chacha20poly1305::aead::KeyInit;
use chacha20poly1305::XChaCha20Poly1305;

use crate::Error;

/// How long a key is: XChaCha20-Poly1305 takes 256-bit keys.
pub const KEY_LEN: usize = 32;

/// Standard base64, padded or not (the keys' text form).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The keys a [`Sealed`](crate::Sealed) store seals and opens records with: the first key
/// seals every write, the others only open what they sealed before (a rotation in
/// progress). Each key is 32 random bytes with an id of 1 to 32 ASCII letters, digits, `-`
/// or `_`, which is written beside each sealed value so that the right key opens it.
///
/// The text form is `ID:BASE64KEY[,ID:BASE64KEY…]` (what `SLACK_OAUTH_KEYS` holds):
///
/// ```
/// use slack_oauth_store::Keyring;
///
/// let entry = Keyring::generate_entry("k2")?; // "k2:…44 base64 characters…"
/// let ring = Keyring::parse(&format!("{entry},k1:{}", "A".repeat(43)))?;
/// assert_eq!(ring.sealing_id(), "k2");
/// assert_eq!(ring.ids().collect::<Vec<_>>(), ["k2", "k1"]);
/// // The keys never show.
/// assert_eq!(format!("{ring:?}"), r#"Keyring { ids: ["k2", "k1"] }"#);
/// # Ok::<(), slack_oauth_store::Error>(())
/// ```
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<(String, XChaCha20Poly1305)>,
}

impl fmt::Debug for Keyring {
    /// The key ids only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("ids", &self.ids().collect::<Vec<_>>())
            .finish()
    }
}

fn config(detail: String) -> Error {
    Error::Config { detail }
}

/// Checks a key id: 1 to 32 of `[A-Za-z0-9_-]`.
pub(crate) fn valid_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Keyring {
    /// A ring of one key, `id`, which seals.
    pub fn new(id: &str, key: &[u8; KEY_LEN]) -> Result<Keyring, Error> {
        Keyring { keys: Vec::new() }.with(id, key)
    }

    /// This ring with `key` added after the others: it opens what it sealed before, and
    /// seals nothing.
    pub fn with(mut self, id: &str, key: &[u8; KEY_LEN]) -> Result<Keyring, Error> {
        if !valid_id(id) {
            return Err(config(format!(
                "`{}` is not a key id (1 to 32 of A-Z a-z 0-9 - _)",
                id.escape_default()
            )));
        }
        if self.keys.iter().any(|(known, _)| known == id) {
            return Err(config(format!("the key id `{id}` appears twice")));
        }
        self.keys
            .push((id.to_owned(), XChaCha20Poly1305::new(&(*key).into())));
        Ok(self)
    }

    /// Reads `ID:BASE64KEY[,ID:BASE64KEY…]` (32-byte keys in standard base64, padded or not;
    /// spaces around entries are ignored). Errors name the entry and its id, never the key.
    pub fn parse(text: &str) -> Result<Keyring, Error> {
        let mut ring = Keyring { keys: Vec::new() };
        for (n, entry) in text.split(',').map(str::trim).enumerate() {
            let n = n + 1;
            let Some((id, key)) = entry.split_once(':') else {
                return Err(config(format!(
                    "key entry {n} is not ID:BASE64KEY (no `:` in it)"
                )));
            };
            let decoded = BASE64.decode(key.trim()).map_err(|_| {
                config(format!(
                    "the key `{}` (entry {n}) is not standard base64",
                    id.escape_default()
                ))
            })?;
            let key: [u8; KEY_LEN] = decoded.try_into().map_err(|bytes: Vec<u8>| {
                config(format!(
                    "the key `{}` (entry {n}) is {} bytes long, not {KEY_LEN}",
                    id.escape_default(),
                    bytes.len()
                ))
            })?;
            ring = ring.with(id, &key)?;
        }
        Ok(ring)
    }

    /// A new ring entry `ID:BASE64KEY` with 32 bytes from the operating system's random
    /// source, to put first in a ring. The text is the key: keep it as secret as the tokens.
    pub fn generate_entry(id: &str) -> Result<String, Error> {
        let mut key = [0u8; KEY_LEN];
        crate::sealed::random(&mut key)?;
        // Checks the id.
        Keyring::new(id, &key)?;
        Ok(format!("{id}:{}", BASE64.encode(key)))
    }

    /// The id of the key that seals (the first).
    pub fn sealing_id(&self) -> &str {
        &self.keys[0].0
    }

    /// The key ids, the sealing one first.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|(id, _)| id.as_str())
    }

    /// The sealing key.
    pub(crate) fn sealing(&self) -> (&str, &XChaCha20Poly1305) {
        let (id, cipher) = &self.keys[0];
        (id, cipher)
    }

    /// The key `id`, if the ring holds it.
    pub(crate) fn get(&self, id: &str) -> Option<&XChaCha20Poly1305> {
        self.keys
            .iter()
            .find_map(|(known, cipher)| (known == id).then_some(cipher))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn rings_parse_padded_or_not() {
        let ring =
            Keyring::parse(&format!("new:{KEY}, old_1:{}", KEY.trim_end_matches('='))).unwrap();
        assert_eq!(ring.ids().collect::<Vec<_>>(), ["new", "old_1"]);
        assert_eq!(ring.sealing_id(), "new");
        assert!(ring.get("old_1").is_some() && ring.get("gone").is_none());
    }

    #[test]
    fn bad_rings_are_config_errors_without_the_key() {
        let short = "c2VjcmV0LWtleS1tYXRlcmlhbA==";
        for bad in [
            String::new(),
            KEY.to_string(),
            format!("k1:{short}"),
            format!("k1:{KEY}!"),
            format!("k 1:{KEY}"),
            format!(":{KEY}"),
            format!("{}:{KEY}", "k".repeat(33)),
            format!("k1:{KEY},k1:{KEY}"),
            format!("k1:{KEY},"),
        ] {
            let e = Keyring::parse(&bad).unwrap_err();
            assert!(matches!(e, Error::Config { .. }), "{bad}: {e:?}");
            let shown = format!("{e} {e:?}");
            assert!(
                !shown.contains(short) && !shown.contains(&KEY[..20]),
                "{shown}"
            );
        }
    }

    #[test]
    fn generated_entries_are_fresh_rings() {
        let a = Keyring::generate_entry("k-2").unwrap();
        let b = Keyring::generate_entry("k-2").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("k-2:") && a.len() == 4 + 44, "{}", a.len());
        assert_eq!(Keyring::parse(&a).unwrap().sealing_id(), "k-2");
        assert!(Keyring::generate_entry("bad id").is_err());
    }
}
