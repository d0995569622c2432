//! Turning ureq failures into the shared [`Error`](slack_oauth_core::transport::Error).

use std::io;

use slack_oauth_core::error::BuildError;
use slack_oauth_core::transport::Error;

/// Turns a ureq error into ours; `limit` is the body cap, reported when ureq stops at it.
pub(crate) fn from_ureq(e: ureq::Error, limit: u64) -> Error {
    use ureq::Error as U;
    match e {
        U::Timeout(_) => Error::Timeout,
        U::BodyExceedsLimit(_) => Error::BodyTooLarge { limit },
        U::HostNotFound | U::ConnectionFailed => {
            Error::Connect(io::Error::new(io::ErrorKind::NotFound, e.to_string()))
        }
        // rustls reports handshake failures through the socket's io::Error.
        U::Io(io) if is_tls(&io) => Error::Tls(io),
        U::Io(io) if is_connect_kind(io.kind()) => Error::Connect(io),
        U::Io(io) => Error::Io(io),
        U::Tls(_) | U::Rustls(_) | U::Pem(_) | U::TlsRequired => Error::Tls(io::Error::other(e)),
        // The URI itself is never echoed: it is caller data.
        U::BadUri(_) | U::Http(_) => Error::Build(BuildError::InvalidUrl {
            reason: "the request is not a valid HTTP request",
        }),
        other => Error::Io(io::Error::other(other)),
    }
}

fn is_tls(io: &io::Error) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = match io.get_ref() {
        Some(inner) => Some(inner),
        None => return false,
    };
    // Bounded: error chains are short, and a cycle must not hang the caller.
    for _ in 0..16 {
        let Some(e) = current else { return false };
        if e.is::<rustls::Error>() {
            return true;
        }
        current = e.source();
    }
    false
}

fn is_connect_kind(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
            | io::ErrorKind::AddrNotAvailable
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_kinds() {
        let e = from_ureq(ureq::Error::Io(io::ErrorKind::ConnectionRefused.into()), 10);
        assert!(matches!(e, Error::Connect(_)));
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let e = from_ureq(
            ureq::Error::Io(io::Error::new(io::ErrorKind::InvalidData, tls)),
            10,
        );
        assert!(matches!(e, Error::Tls(_)));
        assert!(!e.is_retryable());
        let e = from_ureq(ureq::Error::BodyExceedsLimit(10), 10);
        assert!(matches!(e, Error::BodyTooLarge { limit: 10 }));
        let e = from_ureq(ureq::Error::BadUri("https://x/?token=CANARY".into()), 10);
        assert!(!format!("{e} {e:?}").contains("CANARY"));
    }
}
