//! One typed configuration, read from a TOML file and `JAMSCOPE_*`
//! environment variables (which win), and validated before anything starts.
//!
//! Environment names map to keys by their first word: `JAMSCOPE_HTTP_ADDR`
//! is `http_addr`; `JAMSCOPE_CLICKHOUSE_URL` is `url` in `[clickhouse]`
//! because `clickhouse` names a section. A few documented names that do not
//! follow the rule are aliases ([`ENV_ALIASES`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::access::{AuthConfig, LimitsConfig};
use crate::alert::config::MOVED_KEYS;
use crate::alert::AlertConfig;
use crate::errors::sourcemaps::SourceMapsConfig;
use crate::ingest::bounds::RequestsConfig;
use crate::ingest::builds::BuildsConfig;
pub use crate::ingest::rum::RumConfig;
use crate::ingest::IngestConfig;
use crate::listen::TlsConfig;
use crate::model::kpi::KpiSettings;
use crate::model::{LayerRule, LayerRules, SpanLimits};
use crate::store::spool::SpoolConfig;
use crate::store::{ClickHouseConfig, WriterConfig};
use crate::telemetry::SelfTelemetryConfig;

/// Sections whose keys can be set as `JAMSCOPE_<SECTION>_<KEY>`. A table
/// inside a section (`alert.email`) comes before its section, so the
/// longer name wins: `JAMSCOPE_ALERT_EMAIL_TO` is `alert.email.to`.
const SECTIONS: &[&str] = &[
    "clickhouse",
    "writer",
    "ingest",
    "rum",
    "requests",
    "span_limits",
    "spool",
    "self_telemetry",
    "kpi",
    "alert.email",
    "alert.webhook",
    "alert.slack",
    "alert.pagerduty",
    "alert.delivery",
    "alert",
    "builds",
    "sourcemaps",
    "auth",
    "limits",
    "tls",
];

/// Environment names (after `JAMSCOPE_`, lowercased) that name a key
/// another way than section + key: `JAMSCOPE_BUILD_WEBHOOK_SECRET` reads
/// like the CI setting it is, `JAMSCOPE_BUILDS_WEBHOOK_SECRET` works too.
/// A key that moved ([`MOVED_KEYS`]) keeps its old name here as well:
/// `JAMSCOPE_ALERT_SMTP_URL` sets `alert.email.smtp_url`.
const ENV_ALIASES: &[(&str, &str)] = &[
    ("build_webhook_secret", "builds.webhook_secret"),
    ("smtp_url", "alert.email.smtp_url"),
    // A listener's address, like http_addr, not a key of [rum].
    ("rum_addr", "rum_addr"),
];

/// The file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "jamscope.toml";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// OTLP/HTTP, RUM and health endpoints.
    pub http_addr: SocketAddr,
    /// OTLP/gRPC.
    pub grpc_addr: SocketAddr,
    /// The public RUM endpoints (`/v1/rum`, `/rum.js`) on an address of
    /// their own, which serves nothing else. Unset: on `http_addr`.
    pub rum_addr: Option<SocketAddr>,
    /// Where the embedded ClickHouse keeps its data.
    pub data_dir: PathBuf,
    /// How log lines on stderr look.
    pub log_format: LogFormat,
    pub clickhouse: ClickHouseConfig,
    pub writer: WriterConfig,
    pub ingest: IngestConfig,
    pub rum: RumConfig,
    /// Per-request bounds: in flight, bytes being decoded, timeouts.
    pub requests: RequestsConfig,
    /// How much of one span is stored.
    pub span_limits: SpanLimits,
    pub spool: SpoolConfig,
    /// What the layer KPIs read from span attributes.
    pub kpi: KpiSettings,
    /// The collector's own spans and metrics over OTLP.
    pub self_telemetry: SelfTelemetryConfig,
    /// Service-name rules deciding a span's layer when its resource has no
    /// `jamstack.layer` attribute; first match wins.
    pub layers: Vec<LayerRule>,
    /// Where alert notifications go (email, webhook, Slack, PagerDuty).
    pub alert: AlertConfig,
    /// Build and deploy events on `POST /v1/builds`.
    pub builds: BuildsConfig,
    /// Source maps of browser errors: the cache, upload limits, fetching.
    pub sourcemaps: SourceMapsConfig,
    /// API keys for OTLP, `/api` and `/metrics`.
    pub auth: AuthConfig,
    /// Requests a minute per client address, per key, overall.
    pub limits: LimitsConfig,
    /// Certificates of the listeners that speak TLS.
    pub tls: TlsConfig,
}

/// `log_format`: lines for people (`text`) or one JSON object per line for
/// log pipelines (`json`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            http_addr: SocketAddr::from(([127, 0, 0, 1], 4318)),
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 4317)),
            rum_addr: None,
            data_dir: PathBuf::from("data"),
            log_format: LogFormat::default(),
            clickhouse: ClickHouseConfig::default(),
            writer: WriterConfig::default(),
            ingest: IngestConfig::default(),
            rum: RumConfig::default(),
            requests: RequestsConfig::default(),
            span_limits: SpanLimits::default(),
            spool: SpoolConfig::default(),
            kpi: KpiSettings::default(),
            self_telemetry: SelfTelemetryConfig::default(),
            layers: Vec::new(),
            alert: AlertConfig::default(),
            builds: BuildsConfig::default(),
            sourcemaps: SourceMapsConfig::default(),
            auth: AuthConfig::default(),
            limits: LimitsConfig::default(),
            tls: TlsConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file {path} does not exist")]
    MissingFile { path: PathBuf },
    /// Figment's own text names the key and where it came from (file or
    /// environment); kept as text so it is printed once, not as a chain.
    #[error("invalid configuration: {0}")]
    Parse(String),
    #[error("invalid configuration: `{key}` {problem}")]
    Invalid { key: &'static str, problem: String },
}

impl Config {
    /// Reads defaults, then the TOML file (`path`, or `jamscope.toml` when
    /// present), then `JAMSCOPE_*` variables from the process environment.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let file = match path {
            Some(path) if !path.exists() => {
                return Err(ConfigError::MissingFile {
                    path: path.to_owned(),
                })
            }
            Some(path) => Some(path.to_owned()),
            None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
        };
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        if let Some((old, new)) = MOVED_KEYS.iter().find(|(old, _)| figment.contains(old)) {
            return Err(ConfigError::Invalid {
                key: old,
                problem: format!("has moved: set `{new}` instead"),
            });
        }
        figment = figment.merge(
            Env::prefixed("JAMSCOPE_")
                .filter(|key| !is_reserved_env(key.as_str()))
                .map(|key| env_key(key.as_str()).into()),
        );
        let config: Config = figment
            .extract()
            .map_err(|e: figment::Error| ConfigError::Parse(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, problem: &str| {
            Err(ConfigError::Invalid {
                key,
                problem: problem.to_owned(),
            })
        };
        if let Err((key, problem)) = self.clickhouse.validate() {
            return invalid(key, &problem);
        }
        if let Err((key, problem)) = self.writer.validate() {
            return invalid(key, problem);
        }
        if let Err((key, problem)) = self.ingest.validate() {
            return invalid(key, problem);
        }
        if let Err((key, problem)) = self.spool.validate() {
            return invalid(key, problem);
        }
        if let Err((key, problem)) = self.self_telemetry.validate() {
            return invalid(key, &problem);
        }
        if let Err((key, problem)) = self.rum.validate() {
            return invalid(key, &problem);
        }
        if let Err((key, problem)) = self.requests.validate(&self.ingest) {
            return invalid(key, &problem);
        }
        if let Err((key, problem)) = self.span_limits.validate() {
            return invalid(key, problem);
        }
        if let Err((key, problem)) = self.alert.validate() {
            return invalid(key, &problem);
        }
        if let Err((key, problem)) = self.builds.validate() {
            return invalid(key, problem);
        }
        if let Err((key, problem)) = self.sourcemaps.validate() {
            return invalid(key, &problem);
        }
        if let Err((key, problem)) = self.auth.validate() {
            return invalid(key, &problem);
        }
        if let Err((key, problem)) = self.tls.validate() {
            return invalid(key, &problem);
        }
        if let Some(rum) = self.rum_addr {
            if rum.port() != 0 && (rum == self.http_addr || rum == self.grpc_addr) {
                return invalid("rum_addr", "must differ from http_addr and grpc_addr");
            }
        }
        Ok(())
    }

    /// A copy safe to print (`config check`): every secret, and the
    /// password of every URL, replaced by `<redacted>`.
    pub fn redacted(&self) -> Self {
        let mut shown = self.clone();
        let redact_url = |url: &mut Option<String>| {
            if let Some(url) = url {
                *url = crate::redact::url(url);
            }
        };
        redact_url(&mut shown.clickhouse.url);
        for node in &mut shown.clickhouse.cluster_nodes {
            *node = crate::redact::url(node);
        }
        if shown.clickhouse.password.is_some() {
            shown.clickhouse.password = Some(crate::redact::REDACTED.into());
        }
        redact_url(&mut shown.self_telemetry.endpoint);
        shown.rum = shown.rum.redacted();
        shown.alert = shown.alert.redacted();
        shown.builds = shown.builds.redacted();
        shown.auth = shown.auth.redacted();
        shown
    }

    /// How old an accepted span may be.
    pub fn max_span_age(&self) -> Duration {
        let hours = self
            .ingest
            .max_span_age_hours
            .unwrap_or(u64::from(self.clickhouse.ttl_days) * 24);
        Duration::from_secs(hours.saturating_mul(3_600))
    }

    /// How old an accepted log record may be: as long as logs are kept.
    pub fn max_log_age(&self) -> Duration {
        days(self.clickhouse.logs_ttl_days())
    }

    /// How old a metric point may be: the metric tables' retention.
    pub fn max_metric_age(&self) -> Duration {
        days(self.clickhouse.metrics_ttl_days())
    }

    pub fn layer_rules(&self) -> LayerRules {
        LayerRules::new(self.layers.clone())
    }
}

/// A retention in days as the age a record may have.
fn days(days: u32) -> Duration {
    Duration::from_secs(u64::from(days).saturating_mul(24 * 3_600))
}

/// `JAMSCOPE_LOG` (the log filter) and `JAMSCOPE_TEST_*` (the test
/// harness) share the prefix but are not configuration keys.
fn is_reserved_env(key: &str) -> bool {
    key.eq_ignore_ascii_case("LOG") || key.to_ascii_uppercase().starts_with("TEST_")
}

/// `CLICKHOUSE_URL` → `clickhouse.url`; `HTTP_ADDR` → `http_addr`;
/// `ALERT_EMAIL_TO` → `alert.email.to`; a moved key's old name → its new
/// key (`ALERT_SEND_TIMEOUT_MS` → `alert.delivery.send_timeout_ms`).
fn env_key(key: &str) -> String {
    let key = key.to_ascii_lowercase();
    if let Some((_, target)) = ENV_ALIASES.iter().find(|(alias, _)| *alias == key) {
        return (*target).to_owned();
    }
    let dotted = SECTIONS
        .iter()
        .find_map(|section| {
            let rest = key
                .strip_prefix(&section.replace('.', "_"))?
                .strip_prefix('_')?;
            Some(format!("{section}.{rest}"))
        })
        .unwrap_or(key);
    match MOVED_KEYS.iter().find(|(old, _)| *old == dotted) {
        Some((_, new)) => (*new).to_owned(),
        None => dotted,
    }
}

#[cfg(test)]
// figment's Jail closures return its (large) error type by design.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn env_names_map_to_sections() {
        assert_eq!(env_key("CLICKHOUSE_URL"), "clickhouse.url");
        assert_eq!(env_key("WRITER_BATCH_ROWS"), "writer.batch_rows");
        assert_eq!(env_key("HTTP_ADDR"), "http_addr");
        assert_eq!(env_key("DATA_DIR"), "data_dir");
        assert_eq!(env_key("LOG_FORMAT"), "log_format");
        assert_eq!(env_key("SMTP_URL"), "alert.email.smtp_url");
        assert_eq!(env_key("ALERT_RULES_DIR"), "alert.rules_dir");
        assert_eq!(
            env_key("SELF_TELEMETRY_INTERVAL_SECS"),
            "self_telemetry.interval_secs"
        );
        assert_eq!(env_key("BUILD_WEBHOOK_SECRET"), "builds.webhook_secret");
        assert_eq!(env_key("BUILDS_WEBHOOK_SECRET"), "builds.webhook_secret");
        assert_eq!(
            env_key("BUILDS_MAX_CLOCK_SKEW_SECS"),
            "builds.max_clock_skew_secs"
        );
    }

    #[test]
    fn build_keys_read_from_env_and_toml() {
        Jail::expect_with(|jail| {
            let config = Config::load(None).expect("valid");
            assert_eq!(config.builds.webhook_secret, None);
            assert_eq!(config.builds.max_clock_skew_secs, 300);
            // Read as a number by the environment provider: kept as text.
            jail.set_env("JAMSCOPE_BUILD_WEBHOOK_SECRET", "12345");
            let config = Config::load(None).expect("valid");
            assert_eq!(config.builds.webhook_secret.as_deref(), Some("12345"));
            assert!(!format!("{:?}", config.builds).contains("12345"));
            assert_eq!(
                config.builds.redacted().webhook_secret.as_deref(),
                Some("<redacted>")
            );
            jail.set_env("JAMSCOPE_BUILDS_MAX_CLOCK_SKEW_SECS", "0");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("builds.max_clock_skew_secs"), "{error}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.create_file(
                "jamscope.toml",
                "[builds]\nwebhook_secret = \"\"\nmax_clock_skew_secs = 60\n",
            )?;
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("builds.webhook_secret"), "{error}");
            jail.create_file(
                "jamscope.toml",
                "[builds]\nwebhook_secret = \"s3cret\"\nmax_clock_skew_secs = 60\n",
            )?;
            let config = Config::load(None).expect("valid");
            assert_eq!(config.builds.max_clock_skew_secs, 60);
            Ok(())
        });
    }

    #[test]
    fn defaults_file_and_env_layer_in_order() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "jamscope.toml",
                "grpc_addr = \"127.0.0.1:14317\"\n[clickhouse]\ndatabase = \"from_file\"\n\n[[layers]]\nservice = \"cms-*\"\nlayer = \"cms\"\n",
            )?;
            jail.set_env("JAMSCOPE_CLICKHOUSE_DATABASE", "from_env");
            jail.set_env("JAMSCOPE_HTTP_ADDR", "127.0.0.1:14318");
            jail.set_env("JAMSCOPE_LOG", "debug");
            jail.set_env("JAMSCOPE_TEST_BIN", "/bin/true");
            let config = Config::load(None).expect("valid");
            assert_eq!(config.clickhouse.database, "from_env");
            assert_eq!(config.http_addr.port(), 14318);
            assert_eq!(config.grpc_addr.port(), 14317);
            assert_eq!(config.layers.len(), 1);
            assert_eq!(config.writer.batch_rows, 25_000);
            Ok(())
        });
    }

    #[test]
    fn a_cluster_without_keeper_lists_its_nodes_in_env_or_toml() {
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_CLICKHOUSE_URL", "http://127.0.0.1:20011");
            jail.set_env("JAMSCOPE_CLICKHOUSE_CLUSTER", "c");
            jail.set_env(
                "JAMSCOPE_CLICKHOUSE_CLUSTER_NODES",
                "http://127.0.0.1:20011, http://127.0.0.1:20021",
            );
            let config = Config::load(None).expect("valid");
            let nodes = config.clickhouse.schema().nodes().map(<[String]>::to_vec);
            assert_eq!(
                nodes,
                Some(vec![
                    "http://127.0.0.1:20011".to_owned(),
                    "http://127.0.0.1:20021".to_owned()
                ])
            );
            jail.set_env(
                "JAMSCOPE_CLICKHOUSE_CLUSTER_NODES",
                "http://127.0.0.1:20021",
            );
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("clickhouse.cluster_nodes"), "{error}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.create_file(
                "jamscope.toml",
                "[clickhouse]\nurl = \"http://a:8123\"\ncluster = \"prod\"\n",
            )?;
            let config = Config::load(None).expect("valid");
            assert_eq!(config.clickhouse.schema().nodes(), None, "Keeper layout");
            assert!(config.clickhouse.schema().on_cluster().contains("prod"));
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_named() {
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_CLICKHOUSE_URLL", "http://x");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.to_lowercase().contains("urll"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn bad_values_name_the_key() {
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_HTTP_ADDR", "not-an-address");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.to_lowercase().contains("http_addr"), "{error}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_CLICKHOUSE_URL", "ftp://x");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("clickhouse.url"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn rum_lists_read_from_env_strings_and_toml_arrays() {
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_RUM_KEYS", "old-key, new-key,,");
            jail.set_env("JAMSCOPE_RUM_ALLOWED_ORIGINS", "https://shop.example");
            let config = Config::load(None).expect("valid");
            assert_eq!(config.rum.keys, ["old-key", "new-key"]);
            assert_eq!(config.rum.allowed_origins, ["https://shop.example"]);
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.create_file(
                "jamscope.toml",
                "[rum]\nkeys = [\"a\", \"b\"]\nallowed_origins = [\"https://x.example\", \"https://*.y.example\"]\n",
            )?;
            let config = Config::load(None).expect("valid");
            assert_eq!(config.rum.keys, ["a", "b"]);
            assert_eq!(config.rum.allowed_origins.len(), 2);
            assert_eq!(config.rum.max_body_bytes, 65536);
            Ok(())
        });
        Jail::expect_with(|jail| {
            // The environment provider reads `12345` as a number.
            jail.set_env("JAMSCOPE_RUM_KEYS", "12345");
            assert_eq!(Config::load(None).expect("valid").rum.keys, ["12345"]);
            Ok(())
        });
    }

    #[test]
    fn privacy_and_bounds_keys_read_from_env_and_toml() {
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_RUM_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1");
            jail.set_env("JAMSCOPE_RUM_KEEP_QUERY_PARAMS", "utm_source,utm_medium");
            jail.set_env("JAMSCOPE_REQUESTS_MAX_IN_FLIGHT", "8");
            jail.set_env("JAMSCOPE_SPAN_LIMITS_MAX_VALUE_BYTES", "100");
            let config = Config::load(None).expect("valid");
            assert_eq!(config.rum.trusted_proxies, ["10.0.0.0/8", "127.0.0.1"]);
            assert_eq!(config.rum.keep_query_params, ["utm_source", "utm_medium"]);
            assert_eq!(config.requests.max_in_flight, 8);
            assert_eq!(config.span_limits.max_value_bytes, 100);
            assert_eq!(config.span_limits.max_attributes, 128);
            jail.set_env("JAMSCOPE_RUM_TRUST_FORWARDED_FOR", "true");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(
                error.contains("rum.trust_forwarded_for") && error.contains("rum.trusted_proxies"),
                "{error}"
            );
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.create_file(
                "jamscope.toml",
                "[rum]\ntrusted_proxies = [\"10.0.0.0/99\"]\n",
            )?;
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("rum.trusted_proxies"), "{error}");
            jail.create_file("jamscope.toml", "[requests]\nmax_decoding_bytes = 1000\n")?;
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("requests.max_decoding_bytes"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn secrets_are_redacted_for_display() {
        let mut config = Config::default();
        config.clickhouse.url = Some("https://jamscope:chpass@ch.example:8443".into());
        config.clickhouse.password = Some("chpass".into());
        config.self_telemetry.endpoint = Some("http://otel:otelpass@127.0.0.1:4318".into());
        config.rum.keys = vec!["rum-key-1".into()];
        let shown = format!("{:?}", config.redacted());
        for secret in ["chpass", "otelpass", "rum-key-1"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("https://jamscope:<redacted>@ch.example:8443"),
            "{shown}"
        );
    }

    #[test]
    fn rum_defaults_allow_any_origin_without_keys() {
        let rum = Config::default().rum;
        assert_eq!(rum.allowed_origins, ["*"]);
        assert!(rum.keys.is_empty());
        assert_eq!(rum.max_events_per_batch, 100);
    }

    #[test]
    fn bad_rum_origins_are_named() {
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_RUM_ALLOWED_ORIGINS", "shop.example");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("rum.allowed_origins"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn tls_keys_read_from_env_and_are_checked() {
        Jail::expect_with(|jail| {
            let config = Config::load(None).expect("valid");
            assert_eq!(config.clickhouse.ca_file, None);
            assert!(!config.clickhouse.tls_accept_invalid_certs);
            assert_eq!(config.clickhouse.connect_timeout_ms, 5_000);

            jail.set_env("JAMSCOPE_CLICKHOUSE_TLS_ACCEPT_INVALID_CERTS", "true");
            jail.set_env("JAMSCOPE_CLICKHOUSE_CONNECT_TIMEOUT_MS", "750");
            let config = Config::load(None).expect("valid");
            assert!(config.clickhouse.tls_accept_invalid_certs);
            let settings = config
                .clickhouse
                .connection("https://ch.example:8443".into());
            assert_eq!(settings.connect_timeout, Duration::from_millis(750));
            assert!(settings.accept_invalid_certs);

            jail.set_env("JAMSCOPE_CLICKHOUSE_CONNECT_TIMEOUT_MS", "0");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("clickhouse.connect_timeout_ms"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn wire_compression_reads_from_env_and_refuses_unknown_names() {
        use crate::store::client::WireCompression;
        Jail::expect_with(|jail| {
            let config = Config::load(None).expect("valid");
            assert_eq!(config.clickhouse.compression, WireCompression::Auto);
            jail.set_env("JAMSCOPE_CLICKHOUSE_COMPRESSION", "lz4");
            let settings = Config::load(None)
                .expect("valid")
                .clickhouse
                .connection("http://127.0.0.1:8123".into());
            assert_eq!(settings.compression, WireCompression::Lz4);
            jail.set_env("JAMSCOPE_CLICKHOUSE_COMPRESSION", "zstd");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(
                error.contains("`zstd`") && error.contains("`lz4`"),
                "{error}"
            );
            Ok(())
        });
    }

    #[test]
    fn a_ca_file_must_hold_a_certificate() {
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_CLICKHOUSE_CA_FILE", "missing.pem");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(
                error.contains("clickhouse.ca_file") && error.contains("missing.pem"),
                "{error}"
            );
            jail.create_file("empty.pem", "no certificate here\n")?;
            jail.set_env("JAMSCOPE_CLICKHOUSE_CA_FILE", "empty.pem");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(
                error.contains("clickhouse.ca_file") && error.contains("no PEM certificate"),
                "{error}"
            );
            Ok(())
        });
    }

    #[test]
    fn log_format_and_self_telemetry_read_from_env_and_toml() {
        Jail::expect_with(|jail| {
            let config = Config::load(None).expect("valid");
            assert_eq!(config.log_format, LogFormat::Text);
            assert_eq!(config.self_telemetry.endpoint, None);
            assert_eq!(config.self_telemetry.interval_secs, 30);
            assert_eq!(config.self_telemetry.service_name, "jamscope");

            jail.set_env("JAMSCOPE_LOG_FORMAT", "json");
            jail.set_env("JAMSCOPE_SELF_TELEMETRY_ENDPOINT", "http://127.0.0.1:4318");
            jail.set_env("JAMSCOPE_SELF_TELEMETRY_INTERVAL_SECS", "1");
            let config = Config::load(None).expect("valid");
            assert_eq!(config.log_format, LogFormat::Json);
            assert_eq!(
                config.self_telemetry.endpoint.as_deref(),
                Some("http://127.0.0.1:4318")
            );
            assert_eq!(config.self_telemetry.interval_secs, 1);
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.create_file(
                "jamscope.toml",
                "log_format = \"json\"\n[self_telemetry]\nendpoint = \"https://otel.example:4318\"\nservice_name = \"jamscope-eu\"\n",
            )?;
            let config = Config::load(None).expect("valid");
            assert_eq!(config.log_format, LogFormat::Json);
            assert_eq!(config.self_telemetry.service_name, "jamscope-eu");
            Ok(())
        });
    }

    #[test]
    fn alert_keys_read_from_env_and_toml() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "jamscope.toml",
                "[alert.pagerduty]\nrouting_key = \"abc\"\n\n[[alert.routes]]\nmatch = { severity = \"critical\" }\nreceivers = [\"pagerduty\", \"email\"]\n\n[[alert.routes]]\nreceivers = [\"webhook\"]\n",
            )?;
            jail.set_env(
                "JAMSCOPE_ALERT_SMTP_URL",
                "smtp://u:p@mail.example:587?tls=starttls",
            );
            jail.set_env("JAMSCOPE_ALERT_EMAIL_FROM", "alerts@example.com");
            jail.set_env("JAMSCOPE_ALERT_EMAIL_TO", "a@example.com, b@example.com");
            jail.set_env("JAMSCOPE_ALERT_WEBHOOK_URL", "https://hooks.example/x");
            // Read as a number by the environment provider: kept as text.
            jail.set_env("JAMSCOPE_ALERT_WEBHOOK_SECRET", "12345");
            let config = Config::load(None).expect("valid");
            let alert = &config.alert;
            assert_eq!(alert.email.to, ["a@example.com", "b@example.com"]);
            assert_eq!(alert.webhook.secret.as_deref(), Some("12345"));
            assert_eq!(alert.routes.len(), 2);
            assert_eq!(
                alert.routes[0].receivers,
                [
                    crate::notify::ReceiverKind::PagerDuty,
                    crate::notify::ReceiverKind::Email
                ]
            );
            assert!(alert.routes[1].matchers.is_empty());
            Ok(())
        });
    }

    #[test]
    fn bad_log_format_and_self_telemetry_values_are_named() {
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_LOG_FORMAT", "yaml");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.to_lowercase().contains("log_format"), "{error}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_SELF_TELEMETRY_ENDPOINT", "127.0.0.1:4318");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("self_telemetry.endpoint"), "{error}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_SELF_TELEMETRY_INTERVAL_SECS", "0");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("self_telemetry.interval_secs"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn bad_alert_keys_are_named() {
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_ALERT_SMTP_URL", "smtp://mail.example");
            jail.set_env("JAMSCOPE_ALERT_EMAIL_FROM", "alerts@example.com");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("alert.email.to"), "{error}");
            jail.set_env("JAMSCOPE_ALERT_EMAIL_TO", "oncall@example.com");
            jail.set_env(
                "JAMSCOPE_ALERT_SMTP_URL",
                "smtp://u:hunter2@mail.example?tls=maybe",
            );
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("alert.email.smtp_url"), "{error}");
            assert!(!error.contains("hunter2"), "{error}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.create_file("jamscope.toml", "[[alert.routes]]\nreceivers = [\"sms\"]\n")?;
            let error = Config::load(None).unwrap_err().to_string();
            assert!(
                error.contains("alert.routes") && error.contains("sms"),
                "{error}"
            );
            Ok(())
        });
    }

    #[test]
    fn every_documented_alert_variable_reaches_its_table() {
        for (name, key) in [
            ("SMTP_URL", "alert.email.smtp_url"),
            ("ALERT_SMTP_URL", "alert.email.smtp_url"),
            ("ALERT_EMAIL_SMTP_URL", "alert.email.smtp_url"),
            ("ALERT_EMAIL_FROM", "alert.email.from"),
            ("ALERT_EMAIL_TO", "alert.email.to"),
            ("ALERT_WEBHOOK_URL", "alert.webhook.url"),
            ("ALERT_WEBHOOK_SECRET", "alert.webhook.secret"),
            ("ALERT_SLACK_WEBHOOK_URL", "alert.slack.webhook_url"),
            ("ALERT_PAGERDUTY_ROUTING_KEY", "alert.pagerduty.routing_key"),
            ("ALERT_PAGERDUTY_URL", "alert.pagerduty.url"),
            ("ALERT_EXTERNAL_URL", "alert.external_url"),
            ("ALERT_SEND_TIMEOUT_MS", "alert.delivery.send_timeout_ms"),
            (
                "ALERT_RETRY_MAX_ATTEMPTS",
                "alert.delivery.retry_max_attempts",
            ),
            ("ALERT_RETRY_INITIAL_MS", "alert.delivery.retry_initial_ms"),
            ("ALERT_RETRY_MAX_MS", "alert.delivery.retry_max_ms"),
            (
                "ALERT_RETRY_BUDGET_SECS",
                "alert.delivery.retry_budget_secs",
            ),
            ("ALERT_QUEUE_CAPACITY", "alert.delivery.queue_capacity"),
            (
                "ALERT_DELIVERY_QUEUE_CAPACITY",
                "alert.delivery.queue_capacity",
            ),
            ("ALERT_GROUP_INTERVAL", "alert.group_interval"),
        ] {
            assert_eq!(env_key(name), key, "JAMSCOPE_{name}");
        }
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_ALERT_PAGERDUTY_ROUTING_KEY", "R0UTING");
            jail.set_env("JAMSCOPE_ALERT_PAGERDUTY_URL", "http://127.0.0.1:9/v2");
            jail.set_env(
                "JAMSCOPE_ALERT_SLACK_WEBHOOK_URL",
                "https://hooks.example/s",
            );
            jail.set_env("JAMSCOPE_ALERT_SEND_TIMEOUT_MS", "750");
            jail.set_env("JAMSCOPE_ALERT_RETRY_MAX_ATTEMPTS", "2");
            jail.set_env("JAMSCOPE_ALERT_RETRY_INITIAL_MS", "10");
            jail.set_env("JAMSCOPE_ALERT_RETRY_MAX_MS", "20");
            jail.set_env("JAMSCOPE_ALERT_RETRY_BUDGET_SECS", "3");
            jail.set_env("JAMSCOPE_ALERT_QUEUE_CAPACITY", "4");
            let alert = Config::load(None).expect("valid").alert;
            assert_eq!(alert.pagerduty.routing_key.as_deref(), Some("R0UTING"));
            assert_eq!(alert.pagerduty.url, "http://127.0.0.1:9/v2");
            assert_eq!(
                alert.slack.webhook_url.as_deref(),
                Some("https://hooks.example/s")
            );
            let delivery = &alert.delivery;
            assert_eq!(
                (
                    delivery.send_timeout_ms,
                    delivery.retry_max_attempts,
                    delivery.retry_initial_ms,
                    delivery.retry_max_ms,
                    delivery.retry_budget_secs,
                    delivery.queue_capacity
                ),
                (750, 2, 10, 20, 3, 4)
            );
            jail.set_env("JAMSCOPE_ALERT_QUEUE_CAPACITY", "0");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("alert.delivery.queue_capacity"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn alert_tables_read_from_toml_and_old_flat_keys_name_the_new_ones() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "jamscope.toml",
                "[alert]\nexternal_url = \"https://jamscope.example\"\n[alert.email]\nsmtp_url = \"smtp://mail.example\"\nfrom = \"alerts@example.com\"\nto = [\"oncall@example.com\"]\n[alert.webhook]\nurl = \"https://hooks.example/x\"\nsecret = \"s\"\n[alert.delivery]\nretry_max_attempts = 2\n",
            )?;
            let alert = Config::load(None).expect("valid").alert;
            assert_eq!(alert.email.to, ["oncall@example.com"]);
            assert_eq!(
                alert.webhook.url.as_deref(),
                Some("https://hooks.example/x")
            );
            assert_eq!(alert.delivery.retry_max_attempts, 2);
            assert_eq!(alert.delivery.queue_capacity, 256);
            for (old, new) in MOVED_KEYS {
                let (_, key) = old.split_once('.').expect("alert.key");
                jail.create_file("jamscope.toml", &format!("[alert]\n{key} = \"1\"\n"))?;
                let error = Config::load(None).unwrap_err().to_string();
                assert!(error.contains(old) && error.contains(new), "{error}");
            }
            jail.create_file("jamscope.toml", "[alert.email]\nsmtp = \"x\"\n")?;
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("smtp"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn access_keys_read_from_env_and_toml_and_are_hidden() {
        assert_eq!(env_key("RUM_ADDR"), "rum_addr");
        assert_eq!(env_key("AUTH_API_KEYS"), "auth.api_keys");
        assert_eq!(
            env_key("LIMITS_PER_IP_PER_MINUTE"),
            "limits.per_ip_per_minute"
        );
        assert_eq!(env_key("TLS_CERT_FILE"), "tls.cert_file");
        Jail::expect_with(|jail| {
            let config = Config::load(None).expect("valid");
            assert!(config.auth.api_keys.is_empty());
            assert_eq!(config.rum_addr, None);
            assert_eq!(
                (
                    config.limits.per_ip_per_minute,
                    config.limits.per_key_per_minute,
                    config.limits.global_per_minute
                ),
                (100, 1_000, 100_000)
            );
            jail.set_env("JAMSCOPE_AUTH_API_KEYS", "old-secret-key, new-secret-key");
            jail.set_env("JAMSCOPE_RUM_ADDR", "0.0.0.0:8080");
            jail.set_env("JAMSCOPE_LIMITS_GLOBAL_PER_MINUTE", "0");
            let config = Config::load(None).expect("valid");
            assert_eq!(config.auth.api_keys, ["old-secret-key", "new-secret-key"]);
            assert_eq!(config.rum_addr, Some("0.0.0.0:8080".parse().expect("addr")));
            assert_eq!(config.limits.global_per_minute, 0);
            assert!(!format!("{config:?}").contains("secret-key"));
            assert_eq!(
                config.auth.redacted().api_keys,
                ["<redacted>", "<redacted>"]
            );

            jail.set_env("JAMSCOPE_AUTH_API_KEYS", "has space");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("auth.api_keys"), "{error}");
            Ok(())
        });
        Jail::expect_with(|jail| {
            jail.create_file("keys.txt", "# ops\nfile-key\n")?;
            jail.create_file(
                "jamscope.toml",
                "[auth]\napi_keys_file = \"keys.txt\"\n[limits]\nper_ip_per_minute = 5\n",
            )?;
            let config = Config::load(None).expect("valid");
            assert_eq!(config.limits.per_ip_per_minute, 5);
            assert_eq!(
                crate::access::own_key(&config.auth).as_deref(),
                Some("file-key")
            );
            jail.create_file("keys.txt", "\n")?;
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("auth.api_keys_file"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn tls_files_are_paired_and_loaded() {
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_TLS_CERT_FILE", "cert.pem");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(
                error.contains("tls.cert_file") && error.contains("tls.key_file"),
                "{error}"
            );
            jail.set_env("JAMSCOPE_TLS_KEY_FILE", "key.pem");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(
                error.contains("tls.cert_file") && error.contains("cert.pem"),
                "{error}"
            );
            jail.create_file("cert.pem", "not a certificate\n")?;
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("no PEM certificate"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn the_rum_listener_needs_its_own_address() {
        Jail::expect_with(|jail| {
            jail.set_env("JAMSCOPE_RUM_ADDR", "127.0.0.1:4318");
            let error = Config::load(None).unwrap_err().to_string();
            assert!(error.contains("rum_addr"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn a_named_file_must_exist() {
        let error = Config::load(Some(Path::new("/nonexistent/jamscope.toml"))).unwrap_err();
        assert!(matches!(error, ConfigError::MissingFile { .. }));
    }
}
