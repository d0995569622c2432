//! TLS to the store servers: rustls with the ring provider, Mozilla's roots or the CA the
//! user gave, and the three strengths of checking libpq knows (none, the chain, the chain and
//! the host name).

// Each server backend uses its part; with one of them on, the other part is unused.
#![cfg_attr(
    not(all(feature = "postgres", feature = "redis", feature = "mysql")),
    allow(dead_code)
)]

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use slack_oauth_core::transport::TlsRoots;

use crate::{Ca, Error};

/// How much of the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Nothing (libpq's `prefer` and `require` without a root certificate): encrypted, but
    /// anyone on the path can pose as the server.
    Nothing,
    /// The chain up to a trusted root, not the name (libpq's `verify-ca`).
    Chain,
    /// The chain and the host name (libpq's `verify-full`, `rediss://`).
    Full,
}

/// The ring provider, chosen for each config: no process-wide default is needed or set.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Makes ring the process's rustls provider if none is set: the redis crate builds its TLS
/// config on the process default, and would panic if the build enabled several providers
/// and none was chosen. With ring alone rustls picks it anyway.
pub(crate) fn ensure_default_provider() {
    if CryptoProvider::get_default().is_none() {
        // Losing a race to another thread installing one is fine: one is set either way.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

/// Mozilla's roots as shipped by `webpki-roots`.
pub(crate) fn mozilla() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// The DER certificates of a PEM file; `what` names it in errors.
pub(crate) fn read_pem(path: &Path, what: &str) -> Result<Vec<Vec<u8>>, Error> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|e| Error::Config {
        detail: format!("cannot read {what} {shown}: {e}"),
    })?;
    let certs: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(&bytes)
        .map(|cert| cert.map(|c| c.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Config {
            detail: format!("{what} {shown} is not a PEM file of certificates: {e}"),
        })?;
    if certs.is_empty() {
        return Err(Error::Config {
            detail: format!("{what} {shown} holds no PEM certificate"),
        });
    }
    Ok(certs)
}

/// The roots `ca` names (Mozilla's when `None`).
pub(crate) fn roots(ca: Option<&Ca>) -> Result<RootCertStore, Error> {
    let ders = match ca {
        None | Some(Ca::Roots(TlsRoots::WebPki)) => return Ok(mozilla()),
        Some(Ca::Roots(TlsRoots::Custom(ders))) => ders.clone(),
        Some(Ca::File(path)) => read_pem(path, "the store CA file")?,
        Some(Ca::Roots(_)) => return Ok(mozilla()),
    };
    store_of(&ders)
}

pub(crate) fn store_of(ders: &[Vec<u8>]) -> Result<RootCertStore, Error> {
    let mut store = RootCertStore::empty();
    let (added, _ignored) =
        store.add_parsable_certificates(ders.iter().map(|d| CertificateDer::from(d.clone())));
    if added == 0 {
        return Err(Error::Config {
            detail: "the store's CA certificates hold no usable certificate".into(),
        });
    }
    Ok(store)
}

/// The certificates `ca` names as one PEM text (the redis crate takes its roots that way);
/// `None` for Mozilla's roots.
pub(crate) fn pem_of(ca: Option<&Ca>) -> Result<Option<Vec<u8>>, Error> {
    use base64::Engine;
    let ders = match ca {
        None | Some(Ca::Roots(TlsRoots::WebPki)) => return Ok(None),
        Some(Ca::Roots(TlsRoots::Custom(ders))) => ders.clone(),
        Some(Ca::File(path)) => read_pem(path, "the store CA file")?,
        Some(Ca::Roots(_)) => return Ok(None),
    };
    // Checked here so that a bad certificate is a configuration error, not a failed connect.
    store_of(&ders)?;
    let mut pem = String::new();
    for der in ders {
        let text = base64::engine::general_purpose::STANDARD.encode(der);
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in text.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    Ok(Some(pem.into_bytes()))
}

/// A client config on ring that checks what `check` says against `roots`.
pub(crate) fn client_config(roots: RootCertStore, check: Check) -> Result<ClientConfig, Error> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config {
            detail: format!("TLS setup failed: {e}"),
        })?;
    let config = match check {
        Check::Full => builder.with_root_certificates(roots).with_no_client_auth(),
        Check::Chain => {
            let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| Error::Config {
                    detail: format!("TLS setup failed: {e}"),
                })?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(inner)))
                .with_no_client_auth()
        }
        Check::Nothing => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unchecked(provider)))
            .with_no_client_auth(),
    };
    Ok(config)
}

/// libpq's `verify-ca`: the chain must lead to a trusted root; the name is not looked at.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            // webpki checks the name last, once the chain is known good.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// libpq's `prefer` / `require` without a root certificate: any certificate is taken (the
/// handshake's signatures are still checked, so the session is encrypted to whoever holds
/// that certificate's key).
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The rustls error somewhere in `error`'s chain of causes: inside an `io::Error`, or
/// behind the `Arc` the redis crate keeps its causes in (whose `source` skips it).
pub(crate) fn find_rustls<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(tls) = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            {
                return Some(tls);
            }
        }
        if let Some(shared) = e.downcast_ref::<Arc<dyn std::error::Error + Send + Sync>>() {
            if let Some(tls) = find_rustls(&**shared) {
                return Some(tls);
            }
        }
        next = e.source();
    }
    None
}

/// `%XX` escapes decoded; a broken escape is kept as it is.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = || {
            let pair = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            u8::from_str_radix(pair, 16).ok()
        };
        match (bytes[i], hex()) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `host` is this machine: `localhost` (and its subdomains), 127.0.0.0/8 or `::1`.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for yes in [
            "localhost",
            "LOCALHOST",
            "db.localhost",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback(yes), "{yes}");
        }
        for no in [
            "db.internal",
            "10.0.0.5",
            "128.0.0.1",
            "::2",
            "localhost.example.com",
            "",
        ] {
            assert!(!is_loopback(no), "{no}");
        }
    }

    #[test]
    fn bad_ca_files_are_config_errors() {
        let dir = std::env::temp_dir().join(format!("slack-oauth-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.pem");
        assert!(matches!(
            roots(Some(&Ca::File(missing))),
            Err(Error::Config { .. })
        ));
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = roots(Some(&Ca::File(empty))).unwrap_err();
        assert!(e.to_string().contains("no PEM certificate"), "{e}");
        let junk = dir.join("junk.pem");
        std::fs::write(
            &junk,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(matches!(
            roots(Some(&Ca::File(junk))),
            Err(Error::Config { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            roots(None).unwrap().len(),
            webpki_roots::TLS_SERVER_ROOTS.len()
        );
    }
}
