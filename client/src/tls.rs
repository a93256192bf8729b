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

/// What the client was told to trust, for [`explain_refusal`]'s advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// The public roots only.
    PublicRoots,
    /// `--ca-cert FILE` as well.
    CaFile,
}

/// Why a `wss://` connection failed its TLS handshake, in words an operator can act on (the flags named are those
/// of `tickwire-bots` and `tickwire-console`), or `None` when `error` is not a TLS refusal. `error` is the I/O
/// error the TLS stream reported; rustls's own error inside it says exactly what was refused.
pub fn explain_refusal(error: &std::io::Error, trust: Trust) -> Option<String> {
    let tls = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())?;
    Some(format!("TLS: {} ({tls})", explain(tls, trust)?))
}

fn explain(error: &rustls::Error, trust: Trust) -> Option<String> {
    use rustls::{CertificateError as C, Error as E, InvalidMessage};
    let with_ca = trust == Trust::CaFile;
    let cert = match error {
        E::InvalidMessage(InvalidMessage::InvalidContentType) => {
            // rustls read bytes that are not TLS: the server answered in plain text.
            return Some(
                "the server did not answer with TLS: it serves plain HTTP, so use a ws:// URL"
                    .into(),
            );
        }
        E::InvalidCertificate(c) => c,
        _ => return None,
    };
    Some(match cert {
        C::NotValidForNameContext { presented, .. } if !presented.is_empty() => format!(
            "the server's certificate is not valid for the host in --url; it names {}: put one of those in \
             --url, or give the server a certificate whose subjectAltName names this host",
            presented.join(", ")
        ),
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "the server's certificate is not valid for the host in --url: its subjectAltName must name that host \
             (an IP address needs an IP entry)"
                .into()
        }
        C::UnknownIssuer if with_ca => {
            "no CA this client trusts signed the server's certificate: the file given to --ca-cert is neither \
             the CA that signed it nor the certificate itself"
                .into()
        }
        C::UnknownIssuer => {
            "the server's certificate is not trusted: no trusted CA signed it; for a private CA use --ca-cert \
             FILE, for a self-signed test certificate --ca-cert with the certificate itself or --insecure"
                .into()
        }
        C::BadSignature if with_ca => {
            "the server's certificate names the CA in --ca-cert as its issuer, but that CA's key did not sign it: \
             is --ca-cert the right file (was the CA or the certificate made again)?"
                .into()
        }
        C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. } => {
            "the server's certificate has expired or is not valid yet (check its dates and this machine's clock)"
                .into()
        }
        C::Other(other) if format!("{other:?}").contains("CaUsedAsEndEntity") => {
            "the server's certificate is a CA certificate (basicConstraints CA:TRUE, which openssl gives a \
             self-signed certificate by default), and a CA certificate cannot be a server's own: make it with \
             `-addext basicConstraints=critical,CA:FALSE` (docs/OPERATIONS.md, section TLS), or use --insecure for \
             a test"
                .into()
        }
        _ if with_ca => "the server's certificate is not trusted, even with --ca-cert".into(),
        _ => "the server's certificate is not trusted; for a private CA use --ca-cert FILE, for a self-signed \
              test certificate --insecure"
            .into(),
    })
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
    use super::{Trust, explain_refusal};
    use rustls::pki_types::ServerName;
    use rustls::{CertificateError as C, Error as E, InvalidMessage, OtherError};

    /// The I/O error tokio-rustls reports for a rustls error.
    fn io(e: E) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, e)
    }

    #[derive(Debug)]
    struct CaUsedAsEndEntity;
    impl std::fmt::Display for CaUsedAsEndEntity {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("CaUsedAsEndEntity")
        }
    }
    impl std::error::Error for CaUsedAsEndEntity {}

    #[test]
    fn each_refusal_says_what_to_do() {
        let wrong_name = C::NotValidForNameContext {
            expected: ServerName::try_from("127.0.0.2")
                .expect("a name")
                .to_owned(),
            presented: vec![
                "DnsName(\"localhost\")".into(),
                "IpAddress(127.0.0.1)".into(),
            ],
        };
        let ca_as_server = C::Other(OtherError(std::sync::Arc::new(CaUsedAsEndEntity)));
        for (error, trust, wanted, unwanted) in [
            (
                ca_as_server,
                Trust::PublicRoots,
                "basicConstraints=critical,CA:FALSE",
                "--ca-cert FILE",
            ),
            (
                C::UnknownIssuer,
                Trust::PublicRoots,
                "--ca-cert FILE",
                "neither",
            ),
            (
                C::UnknownIssuer,
                Trust::CaFile,
                "neither the CA",
                "use --ca-cert",
            ),
            (
                wrong_name.clone(),
                Trust::PublicRoots,
                "localhost",
                "--ca-cert",
            ),
            // Given --ca-cert already, a wrong host must not send the operator back to --ca-cert.
            (
                wrong_name,
                Trust::CaFile,
                "IpAddress(127.0.0.1)",
                "--ca-cert",
            ),
            (
                C::NotValidForName,
                Trust::PublicRoots,
                "subjectAltName",
                "--ca-cert",
            ),
            (C::Expired, Trust::PublicRoots, "expired", "--ca-cert"),
            (
                C::BadSignature,
                Trust::PublicRoots,
                "--insecure",
                "right file",
            ),
            (C::BadSignature, Trust::CaFile, "right file", "--insecure"),
        ] {
            let text = explain_refusal(&io(E::InvalidCertificate(error.clone())), trust)
                .expect("a refusal");
            assert!(
                text.starts_with("TLS: ") && text.contains(wanted) && !text.contains(unwanted),
                "{error:?} {trust:?}: {text}"
            );
        }
        let plain = explain_refusal(
            &io(E::InvalidMessage(InvalidMessage::InvalidContentType)),
            Trust::PublicRoots,
        )
        .expect("plain text where TLS was expected");
        assert!(plain.contains("use a ws:// URL"), "{plain}");
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(explain_refusal(&reset, Trust::PublicRoots), None);
    }
}
