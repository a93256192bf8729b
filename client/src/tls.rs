//! TLS settings for `wss://` clients beyond the public roots: a private CA, or no verification at all (a test
//! server with a self-signed certificate).

use rustls::DigitallySignedStruct;
use rustls::SignatureScheme;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use std::path::Path;
use std::sync::Arc;

/// A `wss://` client configuration (see [`crate::LeanClient::connect_tls`]).
pub type TlsClientConfig = Arc<rustls::ClientConfig>;

/// Why the TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The CA file could not be read or parsed.
    #[error("CA certificate file {file}: {message}")]
    CaFile {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// Why a server's certificate was refused, in words an operator can act on (the flags named are those of
/// `tickwire-bots` and `tickwire-console`), or `None` when `error` is not a certificate refusal. `error` is the
/// text of the I/O error the TLS stream reported (rustls's "invalid peer certificate: ...").
pub fn explain_refusal(error: &str) -> Option<String> {
    if error.contains("InvalidContentType") {
        // rustls read bytes that are not TLS: the server answered in plain text.
        return Some(format!(
            "TLS: the server did not answer with TLS: it serves plain HTTP, so use a ws:// URL ({})",
            error.trim()
        ));
    }
    let detail = error.strip_prefix("invalid peer certificate")?;
    let why = if detail.contains("CaUsedAsEndEntity") {
        "the server's certificate is a CA certificate (basicConstraints CA:TRUE, which openssl gives a \
         self-signed certificate by default), and a CA certificate cannot be a server's own: make it with \
         `-addext basicConstraints=critical,CA:FALSE` (docs/OPERATIONS.md, section TLS), or use --insecure for a test"
    } else if detail.contains("UnknownIssuer") {
        "the server's certificate is not trusted: no trusted CA signed it; for a private CA use --ca-cert FILE, \
         for a self-signed test certificate --ca-cert with the certificate itself or --insecure"
    } else if detail.contains("NotValidForName") {
        "the server's certificate is not valid for the host in --url: its subjectAltName must name that host \
         (an IP address needs an IP entry)"
    } else if detail.contains("Expired") || detail.contains("NotValidYet") {
        "the server's certificate has expired or is not valid yet (check its dates and this machine's clock)"
    } else {
        "the server's certificate is not trusted; for a private CA use --ca-cert FILE, for a self-signed test \
         certificate --insecure"
    };
    Some(format!("TLS: {why} ({})", error.trim()))
}

/// Trusts the public (webpki) roots and the PEM certificates in `ca_file`: a server whose certificate a private
/// CA signed, or a self-signed certificate that is not itself marked as a CA.
pub fn trusting(ca_file: &Path) -> Result<TlsClientConfig, TlsSetupError> {
    let file = ca_file.display().to_string();
    let bad = |message: String| TlsSetupError::CaFile {
        file: file.clone(),
        message,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca_file)
        .map_err(|e| bad(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if certs.is_empty() {
        return Err(bad("no certificate found in the file".into()));
    }
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in certs {
        roots.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    Ok(Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

/// Accepts any server certificate (the handshake's signatures are still checked): for a test server on this
/// machine with a self-signed certificate. Never for a server across a network one does not control.
pub fn without_verification() -> TlsClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default protocol versions")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth(),
    )
}

#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
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

#[cfg(test)]
mod refusal_tests {
    use super::explain_refusal;

    #[test]
    fn each_refusal_says_what_to_do() {
        for (error, wanted) in [
            (
                "invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))",
                "basicConstraints=critical,CA:FALSE",
            ),
            ("invalid peer certificate: UnknownIssuer", "--ca-cert FILE"),
            (
                "invalid peer certificate: NotValidForName",
                "subjectAltName",
            ),
            ("invalid peer certificate: Expired", "expired"),
            ("invalid peer certificate: BadSignature", "--insecure"),
        ] {
            let text = explain_refusal(error).expect("a refusal");
            assert!(
                text.starts_with("TLS: ") && text.contains(wanted),
                "{error}: {text}"
            );
        }
        let plain = explain_refusal("received corrupt message of type InvalidContentType")
            .expect("plain text where TLS was expected");
        assert!(plain.contains("use a ws:// URL"), "{plain}");
        assert_eq!(explain_refusal("connection reset by peer"), None);
    }
}
