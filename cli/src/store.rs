//! `rotate-config-token --store FILE`: the configuration token pair kept in a JSON file,
//! replaced atomically so that neither a crash nor a Slack error loses the last working
//! refresh token.
//!
//! What a run guarantees, in order:
//!
//! 1. FILE is locked (an advisory lock on the file itself, held until the run ends), so two
//!    runs on one store take turns and the second rotates the pair the first stored.
//! 2. Temporary files a killed run left beside FILE (`.slack-oauth-store-NAME.XXXXXXXX.tmp`,
//!    NAME being FILE's name) are looked at: one holding a newer pair of the same team and
//!    user is the live pair and is used; empty, unreadable and older ones are removed.
//! 3. Everything the final rename needs is checked *before* Slack is called, while the old
//!    refresh token still works: a temporary file can be created in the folder, and the
//!    folder is not a sticky one (mode 1777, like /tmp) that forbids replacing FILE.
//! 4. After a successful rotation the new pair is written to the temporary file, fsynced,
//!    renamed over FILE and the folder fsynced. If the rename fails, the temporary file is
//!    kept (0600) and its path reported: the new pair is never only in memory.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use slack_oauth::tooling_tokens::RotateResponse;
use tempfile::NamedTempFile;

use crate::fail::Failure;

/// A store file is one small JSON object; anything this large is not one.
const MAX_STORE_BYTES: u64 = 1024 * 1024;
/// Temporary files are `.slack-oauth-store-NAME.` + this many random characters + `.tmp`.
const RANDOM_CHARS: usize = 8;
const TEMP_PREFIX: &str = ".slack-oauth-store-";
const TEMP_SUFFIX: &str = ".tmp";
/// How often the lock is retried when FILE was replaced while we waited for it.
const LOCK_ATTEMPTS: usize = 16;

/// An open, locked store: the current pair and a temporary file ready for the next one.
pub struct Store {
    path: PathBuf,
    dir: PathBuf,
    temp: NamedTempFile,
    /// A leftover whose pair is the current one; removed once the store holds a newer pair.
    recovered: Option<PathBuf>,
    /// FILE, opened and locked; the lock goes when this is dropped (at the end of the run).
    _lock: File,
}

/// Why [`Store::replace`] did not replace the store.
pub enum ReplaceError {
    /// The new pair could not be written to the temporary file (full disk, I/O error): it
    /// exists nowhere on disk.
    NotWritten(std::io::Error),
    /// The new pair is in the temporary file `kept`, which could not be renamed over FILE.
    Kept {
        /// Why the rename failed.
        error: std::io::Error,
        /// The kept temporary file (0600).
        kept: PathBuf,
    },
}

impl Store {
    /// Locks `path`, reads the current pair (or a newer one a killed run left beside it) and
    /// prepares a temporary file, checking that it can later replace the store.
    pub fn open(path: &Path) -> Result<(Store, RotateResponse), Failure> {
        // Follow a symlink so the rename replaces the real file, not the link.
        let path = std::fs::canonicalize(path).map_err(|e| {
            Failure::Usage(format!("cannot open the store {}: {e}", path.display()))
        })?;
        let shown = path.display().to_string();
        let (lock, bytes) = lock_and_read(&path)?;
        let stored = parse(&bytes).map_err(|e| {
            Failure::Usage(format!(
                "the store {shown} is not a configuration token pair (an object with token, \
                 refresh_token, team_id, user_id, iat, exp): {e}"
            ))
        })?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let name = path
            .file_name()
            .ok_or_else(|| Failure::Usage(format!("the store {shown} is not a file")))?
            .to_os_string();

        let (current, recovered) = recover(&dir, &name, stored);
        if let Some(leftover) = &recovered {
            eprintln!(
                "found a newer pair in {} (left by a run that stopped before it replaced the \
                 store); rotating that one",
                leftover.display()
            );
        }

        let mut prefix = OsStr::new(TEMP_PREFIX).to_os_string();
        prefix.push(&name);
        prefix.push(".");
        let temp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(TEMP_SUFFIX)
            .rand_bytes(RANDOM_CHARS)
            .tempfile_in(&dir)
            .map_err(|e| {
                Failure::Usage(format!(
                    "cannot create a temporary file in {} to replace the store: {e}",
                    dir.display()
                ))
            })?;
        check_replaceable(&path, &dir, temp.as_file())?;
        Ok((
            Store {
                path,
                dir,
                temp,
                recovered,
                _lock: lock,
            },
            current,
        ))
    }

    /// Replaces the store with `pair`: write, fsync, rename, fsync the folder.
    pub fn replace(self, pair: &RotateResponse) -> Result<(), ReplaceError> {
        let Store {
            path,
            dir,
            mut temp,
            recovered,
            _lock,
        } = self;
        let written = serde_json::to_vec_pretty(pair)
            .map_err(std::io::Error::other)
            .and_then(|mut text| {
                text.push(b'\n');
                temp.write_all(&text)?;
                temp.as_file().sync_all()
            });
        // Dropping `temp` deletes what may be a partial pair.
        written.map_err(ReplaceError::NotWritten)?;
        if let Err(e) = temp.persist(&path) {
            let kept = e.file.path().to_path_buf();
            // Keeping it is what makes the new pair survive the run; the next run finds it.
            return match e.file.keep() {
                Ok(_) => Err(ReplaceError::Kept {
                    error: e.error,
                    kept,
                }),
                Err(keep) => Err(ReplaceError::NotWritten(keep.error)),
            };
        }
        if let Err(e) = sync_dir(&dir) {
            eprintln!(
                "warning: the store {} was replaced, but syncing its folder failed: {e}",
                path.display()
            );
        }
        // Its pair was the one just rotated: spent now.
        if let Some(leftover) = recovered {
            let _ = std::fs::remove_file(leftover);
        }
        Ok(())
    }

    /// The store's path (after following symlinks).
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Opens and locks FILE, making sure the lock is on the file the path names now (another run
/// may have renamed a new file over it while we waited), and reads it.
fn lock_and_read(path: &Path) -> Result<(File, Vec<u8>), Failure> {
    let shown = path.display();
    let cannot = |e: std::io::Error| Failure::Usage(format!("cannot read the store {shown}: {e}"));
    for _ in 0..LOCK_ATTEMPTS {
        let file = File::open(path).map_err(cannot)?;
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                eprintln!("waiting for another run that holds the store {shown}...");
                fs4::FileExt::lock(&file)
                    .map_err(|e| Failure::Usage(format!("cannot lock the store {shown}: {e}")))?;
            }
            Err(fs4::TryLockError::Error(e)) => {
                return Err(Failure::Usage(format!(
                    "cannot lock the store {shown}: {e}"
                )))
            }
        }
        if !same_file(&file, path) {
            continue;
        }
        let mut bytes = Vec::new();
        (&file)
            .take(MAX_STORE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
        if bytes.len() as u64 > MAX_STORE_BYTES {
            return Err(Failure::Usage(format!(
                "the store {shown} is larger than {MAX_STORE_BYTES} bytes; expected one JSON object"
            )));
        }
        return Ok((file, bytes));
    }
    Err(Failure::Usage(format!(
        "the store {shown} keeps being replaced while this run waits for it"
    )))
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(now)) => open.dev() == now.dev() && open.ino() == now.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(file: &File, path: &Path) -> bool {
    // No stable file identity here: a file renamed over the path was written later (its
    // modification time differs, at 100 ns resolution on Windows) or is of another length.
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(now)) => {
            open.len() == now.len() && open.modified().ok() == now.modified().ok()
        }
        _ => false,
    }
}

/// A pair, or why the bytes are not one. serde's messages may quote a value from the file (a
/// token): only the position is kept.
fn parse(bytes: &[u8]) -> Result<RotateResponse, String> {
    serde_json::from_slice(bytes).map_err(|e| {
        format!(
            "{} at line {} column {}",
            category(&e),
            e.line(),
            e.column()
        )
    })
}

/// Looks at the temporary files of this store left beside it: returns the pair to rotate
/// (the stored one, or a newer one of the same team and user from a leftover, with that
/// leftover's path) and removes the leftovers that hold nothing of use.
fn recover(dir: &Path, name: &OsStr, stored: RotateResponse) -> (RotateResponse, Option<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (stored, None);
    };
    let mut best: Option<(RotateResponse, PathBuf)> = None;
    let mut useless = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        if !is_leftover_of(&file_name, name) {
            continue;
        }
        let path = entry.path();
        let mut bytes = Vec::new();
        let read =
            File::open(&path).and_then(|f| f.take(MAX_STORE_BYTES + 1).read_to_end(&mut bytes));
        let pair = match read {
            Ok(_) => parse(&bytes).ok(),
            // Not readable by us: not ours to judge or remove.
            Err(_) => continue,
        };
        match pair {
            Some(pair) if pair.team_id != stored.team_id || pair.user_id != stored.user_id => {
                eprintln!(
                    "warning: {} holds a pair of another team or user than the store; left as it is",
                    path.display()
                );
            }
            Some(pair)
                if pair.iat > stored.iat && best.as_ref().is_none_or(|(b, _)| pair.iat > b.iat) =>
            {
                if let Some((_, older)) = best.replace((pair, path)) {
                    useless.push(older);
                }
            }
            Some(pair) if pair.iat > stored.iat => useless.push(path),
            Some(pair) if pair.iat == stored.iat && pair.refresh_token != stored.refresh_token => {
                // Issued the same second as the stored pair: which one is live cannot be told.
                eprintln!(
                    "warning: {} holds another pair issued at the same time as the store's; \
                     left as it is",
                    path.display()
                );
            }
            // Empty (most kills happen before anything is written), half-written, or older.
            _ => useless.push(path),
        }
    }
    for path in useless {
        match std::fs::remove_file(&path) {
            Ok(()) => eprintln!("removed {}, left by an earlier run", path.display()),
            Err(e) => eprintln!("warning: cannot remove {}: {e}", path.display()),
        }
    }
    match best {
        Some((pair, path)) => (pair, Some(path)),
        None => (stored, None),
    }
}

/// Whether `file_name` is `.slack-oauth-store-NAME.XXXXXXXX.tmp` for this store's NAME.
fn is_leftover_of(file_name: &OsStr, name: &OsStr) -> bool {
    let (Some(file_name), Some(name)) = (file_name.to_str(), name.to_str()) else {
        return false;
    };
    let Some(rest) = file_name
        .strip_prefix(TEMP_PREFIX)
        .and_then(|r| r.strip_prefix(name))
        .and_then(|r| r.strip_prefix('.'))
        .and_then(|r| r.strip_suffix(TEMP_SUFFIX))
    else {
        return false;
    };
    // The exact length tells `a.json`'s files from those of a store named `a.json.x`.
    rest.len() == RANDOM_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Fails when renaming a file over `path` is sure to be refused: in a sticky folder (mode
/// 1777, like /tmp) only the owner of the file being replaced, the owner of the folder, or
/// root may replace it, though anyone may create files there. `ours` is the temporary file
/// just created, whose owner is who we are on this file system.
#[cfg(unix)]
fn check_replaceable(path: &Path, dir: &Path, ours: &File) -> Result<(), Failure> {
    use std::os::unix::fs::MetadataExt;
    const STICKY: u32 = 0o1000;
    let (Ok(me), Ok(folder), Ok(store)) = (
        ours.metadata(),
        std::fs::metadata(dir),
        std::fs::metadata(path),
    ) else {
        // Whatever failed here will fail the rename too; it gets reported then.
        return Ok(());
    };
    let me = me.uid();
    if folder.mode() & STICKY == 0 || me == 0 || me == folder.uid() || me == store.uid() {
        return Ok(());
    }
    Err(Failure::Usage(format!(
        "the store {} cannot be replaced: its folder {} is sticky (mode {:o}) and neither the \
         store (owner uid {}) nor the folder (owner uid {}) belongs to you (uid {me}); Slack \
         was not called. Move the store to a folder you own, or have its owner hand it to you",
        path.display(),
        dir.display(),
        folder.mode() & 0o7777,
        store.uid(),
        folder.uid(),
    )))
}

#[cfg(not(unix))]
fn check_replaceable(_path: &Path, _dir: &Path, _ours: &File) -> Result<(), Failure> {
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    // Folders cannot be opened as files on Windows; the rename is already durable there.
    Ok(())
}

fn category(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match e.classify() {
        Category::Io => "read error",
        Category::Syntax => "not valid JSON",
        Category::Data => "a field is missing or has the wrong type",
        Category::Eof => "the JSON ends early",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAIR: &str = r#"{"token":"xoxe.xoxp-1-OLD","refresh_token":"xoxe-1-OLD",
        "team_id":"T1","user_id":"U1","iat":1700000000,"exp":1700043200}"#;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replace_and_abandon() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pair.json");
        std::fs::write(&path, PAIR).unwrap();

        // Abandoned (as on a Slack error): the file is untouched, the temporary file gone.
        let (store, pair) = Store::open(&path).unwrap();
        assert_eq!(pair.refresh_token.expose(), "xoxe-1-OLD");
        let names = entries(dir.path());
        assert_eq!(names.len(), 2, "the temporary file exists");
        assert!(is_leftover_of(
            OsStr::new(&names[0]),
            OsStr::new("pair.json")
        ));
        drop(store);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), PAIR);
        assert_eq!(entries(dir.path()), vec!["pair.json"]);

        // Replaced.
        let (store, _) = Store::open(&path).unwrap();
        let new: RotateResponse =
            serde_json::from_str(&PAIR.replace("OLD", "NEW").replace("1700043200", "1")).unwrap();
        assert!(store.replace(&new).is_ok());
        let stored: RotateResponse =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(stored, new);
        assert_eq!(entries(dir.path()), vec!["pair.json"]);
    }

    #[test]
    fn a_second_open_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pair.json");
        std::fs::write(&path, PAIR).unwrap();
        let (store, _) = Store::open(&path).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = {
            let path = path.clone();
            std::thread::spawn(move || {
                let (_, pair) = Store::open(&path).unwrap();
                tx.send(pair.refresh_token.expose().to_owned()).unwrap();
            })
        };
        let new: RotateResponse = serde_json::from_str(&PAIR.replace("OLD", "NEW")).unwrap();
        // Give the waiter time to reach the lock; it must not get past it.
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(rx.try_recv().is_err(), "read while the lock was held");
        assert!(store.replace(&new).is_ok());
        waiter.join().unwrap();
        assert_eq!(
            rx.recv().unwrap(),
            "xoxe-1-NEW",
            "it read the replaced file"
        );
    }

    #[test]
    fn leftover_names() {
        let name = OsStr::new("a.json");
        let yes = ".slack-oauth-store-a.json.Ab12Cd34.tmp";
        assert!(is_leftover_of(OsStr::new(yes), name));
        for no in [
            ".slack-oauth-store-a.json.x.Ab12Cd34.tmp",
            ".slack-oauth-store-a.json.Ab12Cd3.tmp",
            ".slack-oauth-store-a.json.Ab12Cd3!.tmp",
            ".slack-oauth-store-b.json.Ab12Cd34.tmp",
            "a.json",
        ] {
            assert!(!is_leftover_of(OsStr::new(no), name), "{no}");
        }
    }

    #[test]
    fn bad_stores_are_usage_errors_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pair.json");
        assert!(matches!(Store::open(&path), Err(Failure::Usage(_))));
        std::fs::write(&path, r#"{"token":"xoxe.xoxp-CANARY","refresh_token":7}"#).unwrap();
        let Err(Failure::Usage(message)) = Store::open(&path) else {
            panic!("expected a usage error")
        };
        assert!(!message.contains("CANARY"), "{message}");
        assert_eq!(entries(dir.path()), vec!["pair.json"]);
    }
}
