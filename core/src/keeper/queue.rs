//! The per-key single flight both keepers share: a [`Queue`] of per-key places in line, each
//! with a [`KeyLock`] over the key's [`KeyState`], and the [`Turn`] a run takes under it.
//!
//! The lock is checked out rather than borrowed: the holder owns the state until its
//! [`Held`] drops, so a holder may await (and move between threads) with it, and no `unsafe`
//! is needed. A blocking waiter parks on a condition variable; an async waiter leaves its
//! waker in line and is woken in turn.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::keeper::{KeyState, Renewable};

/// Per-key places in line: each key's lock and a count of the runs finished under it.
/// Entries go away when nobody holds or awaits them, so the map does not grow with every key
/// ever refreshed, unless the last run asked to keep its state ([`Entry::keep`]).
pub(crate) struct Queue<L> {
    entries: Mutex<HashMap<String, Arc<Entry<L>>>>,
}

/// One key's lock and run count, shared by the callers of that key.
pub(crate) struct Entry<L> {
    finished: AtomicU64,
    keep: AtomicBool,
    lock: L,
}

impl<L> Entry<L> {
    /// The key's lock.
    pub(crate) fn lock(&self) -> &L {
        &self.lock
    }

    /// How many runs finished under the lock: read before queueing and again once the lock
    /// is held, to tell whether a run finished meanwhile.
    pub(crate) fn finished(&self) -> u64 {
        self.finished.load(Ordering::Acquire)
    }

    /// Whether the entry, and the lock's state with it, stays when nobody holds or awaits
    /// it ([`KeyState::is_worth_keeping`]).
    pub(crate) fn keep(&self, keep: bool) {
        self.keep.store(keep, Ordering::Release);
    }
}

/// A caller's place in a key's line. Dropping it (when the caller returns, unwinds or is
/// cancelled) removes the key's entry once nobody else holds or awaits it.
pub(crate) struct Place<L> {
    queue: Arc<Queue<L>>,
    key: String,
    entry: Arc<Entry<L>>,
}

impl<L> Place<L> {
    /// The key.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }
}

impl<L> std::ops::Deref for Place<L> {
    type Target = Entry<L>;

    fn deref(&self) -> &Entry<L> {
        &self.entry
    }
}

impl<L> Drop for Place<L> {
    fn drop(&mut self) {
        let mut entries = self.queue.entries();
        // Clones are only made under the map lock, so the count cannot rise meanwhile; a
        // task still running holds its own clone and keeps the entry.
        if Arc::strong_count(&self.entry) == 2 && !self.entry.keep.load(Ordering::Acquire) {
            entries.remove(&self.key);
        }
    }
}

impl<L: Default> Queue<L> {
    /// An empty queue.
    pub(crate) fn new() -> Queue<L> {
        Queue {
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a place in the line for `key`. The place owns a handle on the queue, so it can
    /// move into a task.
    pub(crate) fn enter(self: &Arc<Self>, key: &str) -> Place<L> {
        let entry = Arc::clone(self.entries().entry(key.to_owned()).or_default());
        Place {
            queue: Arc::clone(self),
            key: key.to_owned(),
            entry,
        }
    }

    /// How many keys have callers in line.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries().len()
    }
}

impl<L> Queue<L> {
    fn entries(&self) -> MutexGuard<'_, HashMap<String, Arc<Entry<L>>>> {
        // Changed only by single inserts and removes: usable after a panic elsewhere.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<L: Default> Default for Entry<L> {
    fn default() -> Self {
        Entry {
            finished: AtomicU64::new(0),
            keep: AtomicBool::new(false),
            lock: L::default(),
        }
    }
}

/// A lock whose value is checked out by its holder ([`Held`]) and put back when the holder
/// drops it, for blocking ([`KeyLock::lock`]) and async ([`KeyLock::acquire`]) holders.
pub(crate) struct KeyLock<T> {
    inner: Mutex<Line<T>>,
    freed: Condvar,
}

/// The value while nobody holds it, and the async waiters in order of arrival.
struct Line<T> {
    value: Option<T>,
    waiters: VecDeque<(u64, Waker)>,
    next: u64,
}

impl<T: Default> Default for KeyLock<T> {
    fn default() -> Self {
        KeyLock {
            inner: Mutex::new(Line {
                value: Some(T::default()),
                waiters: VecDeque::new(),
                next: 0,
            }),
            freed: Condvar::new(),
        }
    }
}

impl<T> KeyLock<T> {
    fn line(&self) -> MutexGuard<'_, Line<T>> {
        // Every change is a single assignment or push: usable after a panic elsewhere.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits, blocking the thread, until the value is free, and checks it out.
    pub(crate) fn lock(&self) -> Held<'_, T> {
        let mut line = self.line();
        loop {
            if let Some(value) = line.value.take() {
                return Held {
                    lock: self,
                    value: Some(value),
                };
            }
            line = self.freed.wait(line).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Waits, as a future, until the value is free, and checks it out.
    pub(crate) fn acquire(&self) -> Acquire<'_, T> {
        Acquire {
            lock: self,
            id: None,
            done: false,
        }
    }

    fn put_back(&self, value: T) {
        let mut line = self.line();
        line.value = Some(value);
        let next = line.waiters.pop_front();
        drop(line);
        if let Some((_, waker)) = next {
            waker.wake();
        }
        self.freed.notify_one();
    }
}

/// The value of a [`KeyLock`], held until dropped.
pub(crate) struct Held<'a, T> {
    lock: &'a KeyLock<T>,
    value: Option<T>,
}

impl<T> std::ops::Deref for Held<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_ref().expect("held until dropped")
    }
}

impl<T> std::ops::DerefMut for Held<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value.as_mut().expect("held until dropped")
    }
}

impl<T> Drop for Held<'_, T> {
    fn drop(&mut self) {
        if let Some(value) = self.value.take() {
            self.lock.put_back(value);
        }
    }
}

/// The future of [`KeyLock::acquire`].
pub(crate) struct Acquire<'a, T> {
    lock: &'a KeyLock<T>,
    /// Its place among the waiters, once it waited.
    id: Option<u64>,
    done: bool,
}

impl<'a, T> Future for Acquire<'a, T> {
    type Output = Held<'a, T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Held<'a, T>> {
        let this = self.get_mut();
        let mut line = this.lock.line();
        if let Some(value) = line.value.take() {
            if let Some(id) = this.id.take() {
                line.waiters.retain(|(waiting, _)| *waiting != id);
            }
            this.done = true;
            return Poll::Ready(Held {
                lock: this.lock,
                value: Some(value),
            });
        }
        match this.id {
            Some(id) => match line.waiters.iter_mut().find(|(waiting, _)| *waiting == id) {
                Some((_, waker)) => waker.clone_from(cx.waker()),
                // Woken, but another caller took the value first: first in line again.
                None => line.waiters.push_front((id, cx.waker().clone())),
            },
            None => {
                let id = line.next;
                line.next += 1;
                line.waiters.push_back((id, cx.waker().clone()));
                this.id = Some(id);
            }
        }
        Poll::Pending
    }
}

impl<T> Drop for Acquire<'_, T> {
    fn drop(&mut self) {
        let (Some(id), false) = (self.id, self.done) else {
            return;
        };
        let mut line = self.lock.line();
        let before = line.waiters.len();
        line.waiters.retain(|(waiting, _)| *waiting != id);
        // Woken but gone without taking the value: the wake passes to the next in line.
        if line.waiters.len() == before && line.value.is_some() {
            if let Some((_, waker)) = line.waiters.pop_front() {
                drop(line);
                waker.wake();
            }
        }
    }
}

/// A run's turn under its key's lock: the key's state, and whether another run finished
/// while this one waited. Dropping it (the run ended, unwound or was cancelled) records the
/// run as finished and whether the state is worth keeping, with the lock still held, so no
/// driver can forget either.
pub(crate) struct Turn<'a, R: Renewable> {
    place: &'a Place<KeyLock<KeyState<R>>>,
    held: Held<'a, KeyState<R>>,
    behind: bool,
}

impl<'a, R: Renewable> Turn<'a, R> {
    /// The turn of `held`, taken by a caller who read `ticket` ([`Entry::finished`]) before
    /// it queued.
    pub(crate) fn new(
        place: &'a Place<KeyLock<KeyState<R>>>,
        ticket: u64,
        held: Held<'a, KeyState<R>>,
    ) -> Turn<'a, R> {
        let behind = place.finished() != ticket;
        Turn {
            place,
            held,
            behind,
        }
    }

    /// Whether a run finished while this one waited (its record may be out of date).
    pub(crate) fn behind(&self) -> bool {
        self.behind
    }

    /// The key's state, for the run's [`Machine`](crate::keeper::Machine).
    pub(crate) fn state(&mut self) -> &mut KeyState<R> {
        &mut self.held
    }
}

impl<R: Renewable> Drop for Turn<'_, R> {
    fn drop(&mut self) {
        self.place.keep(self.held.is_worth_keeping());
        self.place.finished.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Wake;

    struct Count(AtomicU64);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn async_waiters_are_served_in_turn_and_a_dropped_waiter_passes_its_wake_on() {
        let lock = KeyLock::<u32>::default();
        let (first, second) = (Arc::new(Count(0.into())), Arc::new(Count(0.into())));
        let held = lock.lock();
        let (mut a, mut b) = (Box::pin(lock.acquire()), Box::pin(lock.acquire()));
        let waker = Waker::from(Arc::clone(&first));
        assert!(a
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        let waker = Waker::from(Arc::clone(&second));
        assert!(b
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        drop(held);
        assert_eq!(
            first.0.load(Ordering::Relaxed),
            1,
            "the first in line is woken"
        );
        assert_eq!(second.0.load(Ordering::Relaxed), 0);
        drop(a); // woken, but gone without taking the value
        assert_eq!(second.0.load(Ordering::Relaxed), 1, "the wake passed on");
        let mut cx = Context::from_waker(Waker::noop());
        let Poll::Ready(mut held) = b.as_mut().poll(&mut cx) else {
            panic!("the value is free");
        };
        *held += 1;
        drop(held);
        assert_eq!(*lock.lock(), 1, "the value is put back as changed");
    }
}
