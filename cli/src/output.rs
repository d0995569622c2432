//! stdout: exactly one JSON object per run, so scripts can pipe it to `jq`.

use std::io::{IsTerminal, Write};

use serde::Serialize;
use serde_json::{Map, Value};
use slack_oauth::{Reply, Warning};

use crate::fail::Failure;

/// The typed response as a JSON object, plus `warnings` when Slack sent any.
pub fn success<T: Serialize>(reply: &Reply<T>) -> Result<Map<String, Value>, Failure> {
    let mut value = object(&reply.value)?;
    add_warnings(&mut value, &reply.warnings);
    Ok(value)
}

/// Serializes `value`, which must serialize to a JSON object.
pub fn object<T: Serialize>(value: &T) -> Result<Map<String, Value>, Failure> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => Ok(map),
        // Every response type is a struct; anything else is a bug worth a clear message.
        Ok(_) => Err(Failure::Transport(
            "internal error: the response did not serialize to a JSON object".into(),
        )),
        Err(e) => Err(Failure::Transport(format!(
            "internal error: cannot serialize the response: {e}"
        ))),
    }
}

/// Adds `warnings` (when there are any) and echoes each on stderr for people reading it.
pub fn add_warnings(value: &mut Map<String, Value>, warnings: &[Warning]) {
    if warnings.is_empty() {
        return;
    }
    for warning in warnings {
        eprintln!("warning: Slack warned `{warning}`");
    }
    value.insert(
        "warnings".into(),
        warnings.iter().map(|w| w.as_str()).collect(),
    );
}

/// Prints one JSON value on stdout: indented for a person at a terminal, one line for a pipe.
pub fn print_json(value: &Value) {
    let text = if std::io::stdout().is_terminal() {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    // A `Value` always serializes; a closed stdout (`| head`) is not worth a panic.
    if let Ok(text) = text {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }
}
