//! The sealing layer's canary: neither the keyring's keys nor a sealed value's plaintext
//! appear in any `Debug`, `Display` or error, whatever fails.

use slack_oauth_core::{MemoryStore, Store};
use slack_oauth_store::{Error, Keyring, SealFailure, Sealed, Stored};

/// The key's base64 (`CANARY…` decoded is the key): a marker that shows if printed.
const KEY_B64: &str = "Q0FOQVJZLWtleS1tYXRlcmlhbC0zMi1ieXRlcy0hISE=";
const PLAIN: &str = "xoxb-CANARY-plaintext";

fn assert_clean(what: &str, shown: &str) {
    for canary in ["CANARY", "Q0FOQVJZ", &KEY_B64[10..30], "xox"] {
        assert!(
            !shown.contains(canary),
            "{what} printed `{canary}`: {shown}"
        );
    }
}

#[derive(Debug)]
struct MemError(SealFailure);
impl std::fmt::Display for MemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", Error::from(self.0.clone()))
    }
}
impl std::error::Error for MemError {}
impl From<SealFailure> for MemError {
    fn from(f: SealFailure) -> Self {
        MemError(f)
    }
}

/// A memory store with an error type the layer can use.
struct Mem(MemoryStore<Stored<String>>);
impl std::fmt::Debug for Mem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mem")
    }
}
impl Store<Stored<String>> for Mem {
    type Error = MemError;
    fn load(
        &self,
        key: &str,
    ) -> Result<Option<slack_oauth_core::store::Record<Stored<String>>>, MemError> {
        Ok(Store::load(&self.0, key).unwrap())
    }
    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &Stored<String>,
        lease: Option<&slack_oauth_core::store::Lease>,
    ) -> Result<slack_oauth_core::store::Swap, MemError> {
        Ok(Store::compare_and_swap(&self.0, key, expected, value, lease).unwrap())
    }
    fn delete(&self, key: &str) -> Result<bool, MemError> {
        Ok(Store::delete(&self.0, key).unwrap())
    }
    fn keys(&self, prefix: &str) -> Result<Vec<String>, MemError> {
        Ok(Store::keys(&self.0, prefix).unwrap())
    }
}

#[test]
fn keys_and_plaintext_never_show() {
    let entry = format!("canary:{KEY_B64}");
    let ring = Keyring::parse(&entry).unwrap();
    assert_clean("Keyring", &format!("{ring:?}"));

    let mem = std::sync::Arc::new(Mem(MemoryStore::new()));
    let store: Sealed<_, String> = Sealed::new(mem.clone(), Some(ring.clone()));
    store.put("T1", &PLAIN.to_owned()).unwrap();
    // The canary really went in, and opens.
    assert_eq!(store.load("T1").unwrap().unwrap().value, PLAIN);
    assert_clean("Sealed", &format!("{store:?}"));
    let stored = Store::load(&mem.0, "T1").unwrap().unwrap();
    assert_clean("Stored", &format!("{:?}", stored.value));
    assert_clean(
        "the sealed JSON",
        &serde_json::to_string(&stored.value).unwrap(),
    );
    assert_clean(
        "Stored::Plain",
        &format!("{:?}", Stored::Plain(PLAIN.to_owned())),
    );

    // Every failure: a tampered value, a missing key, a malformed ring.
    Store::put(&mem.0, "T2", &stored.value).unwrap();
    let e = store.load("T2").unwrap_err();
    assert!(matches!(e.0, SealFailure::Tampered { .. }));
    assert_clean("Tampered", &format!("{e} {e:?}"));
    let other: Sealed<_, String> =
        Sealed::new(mem.clone(), Some(Keyring::new("other", &[7; 32]).unwrap()));
    let e = other.load("T1").unwrap_err();
    assert!(matches!(e.0, SealFailure::KeyMissing { .. }));
    assert_clean("KeyMissing", &format!("{e} {e:?}"));
    for bad in [
        format!("canary:{}", &KEY_B64[..40]),
        format!("canary:{KEY_B64}!"),
        format!("bad id:{KEY_B64}"),
        format!("{entry},{entry}"),
        KEY_B64.to_owned(),
    ] {
        let e = Keyring::parse(&bad).unwrap_err();
        assert_clean("a ring error", &format!("{e} {e:?}"));
    }
}
