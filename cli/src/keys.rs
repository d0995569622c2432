//! `SLACK_OAUTH_KEYS`: the keyring that seals installations at rest in every store the CLI
//! opens, and `keys generate`, which makes a new entry for it.

use serde_json::json;
use slack_oauth::stores::Keyring;

use crate::args::GenerateKeyArgs;
use crate::fail::Failure;
use crate::output;
use crate::Outcome;

/// `ID:BASE64KEY[,ID:BASE64KEY…]`: the first key seals, the others only open.
pub const ENV_KEYS: &str = "SLACK_OAUTH_KEYS";

/// The ring `SLACK_OAUTH_KEYS` holds; `None` when it is unset or empty (sealing off). A
/// malformed ring is a usage error whose message never holds key material.
pub fn ring() -> Result<Option<Keyring>, Failure> {
    let Some(text) = std::env::var_os(ENV_KEYS) else {
        return Ok(None);
    };
    let text = text
        .into_string()
        .map_err(|_| Failure::Usage(format!("{ENV_KEYS} is not valid UTF-8")))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    Keyring::parse(&text)
        .map(Some)
        .map_err(|e| Failure::Usage(format!("{ENV_KEYS}: {e}")))
}

/// `keys generate`: a new ring entry, to put first in `SLACK_OAUTH_KEYS`.
pub fn generate(args: GenerateKeyArgs) -> Outcome {
    let id = match args.id {
        Some(id) => id,
        // Ids sort by creation time, which helps to tell keys apart during a rotation.
        None => format!("k{}", unix_now()),
    };
    let entry = Keyring::generate_entry(&id).map_err(|e| Failure::Usage(e.to_string()))?;
    eprintln!("a new key `{id}`: put it first in {ENV_KEYS} and keep it as secret as the tokens");
    output::print(&json!({"ok": true, "id": id, "entry": entry}))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
