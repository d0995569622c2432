//! Turning hyper failures into the shared [`Error`](slack_oauth_core::transport::Error).

use std::io;

use slack_oauth_core::transport::Error;

/// Turns an error of hyper-util's client (before the response head arrived) into ours.
pub(crate) fn from_client(e: hyper_util::client::legacy::Error) -> Error {
    if let Some(tls) = find::<rustls::Error>(&e) {
        return Error::Tls(io::Error::new(io::ErrorKind::InvalidData, tls.clone()));
    }
    if e.is_connect() {
        if any_io(&e, |io| io.kind() == io::ErrorKind::TimedOut) {
            return Error::Timeout;
        }
        return Error::Connect(io::Error::other(e));
    }
    Error::Io(io::Error::other(e))
}

/// Turns an error while reading the capped body into ours.
pub(crate) fn from_body(e: Box<dyn std::error::Error + Send + Sync>, limit: u64) -> Error {
    if e.is::<http_body_util::LengthLimitError>() {
        return Error::BodyTooLarge { limit };
    }
    Error::Io(io::Error::other(e))
}

/// The next error in a chain, looking inside `io::Error`s too (their `source()` skips the
/// wrapped error itself).
fn next<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a (dyn std::error::Error + 'static)> {
    match e.downcast_ref::<io::Error>() {
        Some(io) => match io.get_ref() {
            Some(inner) => Some(inner),
            None => std::error::Error::source(io),
        },
        None => e.source(),
    }
}

fn find<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(e);
    // Bounded: error chains are short, and a cycle must not hang the caller.
    for _ in 0..32 {
        let e = current?;
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = next(e);
    }
    None
}

fn any_io(e: &(dyn std::error::Error + 'static), pred: impl Fn(&io::Error) -> bool) -> bool {
    let mut current = Some(e);
    for _ in 0..32 {
        let Some(e) = current else { return false };
        if e.downcast_ref::<io::Error>().is_some_and(&pred) {
            return true;
        }
        current = next(e);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_are_searched_inside_io_errors() {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let wrapped = io::Error::other(io::Error::new(io::ErrorKind::InvalidData, tls));
        assert!(find::<rustls::Error>(&wrapped).is_some());
        assert!(any_io(&wrapped, |e| e.kind() == io::ErrorKind::InvalidData));
        assert!(!any_io(&wrapped, |e| e.kind() == io::ErrorKind::TimedOut));
    }

    #[tokio::test]
    async fn limited_body_error_is_body_too_large() {
        use http_body_util::{BodyExt as _, Full, Limited};
        let body = Full::new(bytes::Bytes::from_static(b"123456"));
        let err = Limited::new(body, 5).collect().await.unwrap_err();
        assert!(matches!(
            from_body(err, 5),
            Error::BodyTooLarge { limit: 5 }
        ));
        let body = Full::new(bytes::Bytes::from_static(b"12345"));
        assert!(Limited::new(body, 5).collect().await.is_ok());
    }
}
