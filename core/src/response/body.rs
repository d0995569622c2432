//! What a body that is not a Slack answer was: empty, an HTML page (with its title), not
//! UTF-8, truncated or malformed JSON. Keeps none of the body's bytes but an HTML title.

use http::header::CONTENT_TYPE;
use http::Response;
use serde::de::IgnoredAny;

use crate::errors::{BodyKind, HttpError};

/// Describes a body that is not a Slack answer, without keeping any of its bytes
/// except an HTML title.
pub(super) fn unreadable<B: AsRef<[u8]>>(response: &Response<B>) -> HttpError {
    let body = response.body().as_ref();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| shorten(v, 64));
    HttpError {
        status: response.status(),
        content_type,
        body: classify_body(body),
        body_len: body.len(),
    }
}

fn classify_body(body: &[u8]) -> BodyKind {
    let trimmed = body.trim_ascii_start();
    if trimmed.is_empty() {
        return BodyKind::Empty;
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return BodyKind::InvalidUtf8;
    };
    if trimmed.starts_with(b"<") {
        return BodyKind::Html {
            title: html_title(text),
        };
    }
    match serde_json::from_slice::<IgnoredAny>(body) {
        Err(e) if e.is_eof() => BodyKind::Truncated,
        _ => BodyKind::Malformed,
    }
}

fn html_title(text: &str) -> Option<String> {
    let lower = text.get(..text.len().min(4096))?.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    let title = text[start..end].trim();
    (!title.is_empty()).then(|| shorten(title, 80))
}

/// Keeps at most `max` characters of printable text.
fn shorten(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_titles() {
        assert_eq!(
            classify_body(b"<html><title> 502 Bad Gateway </title></html>"),
            BodyKind::Html {
                title: Some("502 Bad Gateway".into())
            }
        );
        assert_eq!(classify_body(b"  "), BodyKind::Empty);
        assert_eq!(classify_body(b"{\"ok\":tr"), BodyKind::Truncated);
        assert_eq!(classify_body(b"\xff\xfe"), BodyKind::InvalidUtf8);
        assert_eq!(classify_body(b"nope"), BodyKind::Malformed);
    }
}
