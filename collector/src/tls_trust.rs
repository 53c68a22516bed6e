//! The TLS client configuration of outgoing `https://` connections
//! (ClickHouse, the self telemetry exporter): which server certificates are
//! trusted (the public Web PKI roots, plus an optional PEM file for a
//! private CA), or, for self-signed test setups, none checked. A leaf, so
//! the store and telemetry share it without depending on each other.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read CA file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("CA file {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate { path: PathBuf },
    #[error("certificate {index} in CA file {path} cannot be trusted: {source}")]
    BadCertificate {
        path: PathBuf,
        /// 1-based, in file order.
        index: usize,
        #[source]
        source: rustls::Error,
    },
    #[error("no TLS protocol version available: {0}")]
    Protocol(#[source] rustls::Error),
}

/// Reads a CA file the way [`client_config`] will, so a bad file is a
/// configuration error before anything starts.
pub fn check_ca_file(path: &Path) -> Result<(), TlsSetupError> {
    add_ca_file(&mut RootCertStore::empty(), path)
}

/// Server certificates are checked against the Web PKI roots and the
/// certificates in `ca_file`, unless `accept_invalid_certs`.
pub fn client_config(
    ca_file: Option<&Path>,
    accept_invalid_certs: bool,
) -> Result<ClientConfig, TlsSetupError> {
    // An explicit provider: ring is the one compiled in, and relying on a
    // process-wide default would panic if another crate ever added aws-lc.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(TlsSetupError::Protocol)?;
    let config = if accept_invalid_certs {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate { provider }))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = ca_file {
            add_ca_file(&mut roots, path)?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    Ok(config)
}

fn add_ca_file(roots: &mut RootCertStore, path: &Path) -> Result<(), TlsSetupError> {
    let read_error = |source| TlsSetupError::Read {
        path: path.to_owned(),
        source,
    };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(read_error)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_error)?;
    if certificates.is_empty() {
        return Err(TlsSetupError::NoCertificate {
            path: path.to_owned(),
        });
    }
    for (index, certificate) in certificates.into_iter().enumerate() {
        roots
            .add(certificate)
            .map_err(|source| TlsSetupError::BadCertificate {
                path: path.to_owned(),
                index: index + 1,
                source,
            })?;
    }
    Ok(())
}

/// Trusts any certificate (`clickhouse.tls_accept_invalid_certs`), but still
/// checks the handshake signatures, so the connection is encrypted to the
/// holder of the presented certificate's key.
#[derive(Debug)]
struct AcceptAnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AcceptAnyCertificate {
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
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_ca_file_is_named() {
        let error = check_ca_file(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(matches!(error, TlsSetupError::Read { .. }), "{error}");
        assert!(error.to_string().contains("/nonexistent/ca.pem"), "{error}");
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let dir = std::env::temp_dir().join(format!("jamscope-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("not-a-cert.pem");
        std::fs::write(&path, "just text\n").unwrap();
        let error = check_ca_file(&path).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            matches!(error, TlsSetupError::NoCertificate { .. }),
            "{error}"
        );
    }

    #[test]
    fn a_pem_block_that_is_no_certificate_is_refused() {
        let dir = std::env::temp_dir().join(format!("jamscope-tls-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("garbage.pem");
        std::fs::write(
            &path,
            "-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let error = check_ca_file(&path).unwrap_err();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(
            matches!(error, TlsSetupError::BadCertificate { index: 1, .. }),
            "{error}"
        );
    }

    #[test]
    fn both_trust_modes_build() {
        assert!(client_config(None, false).is_ok());
        assert!(client_config(None, true).is_ok());
    }
}
