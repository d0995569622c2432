//! `rotate-config-token --store FILE`: the configuration token pair kept in a JSON file,
//! replaced atomically so that neither a crash nor a Slack error loses the last working
//! refresh token.
//!
//! The temporary file is created in the store's own folder *before* Slack is called: a
//! folder we cannot write to is found while the old refresh token still works. After a
//! successful rotation the new pair is written there, fsynced, renamed over the store
//! (atomic on POSIX file systems), and the folder is fsynced so the rename itself survives
//! a power cut. On any failure the temporary file is removed when it is dropped.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use slack_oauth::tooling_tokens::RotateResponse;
use tempfile::NamedTempFile;

use crate::fail::Failure;

/// A store file is one small JSON object; anything this large is not one.
const MAX_STORE_BYTES: u64 = 1024 * 1024;

/// An open store: the current pair and a temporary file ready for the next one.
pub struct Store {
    path: PathBuf,
    dir: PathBuf,
    temp: NamedTempFile,
}

impl Store {
    /// Reads the current pair from `path` and prepares a temporary file beside it.
    pub fn open(path: &Path) -> Result<(Store, RotateResponse), Failure> {
        // Follow a symlink so the rename replaces the real file, not the link.
        let path = std::fs::canonicalize(path).map_err(|e| {
            Failure::Usage(format!("cannot open the store {}: {e}", path.display()))
        })?;
        let mut bytes = Vec::new();
        File::open(&path)
            .and_then(|f| f.take(MAX_STORE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| {
                Failure::Usage(format!("cannot read the store {}: {e}", path.display()))
            })?;
        if bytes.len() as u64 > MAX_STORE_BYTES {
            return Err(Failure::Usage(format!(
                "the store {} is larger than {MAX_STORE_BYTES} bytes; expected one JSON object",
                path.display()
            )));
        }
        // serde's messages may quote a value from the file (a token): keep only the position.
        let pair: RotateResponse = serde_json::from_slice(&bytes).map_err(|e| {
            Failure::Usage(format!(
                "the store {} is not a configuration token pair (an object with token, \
                 refresh_token, team_id, user_id, iat, exp): {} at line {} column {}",
                path.display(),
                category(&e),
                e.line(),
                e.column()
            ))
        })?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let temp = tempfile::Builder::new()
            .prefix(".slack-oauth-store-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| {
                Failure::Usage(format!(
                    "cannot create a temporary file in {} to replace the store: {e}",
                    dir.display()
                ))
            })?;
        Ok((Store { path, dir, temp }, pair))
    }

    /// Replaces the store with `pair`: write, fsync, rename, fsync the folder.
    pub fn replace(self, pair: &RotateResponse) -> std::io::Result<()> {
        let Store {
            path,
            dir,
            mut temp,
        } = self;
        let mut text = serde_json::to_vec_pretty(pair).map_err(std::io::Error::other)?;
        text.push(b'\n');
        temp.write_all(&text)?;
        temp.as_file().sync_all()?;
        // On failure `persist` hands the temporary file back; dropping it deletes it.
        temp.persist(&path).map_err(|e| e.error)?;
        sync_dir(&dir)
    }

    /// The store's path (after following symlinks).
    pub fn path(&self) -> &Path {
        &self.path
    }
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
        assert_eq!(entries(dir.path()).len(), 2, "the temporary file exists");
        drop(store);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), PAIR);
        assert_eq!(entries(dir.path()), vec!["pair.json"]);

        // Replaced.
        let (store, _) = Store::open(&path).unwrap();
        let new: RotateResponse =
            serde_json::from_str(&PAIR.replace("OLD", "NEW").replace("1700043200", "1")).unwrap();
        store.replace(&new).unwrap();
        let stored: RotateResponse =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(stored, new);
        assert_eq!(entries(dir.path()), vec!["pair.json"]);
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
