//! Secret inputs: a file named by a flag (`-` = stdin), else an environment variable.
//!
//! Secrets are never flag values: a value on the command line shows in process lists and
//! shell history, while a file or the environment stays private to the user.

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;

use crate::fail::Failure;

/// A secret file larger than this is surely not a token.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// Reads secrets, making sure stdin (`-`) is read at most once.
#[derive(Default)]
pub struct SecretReader {
    stdin_taken: Option<&'static str>,
}

impl SecretReader {
    /// The secret from `file` if given, else from the environment variable `env`.
    ///
    /// `None` when neither is set (an empty variable counts as unset, as CI systems often
    /// define variables they have no value for).
    pub fn optional(
        &mut self,
        file: Option<&Path>,
        env: &'static str,
        flag: &'static str,
    ) -> Result<Option<String>, Failure> {
        if let Some(path) = file {
            return self.read_file(path, flag).map(Some);
        }
        match std::env::var_os(env) {
            None => Ok(None),
            Some(value) if value.is_empty() => Ok(None),
            Some(value) => from_env(value, env).map(Some),
        }
    }

    /// Like [`SecretReader::optional`], but a missing secret is a usage error.
    pub fn required(
        &mut self,
        file: Option<&Path>,
        env: &'static str,
        flag: &'static str,
        what: &str,
    ) -> Result<String, Failure> {
        self.optional(file, env, flag)?.ok_or_else(|| {
            Failure::Usage(format!(
                "{what} is missing: set the environment variable {env} or pass {flag} PATH (`-` reads stdin)"
            ))
        })
    }

    /// Reads a secret from a file, or stdin for `-`; the surrounding whitespace (a trailing
    /// newline from `echo` or an editor) is not part of it.
    pub fn read_file(&mut self, path: &Path, flag: &'static str) -> Result<String, Failure> {
        let mut bytes = Vec::new();
        if path.as_os_str() == "-" {
            if let Some(first) = self.stdin_taken {
                return Err(Failure::Usage(format!(
                    "{first} and {flag} both read stdin (`-`); only one input can"
                )));
            }
            self.stdin_taken = Some(flag);
            std::io::stdin()
                .lock()
                .take(MAX_SECRET_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| Failure::Usage(format!("cannot read {flag} from stdin: {e}")))?;
        } else {
            std::fs::File::open(path)
                .and_then(|f| f.take(MAX_SECRET_BYTES + 1).read_to_end(&mut bytes))
                .map_err(|e| {
                    Failure::Usage(format!("cannot read {flag} {}: {e}", path.display()))
                })?;
        }
        if bytes.len() as u64 > MAX_SECRET_BYTES {
            return Err(Failure::Usage(format!(
                "{flag}: the input is larger than {MAX_SECRET_BYTES} bytes; expected a single secret"
            )));
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| Failure::Usage(format!("{flag}: the input is not UTF-8 text")))?;
        clean(text, flag)
    }
}

fn from_env(value: OsString, env: &'static str) -> Result<String, Failure> {
    let text = value
        .into_string()
        .map_err(|_| Failure::Usage(format!("{env} is not valid Unicode")))?;
    clean(text, env)
}

/// Trims the value and refuses what cannot be a single secret (empty, several lines, or
/// control characters that would break an HTTP header).
fn clean(text: String, source: &str) -> Result<String, Failure> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Failure::Usage(format!("{source}: the secret is empty")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Failure::Usage(format!(
            "{source}: the secret holds a line break or control character; expected a single value"
        )));
    }
    Ok(if trimmed.len() == text.len() {
        text
    } else {
        trimmed.to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning() {
        assert_eq!(
            clean("xoxb-1\n".into(), "f").ok().as_deref(),
            Some("xoxb-1")
        );
        assert_eq!(
            clean("  xoxb-1 \r\n".into(), "f").ok().as_deref(),
            Some("xoxb-1")
        );
        for bad in ["", " \n", "a\nb", "a\u{7}b"] {
            let err = clean(bad.into(), "SRC").unwrap_err();
            // The message names the source, never the value.
            let Failure::Usage(message) = err else {
                panic!("not a usage error")
            };
            assert!(message.starts_with("SRC:"), "{message}");
        }
    }

    #[test]
    fn files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "xoxe-1-CANARY\n").unwrap();
        let mut reader = SecretReader::default();
        assert_eq!(
            reader.read_file(&path, "--token-file").ok().as_deref(),
            Some("xoxe-1-CANARY")
        );
        let missing = reader
            .read_file(&dir.path().join("nope"), "--token-file")
            .unwrap_err();
        assert!(matches!(missing, Failure::Usage(_)));
        std::fs::write(&path, vec![b'a'; MAX_SECRET_BYTES as usize + 1]).unwrap();
        assert!(matches!(
            reader.read_file(&path, "--token-file"),
            Err(Failure::Usage(_))
        ));
        std::fs::write(&path, b"\xff\xfe").unwrap();
        assert!(matches!(
            reader.read_file(&path, "--token-file"),
            Err(Failure::Usage(_))
        ));
    }
}
