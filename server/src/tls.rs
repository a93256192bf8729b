//! TLS for `https://` and `wss://` on the main listener, with rustls: the certificate chain and private key
//! are read from PEM files at start, with errors that name the file.

use std::path::Path;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::Error as RustlsError;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::{Error as PemError, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The certificate file could not be read or holds no certificate.
    #[error("TLS certificate {file}: {message}")]
    Cert {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The key file could not be read or holds no private key.
    #[error("TLS private key {file}: {message}")]
    Key {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The certificate and key do not go together, or rustls refused them.
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// Builds the acceptor from a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or SEC1).
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let cert_file = cert.display().to_string();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| TlsError::Cert {
            file: cert_file.clone(),
            message: e.to_string(),
        })?
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Cert {
            file: cert_file.clone(),
            message: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Cert {
            file: cert_file,
            message: "no certificate found in the file".into(),
        });
    }
    let key_file = key.display().to_string();
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        file: key_file,
        message: match e {
            PemError::NoItemsFound => {
                "no private key found in the file (PEM: PKCS#8, PKCS#1 or SEC1)".into()
            }
            e => e.to_string(),
        },
    })?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    if marked_as_ca(&certs, provider.clone()) {
        // Browsers and curl take it; rustls (tickwire-bots, tickwire-console) refuses it, whoever it is trusted by.
        tracing::warn!(
            file = %cert_file,
            "the TLS certificate is marked as a CA (basicConstraints CA:TRUE, openssl req -x509's default): \
             tickwire-bots and tickwire-console will refuse it; make one with -addext basicConstraints=critical,CA:FALSE \
             (docs/OPERATIONS.md, TLS)"
        );
    }
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            TlsError::Config(match e {
                RustlsError::InconsistentKeys(_) => {
                    "the private key does not belong to the certificate (the first one in its file)"
                        .into()
                }
                e => e.to_string(),
            })
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Whether the first certificate of `chain` (the server's own) is marked as a CA, which rustls clients refuse for a
/// server: checked by verifying it the way such a client would, trusting the chain's last certificate, and looking
/// for that refusal.
pub fn marked_as_ca(
    chain: &[CertificateDer<'static>],
    provider: Arc<tokio_rustls::rustls::crypto::CryptoProvider>,
) -> bool {
    use tokio_rustls::rustls::RootCertStore;
    use tokio_rustls::rustls::client::WebPkiServerVerifier;
    use tokio_rustls::rustls::client::danger::ServerCertVerifier;
    use tokio_rustls::rustls::pki_types::{ServerName, UnixTime};
    let (Some(leaf), Some(anchor)) = (chain.first(), chain.last()) else {
        return false;
    };
    let mut roots = RootCertStore::empty();
    if roots.add(anchor.clone()).is_err() {
        return false;
    }
    let Ok(verifier) =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider).build()
    else {
        return false;
    };
    let name = ServerName::from(std::net::IpAddr::from([127, 0, 0, 1]));
    match verifier.verify_server_cert(leaf, &chain[1..], &name, &[], UnixTime::now()) {
        // rustls carries webpki's reason as an opaque error: its name is the only handle on it.
        Err(e) => format!("{e:?}").contains("CaUsedAsEndEntity"),
        Ok(_) => false,
    }
}
