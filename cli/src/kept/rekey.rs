//! `installations rekey`: every record sealed again under the ring's first key.

use serde_json::json;

use super::open::{open_required, store_failure};
use crate::args::Global;
use crate::args::RekeyArgs;
use crate::fail::Failure;
use crate::output;
use crate::Outcome;

/// `installations rekey`: [`Sealed::rekey`](slack_oauth::stores::Sealed::rekey) over the
/// whole store. It opens every record before writing any, so a record it cannot open (a key
/// missing from the ring, a tampered value) stops it with nothing changed.
pub fn rekey(global: &Global, args: RekeyArgs) -> Outcome {
    let store = open_required(&args.store, global)?;
    let Some(ring) = store.ring() else {
        return Err(Failure::Usage(format!(
            "rekey needs the keyring: set {} (ID:BASE64KEY[,ID:BASE64KEY...], the first key seals)",
            crate::keys::ENV_KEYS
        )));
    };
    let key_id = ring.sealing_id().to_owned();
    let counts = store.rekey("").map_err(store_failure)?;
    eprintln!(
        "{} record(s): {} sealed again under `{key_id}`, {} already were",
        counts.records, counts.rewritten, counts.current
    );
    output::print(&json!({
        "ok": true,
        "key_id": key_id,
        "records": counts.records,
        "rewritten": counts.rewritten,
        "current": counts.current,
        "vanished": counts.vanished,
    }))
}
