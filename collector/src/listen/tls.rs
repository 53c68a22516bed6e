//! The `[tls]` configuration section: a certificate and key (PEM) for
//! every listener, or one pair per listener (`http_`, `grpc_`, `rum_`
//! prefixed), which wins over the shared pair. A listener with neither
//! speaks plain TCP, as before.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;
use serde::{Deserialize, Serialize};
use tokio_rustls::TlsAcceptor;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// Certificate chain (PEM, leaf first) for every listener.
    pub cert_file: Option<PathBuf>,
    /// Its private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_file: Option<PathBuf>,
    pub http_cert_file: Option<PathBuf>,
    pub http_key_file: Option<PathBuf>,
    pub grpc_cert_file: Option<PathBuf>,
    pub grpc_key_file: Option<PathBuf>,
    pub rum_cert_file: Option<PathBuf>,
    pub rum_key_file: Option<PathBuf>,
}

/// A listener that may have TLS of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerKind {
    /// OTLP/HTTP, `/api`, `/metrics` (and RUM unless `rum_addr` is set).
    Http,
    Grpc,
    Rum,
}

impl ListenerKind {
    /// ALPN: the HTTP server speaks HTTP/1.1 only, gRPC is HTTP/2.
    fn alpn(self) -> Vec<Vec<u8>> {
        match self {
            ListenerKind::Http | ListenerKind::Rum => vec![b"http/1.1".to_vec()],
            ListenerKind::Grpc => vec![b"h2".to_vec()],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("`{cert_key}` and `{key_key}` go together: set both or neither")]
    Unpaired {
        cert_key: &'static str,
        key_key: &'static str,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: rustls::pki_types::pem::Error,
    },
    #[error("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate { path: PathBuf },
    #[error("the certificate in {cert} does not go with the key in {key}: {source}")]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        #[source]
        source: rustls::Error,
    },
}

/// A listener's pair of files, with the config key of its certificate.
struct Pair<'a> {
    cert_key: &'static str,
    cert: &'a Path,
    key: &'a Path,
}

impl TlsConfig {
    /// The files of `kind`'s listener: its own pair, else the shared one.
    fn files(&self, kind: ListenerKind) -> Result<Option<Pair<'_>>, TlsError> {
        let (cert, key, names) = match kind {
            ListenerKind::Http => (
                &self.http_cert_file,
                &self.http_key_file,
                ("tls.http_cert_file", "tls.http_key_file"),
            ),
            ListenerKind::Grpc => (
                &self.grpc_cert_file,
                &self.grpc_key_file,
                ("tls.grpc_cert_file", "tls.grpc_key_file"),
            ),
            ListenerKind::Rum => (
                &self.rum_cert_file,
                &self.rum_key_file,
                ("tls.rum_cert_file", "tls.rum_key_file"),
            ),
        };
        let own = pair(cert, key, names)?;
        let shared = pair(
            &self.cert_file,
            &self.key_file,
            ("tls.cert_file", "tls.key_file"),
        )?;
        Ok(own.or(shared))
    }

    /// Whether `kind`'s listener speaks TLS.
    pub fn enabled(&self, kind: ListenerKind) -> bool {
        matches!(self.files(kind), Ok(Some(_)))
    }

    /// The TLS acceptor of `kind`'s listener, `None` for plain TCP.
    pub fn acceptor(&self, kind: ListenerKind) -> Result<Option<TlsAcceptor>, TlsError> {
        let Some(pair) = self.files(kind)? else {
            return Ok(None);
        };
        let config = server_config(pair.cert, pair.key, kind.alpn())?;
        Ok(Some(TlsAcceptor::from(Arc::new(config))))
    }

    /// Loads every configured pair, so a bad file stops the start; the
    /// error names the key.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        for kind in [ListenerKind::Http, ListenerKind::Grpc, ListenerKind::Rum] {
            let pair = match self.files(kind) {
                Ok(Some(pair)) => pair,
                Ok(None) => continue,
                Err(error @ TlsError::Unpaired { cert_key, .. }) => {
                    return Err((cert_key, error.to_string()))
                }
                Err(error) => return Err(("tls", error.to_string())),
            };
            if let Err(error) = server_config(pair.cert, pair.key, kind.alpn()) {
                return Err((pair.cert_key, error.to_string()));
            }
        }
        Ok(())
    }
}

fn pair<'a>(
    cert: &'a Option<PathBuf>,
    key: &'a Option<PathBuf>,
    (cert_key, key_key): (&'static str, &'static str),
) -> Result<Option<Pair<'a>>, TlsError> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(Pair {
            cert_key,
            cert,
            key,
        })),
        (None, None) => Ok(None),
        _ => Err(TlsError::Unpaired { cert_key, key_key }),
    }
}

fn server_config(cert: &Path, key: &Path, alpn: Vec<Vec<u8>>) -> Result<ServerConfig, TlsError> {
    let read = |path: &Path| {
        let path = path.to_owned();
        move |source| TlsError::Read { path, source }
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(read(cert))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(read(cert))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: cert.to_owned(),
        });
    }
    let private_key = PrivateKeyDer::from_pem_file(key).map_err(read(key))?;
    // An explicit provider: ring is the one compiled in.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mismatch = |source| TlsError::Mismatch {
        cert: cert.to_owned(),
        key: key.to_owned(),
        source,
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(mismatch)?
        .with_no_client_auth()
        .with_single_cert(chain, private_key)
        .map_err(mismatch)?;
    config.alpn_protocols = alpn;
    Ok(config)
}
