//! [`MemoryStore`]: a [`Store`] (and [`AsyncStore`](crate::AsyncStore)) in this process's memory.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::{ready, Future};
use std::sync::{Mutex, MutexGuard};

use crate::store_traits::{Lease, Record, Store, Swap};

/// A [`Store`] in this process's memory: for tests, single-process apps, and as the model
/// of what a shared store must do. Share one between keepers with an `Arc`.
///
/// It is an [`AsyncStore`](crate::AsyncStore) too, whose futures are ready at once (it never waits but for its
/// own short lock), so the async keeper takes it as it is.
///
/// ```
/// use slack_oauth_core::{MemoryStore, Store, store::Swap};
///
/// let store = MemoryStore::new();
/// assert_eq!(store.compare_and_swap("T1", None, &"first", None)?, Swap::Stored { version: 1 });
/// // A writer that read nothing (or an old version) loses:
/// assert_eq!(store.compare_and_swap("T1", None, &"second", None)?, Swap::Conflict);
/// let record = store.load("T1")?.unwrap();
/// assert_eq!((record.value, record.version), ("first", 1));
/// assert_eq!(store.compare_and_swap("T1", Some(1), &"second", None)?, Swap::Stored { version: 2 });
/// # Ok::<(), std::convert::Infallible>(())
/// ```
pub struct MemoryStore<T> {
    inner: Mutex<Memory<T>>,
}

struct Memory<T> {
    records: HashMap<String, Record<T>>,
    /// The last version handed out, for any key: versions are never reused.
    last_version: u64,
}

impl<T> MemoryStore<T> {
    /// An empty store.
    pub fn new() -> MemoryStore<T> {
        MemoryStore {
            inner: Mutex::new(Memory {
                records: HashMap::new(),
                last_version: 0,
            }),
        }
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.lock().records.len()
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // Every change is a single map operation, so a panic elsewhere cannot leave the map
    // half-written: a poisoned lock is safe to use.
    fn lock(&self) -> MutexGuard<'_, Memory<T>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T> Default for MemoryStore<T> {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl<T> fmt::Debug for MemoryStore<T> {
    /// Shows how many records there are, never their values (they hold tokens).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("records", &self.len())
            .finish_non_exhaustive()
    }
}

impl<T: Clone> Store<T> for MemoryStore<T> {
    type Error = Infallible;

    fn load(&self, key: &str) -> Result<Option<Record<T>>, Infallible> {
        Ok(self.lock().records.get(key).cloned())
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> Result<Swap, Infallible> {
        let mut memory = self.lock();
        let current = memory.records.get(key).map(|r| r.version);
        if current != expected {
            return Ok(Swap::Conflict);
        }
        memory.last_version += 1;
        let version = memory.last_version;
        memory.records.insert(
            key.to_owned(),
            Record {
                value: value.clone(),
                version,
                lease: lease.cloned(),
            },
        );
        Ok(Swap::Stored { version })
    }

    fn delete(&self, key: &str) -> Result<bool, Infallible> {
        Ok(self.lock().records.remove(key).is_some())
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>, Infallible> {
        let mut keys: Vec<String> = (self.lock().records.keys())
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect();
        keys.sort_unstable();
        Ok(keys)
    }
}

// Not imported: the module's tests call `Store` methods on memory stores as methods.
impl<T: Clone + Send> crate::store_traits::AsyncStore<T> for MemoryStore<T> {
    type Error = Infallible;

    fn load(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<Record<T>>, Infallible>> + Send {
        ready(Store::load(self, key))
    }

    fn compare_and_swap(
        &self,
        key: &str,
        expected: Option<u64>,
        value: &T,
        lease: Option<&Lease>,
    ) -> impl Future<Output = Result<Swap, Infallible>> + Send {
        ready(Store::compare_and_swap(self, key, expected, value, lease))
    }

    fn delete(&self, key: &str) -> impl Future<Output = Result<bool, Infallible>> + Send {
        ready(Store::delete(self, key))
    }

    fn keys(&self, prefix: &str) -> impl Future<Output = Result<Vec<String>, Infallible>> + Send {
        ready(Store::keys(self, prefix))
    }

    fn put(&self, key: &str, value: &T) -> impl Future<Output = Result<u64, Infallible>> + Send {
        ready(Store::put(self, key, value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn versions_are_never_reused() {
        let store = MemoryStore::new();
        let Swap::Stored { version: v1 } = store.compare_and_swap("k", None, &1, None).unwrap()
        else {
            panic!()
        };
        assert!(store.delete("k").unwrap());
        assert!(!store.delete("k").unwrap());
        assert!(store.load("k").unwrap().is_none());
        // Re-created: a writer still holding v1 must lose.
        let Swap::Stored { version: v2 } = store.compare_and_swap("k", None, &2, None).unwrap()
        else {
            panic!()
        };
        assert_ne!(v1, v2);
        assert_eq!(
            store.compare_and_swap("k", Some(v1), &3, None).unwrap(),
            Swap::Conflict
        );
        assert_eq!(store.load("k").unwrap().unwrap().value, 2);
    }

    #[test]
    fn conflicts_on_absent_or_present() {
        let store = MemoryStore::new();
        assert_eq!(
            store.compare_and_swap("k", Some(7), &1, None).unwrap(),
            Swap::Conflict,
            "nothing to swap"
        );
        assert!(store.is_empty());
        assert_eq!(
            store.compare_and_swap("k", None, &1, None).unwrap(),
            Swap::Stored { version: 1 }
        );
        assert_eq!(
            store.compare_and_swap("k", None, &2, None).unwrap(),
            Swap::Conflict,
            "already created"
        );
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn leases_are_stored_and_dropped_by_put() {
        let store = Arc::new(MemoryStore::new());
        let lease = Lease {
            holder: "p1".into(),
            expires_at: NOW + 60,
        };
        let Swap::Stored { version } = store
            .compare_and_swap("k", None, &"v", Some(&lease))
            .unwrap()
        else {
            panic!()
        };
        let record = store.load("k").unwrap().unwrap();
        assert_eq!(record.lease.as_ref(), Some(&lease));
        assert!(lease.is_live(NOW + 59));
        assert!(!lease.is_live(NOW + 60));
        let put = store.put("k", &"w").unwrap();
        assert!(put > version);
        let record = store.load("k").unwrap().unwrap();
        assert_eq!((record.value, record.lease), ("w", None));
        // A record serializes with its lease, for stores that keep JSON.
        let json = serde_json::to_string(&Record {
            value: 1,
            version: 2,
            lease: Some(lease),
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"value":1,"version":2,"lease":{"holder":"p1","expires_at":1700000060}}"#
        );
    }

    #[test]
    fn concurrent_swaps_from_one_version_have_one_winner() {
        let store = Arc::new(MemoryStore::new());
        assert_eq!(store.put("k", &0u32).unwrap(), 1);
        let winners: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (1..=16u32)
                .map(|i| {
                    let store = &store;
                    s.spawn(move || {
                        store.compare_and_swap("k", Some(1), &i, None).unwrap() != Swap::Conflict
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| usize::from(h.join().unwrap()))
                .sum()
        });
        assert_eq!(winners, 1);
    }

    #[test]
    fn keys_lists_a_prefix_in_order() {
        let store = MemoryStore::new();
        for key in ["A1//T1/user/U2", "A1//T1/bot", "A1//T10/bot", "A2//T1/bot"] {
            store.put(key, &0).unwrap();
        }
        assert_eq!(
            store.keys("A1//T1/").unwrap(),
            ["A1//T1/bot", "A1//T1/user/U2"]
        );
        assert_eq!(store.keys("").unwrap().len(), 4);
        assert!(store.keys("A3").unwrap().is_empty());
    }

    /// Polls `future` once: the memory store's futures must be ready at once.
    fn ready_now<F: Future>(future: F) -> F::Output {
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        match std::pin::pin!(future).poll(&mut context) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("a memory store future was not ready"),
        }
    }

    #[test]
    fn async_calls_share_the_records_of_blocking_ones() {
        use crate::store_traits::{AsyncStore, Blocking};
        let store = Arc::new(MemoryStore::new());
        // The async keeper's usual store: an `Arc` of a memory store, as it is.
        assert_eq!(ready_now(AsyncStore::put(&store, "k", &1)).unwrap(), 1);
        assert_eq!(Store::load(&*store, "k").unwrap().unwrap().value, 1);
        // Any blocking store, wrapped, sees and changes the same records.
        let wrapped = Blocking(Arc::clone(&store));
        assert_eq!(
            ready_now(AsyncStore::compare_and_swap(
                &wrapped,
                "k",
                Some(1),
                &2,
                None
            ))
            .unwrap(),
            Swap::Stored { version: 2 }
        );
        assert_eq!(
            ready_now(AsyncStore::compare_and_swap(
                &*store,
                "k",
                Some(1),
                &3,
                None
            ))
            .unwrap(),
            Swap::Conflict
        );
        assert_eq!(ready_now(AsyncStore::keys(&wrapped, "")).unwrap(), ["k"]);
        let record = ready_now(AsyncStore::load(&*store, "k")).unwrap().unwrap();
        assert_eq!((record.value, record.version), (2, 2));
        assert!(ready_now(AsyncStore::delete(&wrapped, "k")).unwrap());
        assert!(ready_now(AsyncStore::load(&store, "k")).unwrap().is_none());
    }

    #[test]
    fn debug_hides_values() {
        let store = MemoryStore::new();
        store.put("T1", &"xoxe.xoxb-1-SECRET").unwrap();
        let shown = format!("{store:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("records: 1"), "{shown}");
    }
}
