//! [`Sealed`]: records encrypted at rest, as one layer over any store.
//!
//! The layer sits above the store contract (core's `Store` / `AsyncStore`), not inside a
//! backend: every backend of this crate, and any store a user writes, gets it by
//! composition. Each value is serialized to JSON and sealed whole with XChaCha20-Poly1305
//! under the ring's first key and a random 192-bit nonce from the operating system; the
//! record's version and lease stay outside, as the keepers need them. The associated data
//! binds the sealed value to its record key and key id, so a value copied under another
//! key, or altered, does not open.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use slack_oauth_core::{
    store::{Lease, Record, Swap},
    AsyncStore, Store,
};

use crate::typed::Typed;
use crate::{Error, Keyring};

/// XChaCha20-Poly1305's nonce: 192 bits, so random nonces never repeat in practice.
const NONCE_LEN: usize = 24;
/// The envelope format, written into each sealed value.
const FORMAT: u8 = 1;
/// What the associated data starts with (then the key id, a NUL, the record key).
const AAD_PREFIX: &[u8] = b"slack-oauth sealed v1\0";

/// What a sealed store keeps under a key: a sealed value, or one written in clear before
/// sealing was turned on (read, and sealed at its next write).
#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Stored<T> {
    /// Sealed by a [`Sealed`] store.
    Sealed(Envelope),
    /// In clear.
    Plain(T),
}

impl<T> fmt::Debug for Stored<T> {
    /// Never the value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stored::Sealed(envelope) => f.debug_tuple("Sealed").field(envelope).finish(),
            Stored::Plain(_) => f.write_str("Plain(..)"),
        }
    }
}

/// A sealed value as stored: the key id, the nonce and the ciphertext (base64).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    sealed: u8,
    kid: String,
    nonce: String,
    data: String,
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Envelope {
    /// The id of the key that sealed it.
    pub fn key_id(&self) -> &str {
        &self.kid
    }
}

/// Why a sealed store could not seal or open a record. It becomes the inner store's error
/// (`From<SealFailure>`), which for this crate's stores is [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealFailure {
    /// The record under `key` was sealed under `key_id`, which the ring does not hold (or
    /// there is no ring).
    KeyMissing {
        /// The record key.
        key: String,
        /// The key id needed.
        key_id: String,
    },
    /// The record under `key` does not open: altered, or copied from another record.
    Tampered {
        /// The record key.
        key: String,
    },
    /// The value opened but is not a valid value, or could not be serialized.
    Invalid {
        /// The record key.
        key: String,
        /// What is wrong (never the value).
        detail: String,
    },
    /// The operating system's random source failed.
    Random(String),
    /// `rekey` was asked of a store without a ring.
    NoRing,
}

impl From<SealFailure> for Error {
    fn from(failure: SealFailure) -> Error {
        match failure {
            SealFailure::KeyMissing { key, key_id } => Error::KeyMissing { key, key_id },
            SealFailure::Tampered { key } => Error::Tampered { key },
            SealFailure::Invalid { key, detail } => Error::Corrupt {
                store: "sealed",
                key,
                detail,
            },
            SealFailure::Random(detail) => Error::Backend {
                store: "sealed",
                detail: format!("the random source failed: {detail}"),
            },
            SealFailure::NoRing => Error::Config {
                detail: "rekeying needs a keyring (SLACK_OAUTH_KEYS)".into(),
            },
        }
    }
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn random(buf: &mut [u8]) -> Result<(), SealFailure> {
    getrandom::fill(buf).map_err(|e| SealFailure::Random(e.to_string()))
}

fn aad(kid: &str, key: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_PREFIX.len() + kid.len() + 1 + key.len());
    aad.extend_from_slice(AAD_PREFIX);
    // Key ids hold no NUL, so the split is unambiguous.
    aad.extend_from_slice(kid.as_bytes());
    aad.push(0);
    aad.extend_from_slice(key.as_bytes());
    aad
}

/// Seals `value` for the record `key` under the ring's first key.
fn seal<T: Serialize>(ring: &Keyring, key: &str, value: &T) -> Result<Envelope, SealFailure> {
    let json = serde_json::to_vec(value).map_err(|e| SealFailure::Invalid {
        key: key.to_owned(),
        detail: format!("the value cannot be serialized ({:?})", e.classify()),
    })?;
    let mut nonce = [0u8; NONCE_LEN];
    random(&mut nonce)?;
    let (kid, cipher) = ring.sealing();
    let data = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &json,
                aad: &aad(kid, key),
            },
        )
        .map_err(|_| SealFailure::Invalid {
            key: key.to_owned(),
            detail: "the value is too large to seal".into(),
        })?;
    Ok(Envelope {
        sealed: FORMAT,
        kid: kid.to_owned(),
        nonce: STANDARD.encode(nonce),
        data: STANDARD.encode(data),
    })
}

/// Opens the record `key`'s sealed value.
fn open<T: DeserializeOwned>(
    ring: Option<&Keyring>,
    key: &str,
    envelope: &Envelope,
) -> Result<T, SealFailure> {
    let missing = || SealFailure::KeyMissing {
        key: key.to_owned(),
        key_id: envelope.kid.clone(),
    };
    let cipher: &XChaCha20Poly1305 = ring
        .ok_or_else(missing)?
        .get(&envelope.kid)
        .ok_or_else(missing)?;
    let tampered = || SealFailure::Tampered {
        key: key.to_owned(),
    };
    if envelope.sealed != FORMAT {
        return Err(tampered());
    }
    let nonce: [u8; NONCE_LEN] = (STANDARD.decode(&envelope.nonce).ok())
        .and_then(|n| n.try_into().ok())
        .ok_or_else(tampered)?;
    let data = STANDARD.decode(&envelope.data).map_err(|_| tampered())?;
    let json = cipher
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &data,
                aad: &aad(&envelope.kid, key),
            },
        )
        .map_err(|_| tampered())?;
    serde_json::from_slice(&json).map_err(|e| SealFailure::Invalid {
        key: key.to_owned(),
        detail: format!(
            "the opened value is not valid ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ),
    })
}

/// Whether a stored JSON value is a sealed one, and under which key id: lets a store
/// without a ring say which key a record needs instead of calling it unreadable.
pub(crate) fn sealed_key_id(json: &str) -> Option<String> {
    // What `seal` writes starts so; anything else is not parsed twice.
    if !json.starts_with("{\"sealed\":") {
        return None;
    }
    serde_json::from_str::<Envelope>(json).ok().map(|e| e.kid)
}

/// A record's rewrite under the first key: the version it replaces, the new value, the
/// lease kept.
type Rewrite<T> = (u64, Stored<T>, Option<Lease>);

/// How many records a [`Sealed::rekey`] looked at and rewrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Rekeyed {
    /// Records found under the prefix.
    pub records: usize,
    /// Rewritten under the ring's first key (sealed under another key, or in clear).
    pub rewritten: usize,
    /// Already sealed under the first key: left as they were.
    pub current: usize,
    /// Deleted by someone else while the rekey ran.
    pub vanished: usize,
}

/// A store of `T` whose values are sealed at rest: the store `S` keeps [`Stored<T>`] values
/// and never sees a value in clear once a ring is given.
///
/// ```
/// # #[cfg(feature = "sqlite")] {
/// use slack_oauth_core::Store;
/// use slack_oauth_store::{Keyring, SqliteStore};
///
/// # let dir = std::env::temp_dir().join(format!("slack-oauth-sealed-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let ring = Keyring::parse(&Keyring::generate_entry("k1")?)?;
/// let store = SqliteStore::<String>::open(dir.join("app.db"))?.sealed(Some(ring));
/// store.put("T1", &"xoxb-1".to_owned())?;
/// assert_eq!(store.load("T1")?.unwrap().value, "xoxb-1");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # }
/// # Ok::<(), slack_oauth_store::Error>(())
/// ```
///
/// Over a store of your own, `S: Store<Stored<T>>` (or `AsyncStore`) whose error type has
/// `From<SealFailure>`: [`Sealed::new`].
///
/// Without a ring ([`Sealed::new`] with `None`) values are written in clear and sealed
/// records fail to load with [`SealFailure::KeyMissing`]: turning sealing off never makes
/// a record look absent.
pub struct Sealed<S, T> {
    inner: S,
    ring: Option<Arc<Keyring>>,
    _value: PhantomData<fn() -> T>,
}

impl<S: Clone, T> Clone for Sealed<S, T> {
    fn clone(&self) -> Self {
        Sealed {
            inner: self.inner.clone(),
            ring: self.ring.clone(),
            _value: PhantomData,
        }
    }
}

impl<S: fmt::Debug, T> fmt::Debug for Sealed<S, T> {
    /// The store and the key ids, never a key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("store", &self.inner)
            .field("ring", &self.ring)
            .finish()
    }
}

impl<B, T> Typed<B, T> {
    /// This store with its values sealed under `ring` (in clear without one, which still
    /// reads sealed records as errors naming their key).
    pub fn sealed(self, ring: Option<Keyring>) -> Sealed<Typed<B, Stored<T>>, T> {
        Sealed::new(Typed::beneath_seal(self.backend), ring)
    }
}

impl<S, T> Sealed<S, T> {
    /// Seals what `inner` keeps with `ring`'s first key (in clear without a ring).
    pub fn new(inner: S, ring: Option<Keyring>) -> Sealed<S, T> {
        Sealed {
            inner,
            ring: ring.map(Arc::new),
            _value: PhantomData,
        }
    }

    /// The store underneath, which keeps [`Stored`] values.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The ring, if any.
    pub fn ring(&self) -> Option<&Keyring> {
        self.ring.as_deref()
    }

    fn sealed_value(&self, key: &str, value: &T) -> Result<Stored<T>, SealFailure>
    where
        T: Serialize + Clone,
    {
        match &self.ring {
            Some(ring) => seal(ring, key, value).map(Stored::Sealed),
            None => Ok(Stored::Plain(value.clone())),
        }
    }

    fn opened(&self, key: &str, record: Record<Stored<T>>) -> Result<Record<T>, SealFailure>
    where
        T: DeserializeOwned,
    {
        let value = match record.value {
            Stored::Plain(value) => value,
            Stored::Sealed(envelope) => open(self.ring.as_deref(), key, &envelope)?,
        };
        Ok(Record {
            value,
            version: record.version,
            lease: record.lease,
        })
    }

    /// What rekeying does with one loaded record: `None` when it is current.
    fn rekeyed(
        &self,
        ring: &Keyring,
        key: &str,
        record: Record<Stored<T>>,
    ) -> Result<Option<Rewrite<T>>, SealFailure>
    where
        T: Serialize + DeserializeOwned,
    {
        if let Stored::Sealed(envelope) = &record.value {
            if envelope.kid == ring.sealing_id() {
                // Opened anyway: a current record that does not open is reported, not
                // counted as done.
                open::<T>(Some(ring), key, envelope)?;
                return Ok(None);
            }
        }
        let version = record.version;
        let opened = self.opened(key, record)?;
        let sealed = seal(ring, key, &opened.value)?;
        Ok(Some((version, Stored::Sealed(sealed), opened.lease)))
    }
}

impl<S, T> Store<T> for Sealed<S, T>
where
    S: Store<Stored<T>>,
    S::Error: From<SealFailure>,
    T: Serialize + DeserializeOwned + Clone,
{
    type Error = S::Error;

    fn load(&self, key: &str) -> Result<Option<Record<T>>, S::Error> {
        match self.inner.load(key)? {
            Some(record) => Ok(Some(self.opened(key, record)?)),
            None => Ok(None),
        }
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> Result<Swap, S::Error> {
        let stored = self.sealed_value(key, value)?;
        self.inner.compare_and_swap(key, expected, &stored, lease)
    }

    fn delete(&self, key: &str) -> Result<bool, S::Error> {
        self.inner.delete(key)
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>, S::Error> {
        self.inner.keys(prefix)
    }

    fn put(&self, key: &str, value: &T) -> Result<u64, S::Error> {
        let stored = self.sealed_value(key, value)?;
        self.inner.put(key, &stored)
    }
}

impl<S, T> Sealed<S, T>
where
    S: Store<Stored<T>>,
    S::Error: From<SealFailure>,
    T: Serialize + DeserializeOwned + Clone,
{
    /// Rewrites every record under `prefix` that is not sealed under the ring's first key
    /// (in clear, or under an older key), each by compare-and-swap so that it is safe while
    /// keepers write (their leases are kept). First every record is opened: if one needs a
    /// key the ring lacks or does not open, nothing is written and that error is returned.
    pub fn rekey(&self, prefix: &str) -> Result<Rekeyed, S::Error> {
        let ring = self.ring.as_deref().ok_or(SealFailure::NoRing)?;
        let keys = self.inner.keys(prefix)?;
        for key in &keys {
            if let Some(record) = self.inner.load(key)? {
                self.rekeyed(ring, key, record)?;
            }
        }
        let mut counts = Rekeyed {
            records: keys.len(),
            ..Rekeyed::default()
        };
        for key in &keys {
            loop {
                let Some(record) = self.inner.load(key)? else {
                    counts.vanished += 1;
                    break;
                };
                let Some((version, sealed, lease)) = self.rekeyed(ring, key, record)? else {
                    counts.current += 1;
                    break;
                };
                let swap =
                    self.inner
                        .compare_and_swap(key, Some(version), &sealed, lease.as_ref())?;
                if let Swap::Stored { .. } = swap {
                    counts.rewritten += 1;
                    break;
                }
                // Someone wrote in between: look again.
            }
        }
        Ok(counts)
    }
}

// Sealing happens before the future is made, so the future never holds a `&T`.
impl<S, T> AsyncStore<T> for Sealed<S, T>
where
    S: AsyncStore<Stored<T>> + Sync,
    S::Error: From<SealFailure>,
    T: Serialize + DeserializeOwned + Clone + Send,
{
    type Error = S::Error;

    async fn load(&self, key: &str) -> Result<Option<Record<T>>, S::Error> {
        match self.inner.load(key).await? {
            Some(record) => Ok(Some(self.opened(key, record)?)),
            None => Ok(None),
        }
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<Swap, S::Error>> + Send {
        let stored = self.sealed_value(key, value);
        async move {
            let stored = stored?;
            self.inner
                .compare_and_swap(key, expected, &stored, lease)
                .await
        }
    }

    fn delete(&self, key: &str) -> impl Future<Output = Result<bool, S::Error>> + Send {
        self.inner.delete(key)
    }

    fn keys(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, S::Error>> + Send {
        self.inner.keys(prefix)
    }

    fn put(&self, key: &str, value: &T) -> impl Future<Output = Result<u64, S::Error>> + Send {
        let stored = self.sealed_value(key, value);
        async move {
            let stored = stored?;
            self.inner.put(key, &stored).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slack_oauth_core::MemoryStore;

    #[derive(Debug)]
    struct MemError(SealFailure);
    impl fmt::Display for MemError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{:?}", self.0)
        }
    }
    impl std::error::Error for MemError {}
    impl From<SealFailure> for MemError {
        fn from(f: SealFailure) -> Self {
            MemError(f)
        }
    }

    fn ring(ids: &[&str]) -> Keyring {
        let mut ring: Option<Keyring> = None;
        for id in ids {
            // The key is the id's first letter, repeated.
            let key = [id.as_bytes()[0]; KEY_LEN_TEST];
            ring = Some(match ring {
                None => Keyring::new(id, &key).unwrap(),
                Some(r) => r.with(id, &key).unwrap(),
            });
        }
        ring.unwrap()
    }
    const KEY_LEN_TEST: usize = crate::keyring::KEY_LEN;

    #[test]
    fn values_open_only_under_their_own_key_and_id() {
        let ring = ring(&["a", "b"]);
        let env = seal(&ring, "T1", &"xoxb-SECRET".to_owned()).unwrap();
        let shown = serde_json::to_string(&env).unwrap();
        assert!(
            !shown.contains("xox") && !shown.contains("SECRET"),
            "{shown}"
        );
        assert_eq!(
            open::<String>(Some(&ring), "T1", &env).unwrap(),
            "xoxb-SECRET"
        );
        // Another record's key.
        assert_eq!(
            open::<String>(Some(&ring), "T2", &env),
            Err(SealFailure::Tampered { key: "T2".into() })
        );
        // Another key id naming a key with the same bytes: the id is bound too.
        let mut moved = env.clone();
        moved.kid = "b".into();
        let same_bytes = Keyring::new("a", &[b'a'; KEY_LEN_TEST])
            .unwrap()
            .with("b", &[b'a'; KEY_LEN_TEST])
            .unwrap();
        assert!(matches!(
            open::<String>(Some(&same_bytes), "T1", &moved),
            Err(SealFailure::Tampered { .. })
        ));
        // Every single bit of the ciphertext.
        let data = STANDARD.decode(&env.data).unwrap();
        for bit in 0..data.len() * 8 {
            let mut flipped = data.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            let mut bad = env.clone();
            bad.data = STANDARD.encode(flipped);
            assert!(matches!(
                open::<String>(Some(&ring), "T1", &bad),
                Err(SealFailure::Tampered { .. })
            ));
        }
        // A key the ring lacks, or no ring.
        let other = Keyring::new("c", &[1; KEY_LEN_TEST]).unwrap();
        let missing = SealFailure::KeyMissing {
            key: "T1".into(),
            key_id: "a".into(),
        };
        assert_eq!(
            open::<String>(Some(&other), "T1", &env),
            Err(missing.clone())
        );
        assert_eq!(open::<String>(None, "T1", &env), Err(missing));
    }

    #[test]
    fn nonces_are_fresh() {
        let ring = ring(&["a"]);
        let a = seal(&ring, "T1", &1u32).unwrap();
        let b = seal(&ring, "T1", &1u32).unwrap();
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.data, b.data);
    }

    #[test]
    fn a_layer_over_a_store_of_ones_own() {
        // MemoryStore's error never happens; wrap it to give the layer an error it can use.
        struct Mine(MemoryStore<Stored<String>>);
        impl Store<Stored<String>> for Mine {
            type Error = MemError;
            fn load(&self, key: &str) -> Result<Option<Record<Stored<String>>>, MemError> {
                Ok(Store::load(&self.0, key).unwrap())
            }
            fn compare_and_swap(
                &self,
                key: &str,
                expected: Option<u64>,
                value: &Stored<String>,
                lease: Option<&Lease>,
            ) -> Result<Swap, MemError> {
                Ok(Store::compare_and_swap(&self.0, key, expected, value, lease).unwrap())
            }
            fn delete(&self, key: &str) -> Result<bool, MemError> {
                Ok(Store::delete(&self.0, key).unwrap())
            }
            fn keys(&self, prefix: &str) -> Result<Vec<String>, MemError> {
                Ok(Store::keys(&self.0, prefix).unwrap())
            }
        }
        let mem = Arc::new(Mine(MemoryStore::new()));
        let plain: Sealed<_, String> = Sealed::new(mem.clone(), None);
        Store::put(&plain, "T1", &"xoxb-old".into()).unwrap();
        let sealed: Sealed<_, String> = Sealed::new(mem.clone(), Some(ring(&["a"])));
        assert_eq!(
            Store::load(&sealed, "T1").unwrap().unwrap().value,
            "xoxb-old"
        );
        Store::put(&sealed, "T2", &"xoxb-new".into()).unwrap();
        assert!(matches!(
            Store::load(&mem.0, "T2").unwrap().unwrap().value,
            Stored::Sealed(_)
        ));
        let e = Store::load(&plain, "T2").unwrap_err();
        assert!(matches!(e.0, SealFailure::KeyMissing { ref key_id, .. } if key_id == "a"));
        let counts = sealed.rekey("").unwrap();
        assert_eq!(
            counts,
            Rekeyed {
                records: 2,
                rewritten: 1,
                current: 1,
                vanished: 0
            }
        );
        assert!(matches!(
            Store::load(&mem.0, "T1").unwrap().unwrap().value,
            Stored::Sealed(_)
        ));
        assert_eq!(sealed.rekey("").unwrap().current, 2);
    }
}
