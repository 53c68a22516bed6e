//! The `jamscope` command line: the binary's edge, where errors become
//! messages and exit codes.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::OnceLock;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use jamscope::api;
use jamscope::config::{Config, LogFormat};
use jamscope::store::client::Connection;
use jamscope::store::queries::Queries;
use jamscope::store::schema;
use std::io::IsTerminal as _;

// Decoding allocates many small strings per span; mimalloc measured fewer
// CPU-seconds and a lower peak RSS than glibc's malloc under load
// (BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Gives freed memory back to the system after 100 ms instead of mimalloc
/// v3's default second. Every request frees its decoded spans and every
/// insert its chunk; held for a second, that churn was most of the peak
/// RSS at saturation (1000-span requests: 157–179 MiB; 120–132 MiB with
/// 100 ms; ~105 MiB with 10 ms, for 13 % more collector CPU; BENCHMARKS.md).
/// `MIMALLOC_PURGE_DELAY` in the environment still wins.
fn purge_freed_memory_promptly() {
    use std::ffi::{c_int, c_long};
    // `mi_option_purge_delay` in mimalloc.h (the same in v2 and v3).
    const MI_OPTION_PURGE_DELAY: c_int = 15;
    extern "C" {
        fn mi_option_set_default(option: c_int, value: c_long);
    }
    // SAFETY: sets one of mimalloc's options, which it reads atomically;
    // the value is in range for this option.
    unsafe { mi_option_set_default(MI_OPTION_PURGE_DELAY, 100) }
}

#[derive(Parser)]
#[command(
    name = "jamscope",
    version,
    about = "OpenTelemetry and RUM collector for Jamstack sites"
)]
struct Cli {
    /// TOML config file (default: ./jamscope.toml when present). Every key
    /// can also be set as JAMSCOPE_<KEY>, e.g. JAMSCOPE_CLICKHOUSE_URL.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Receive traces and store them (starts an embedded ClickHouse when
    /// no ClickHouse URL is configured).
    Serve,
    /// Create or upgrade the ClickHouse schema, then exit.
    Migrate {
        /// Print the DDL instead of running it.
        #[arg(long)]
        print: bool,
    },
    /// Alert rule commands.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Source maps of a build, through a running collector's API.
    Sourcemaps {
        /// The collector's HTTP address.
        #[arg(
            long,
            env = "JAMSCOPE_COLLECTOR_URL",
            default_value = "http://127.0.0.1:4318",
            global = true
        )]
        collector: String,
        /// An API key, when the collector asks for one.
        #[arg(long, env = "JAMSCOPE_API_KEY", global = true, hide_env_values = true)]
        api_key: Option<String>,
        #[command(subcommand)]
        command: SourcemapsCommand,
    },
    /// Print one trace as a waterfall with its per-layer breakdown.
    Trace {
        /// 32 hex digits.
        trace_id: String,
    },
    /// List traces, newest (or slowest) first.
    Traces {
        /// The N slowest traces of the window instead of the newest.
        #[arg(long, value_name = "N")]
        slowest: Option<u32>,
        /// How far back to look (5m, 1h, 7d).
        #[arg(long, default_value = "1h")]
        window: String,
        #[arg(long)]
        service: Option<String>,
        #[arg(long)]
        layer: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Load every rule file of a directory, report each problem as
    /// file:line, and print each rule in words.
    Check {
        /// The rules directory.
        #[arg(env = "JAMSCOPE_ALERT_RULES_DIR", default_value = "alert-rules")]
        dir: PathBuf,
    },
    /// Run the rules of one file against the stored data (the configured
    /// ClickHouse, or the embedded one a local `serve` runs) and print
    /// what each would fire now.
    Test {
        /// A rule file (`*.yaml`).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum SourcemapsCommand {
    /// Upload every `*.map` under DIR (and the bundle beside each) for one
    /// release; each bundle's URL is the prefix and its path under DIR.
    Upload {
        /// The build's output directory.
        dir: PathBuf,
        /// The app, as the page's rum.js names it.
        #[arg(long)]
        app: String,
        /// The release, as the page's rum.js names it.
        #[arg(long)]
        release: String,
        /// Where DIR is served: `https://shop.example/` or `~/` (any host).
        #[arg(long)]
        url_prefix: String,
    },
    /// List the stored maps, newest first.
    List {
        #[arg(long, default_value = "")]
        app: String,
    },
    /// Delete a release's maps (or one bundle's, with --url).
    Delete {
        #[arg(long)]
        app: String,
        #[arg(long)]
        release: String,
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the configuration and print it as resolved.
    Check,
}

/// The log format once logging is set up; unset while the configuration
/// that chooses it is read.
static LOG_FORMAT: OnceLock<LogFormat> = OnceLock::new();

fn main() -> ExitCode {
    purge_freed_memory_promptly();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        // A configuration error comes before logging exists: it is printed
        // as text. Later ones are logged the way the operator chose.
        Err(error) if LOG_FORMAT.get() == Some(&LogFormat::Json) => {
            tracing::error!(error = format!("{error:#}"), "jamscope stopped");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("jamscope: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr (stdout is for the banner and command output), as
/// text or one JSON object per line; `JAMSCOPE_LOG` filters them.
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("JAMSCOPE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    let _ = LOG_FORMAT.set(format);
}

fn run(cli: Cli) -> anyhow::Result<()> {
    // Rule files stand alone: checking them needs no configuration.
    if let Command::Rules {
        command: RulesCommand::Check { dir },
    } = &cli.command
    {
        return check_rules(dir);
    }
    // Source maps go through a collector's API: no configuration either.
    if let Command::Sourcemaps {
        collector,
        api_key,
        command,
    } = cli.command
    {
        return runtime()?.block_on(sourcemaps(&collector, api_key, command));
    }
    // Nothing logs before the configuration is read: its errors are
    // returned and printed by `main`.
    let config = Config::load(cli.config.as_deref())?;
    init_logging(config.log_format);
    match cli.command {
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            print!("{}", toml_of(&config)?);
            eprintln!("configuration is valid");
            Ok(())
        }
        Command::Migrate { print: true } => {
            let options = config.clickhouse.schema();
            if let Some(nodes) = options.nodes() {
                println!("-- a cluster without Keeper: each statement on every node ({}) before the next\n", nodes.len());
            }
            for statement in schema::all_statements(&options) {
                println!("{statement};\n");
            }
            Ok(())
        }
        Command::Migrate { print: false } => runtime()?.block_on(migrate(config)),
        Command::Trace { trace_id } => runtime()?.block_on(print_trace(config, trace_id)),
        Command::Traces {
            slowest,
            window,
            service,
            layer,
            limit,
        } => {
            let mut params = vec![("window", window), ("limit", limit.to_string())];
            params.extend(service.map(|s| ("service", s)));
            params.extend(layer.map(|l| ("layer", l)));
            runtime()?.block_on(print_traces(config, params, slowest))
        }
        Command::Rules {
            command: RulesCommand::Test { file },
        } => runtime()?.block_on(test_rules(config, file)),
        Command::Rules { .. } | Command::Sourcemaps { .. } => Ok(()),
        Command::Serve => runtime()?.block_on(async {
            jamscope::serve(config, shutdown_signal()).await?;
            Ok(())
        }),
    }
}

fn check_rules(dir: &std::path::Path) -> anyhow::Result<()> {
    match jamscope::alert::load_dir(dir) {
        Ok(set) => {
            for rule in &set.rules {
                println!("{}", rule.describe());
            }
            eprintln!(
                "{} rules in {} files under {} are valid",
                set.rules.len(),
                set.files.len(),
                dir.display()
            );
            Ok(())
        }
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            anyhow::bail!(
                "{} problems in the rules under {}",
                errors.len(),
                dir.display()
            )
        }
    }
}

/// `rules test FILE`: per rule, each series' value now and what it breaches.
async fn test_rules(config: Config, file: PathBuf) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let rules = jamscope::alert::rules::load_str(&file, &text).map_err(|errors| {
        for error in &errors {
            eprintln!("{error}");
        }
        anyhow::anyhow!("{} problems in {}", errors.len(), file.display())
    })?;
    let queries = queries(&config).await?;
    let now = jamscope::clock::now_millis();
    let mut failed = 0;
    for rule in &rules {
        match jamscope::alert::service::observe_rule(&queries, rule, now).await {
            Ok(observations) => {
                print!("{}", jamscope::alert::dry_run::dry_run(rule, &observations))
            }
            Err(error) => {
                failed += 1;
                println!("{}: cannot be evaluated: {error}", rule.name);
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} rules could not be evaluated", rules.len());
    }
    Ok(())
}

/// `sourcemaps upload|list|delete`, each answer printed as JSON lines.
async fn sourcemaps(
    collector: &str,
    api_key: Option<String>,
    command: SourcemapsCommand,
) -> anyhow::Result<()> {
    use jamscope::errors::sourcemaps::upload::{find_maps, Collector};
    let collector = Collector::new(collector, api_key)?;
    match command {
        SourcemapsCommand::Upload {
            dir,
            app,
            release,
            url_prefix,
        } => {
            let maps = find_maps(&dir, &url_prefix)?;
            for map in &maps {
                collector
                    .upload(&app, &release, map)
                    .await
                    .with_context(|| format!("uploading {}", map.map.display()))?;
                println!("{} {}", map.bundle_url, map.map.display());
            }
            eprintln!("{} source maps of {app} {release} uploaded", maps.len());
        }
        SourcemapsCommand::List { app } => {
            let answer = collector.list(&app).await?;
            for part in answer["sourcemaps"].as_array().into_iter().flatten() {
                println!("{part}");
            }
        }
        SourcemapsCommand::Delete { app, release, url } => {
            let answer = collector.delete(&app, &release, url.as_deref()).await?;
            println!("{answer}");
        }
    }
    Ok(())
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    let url = config
        .clickhouse
        .url
        .clone()
        .context("`migrate` needs a ClickHouse URL (JAMSCOPE_CLICKHOUSE_URL); `serve` migrates the embedded one itself")?;
    let connection = Connection::open(config.clickhouse.connection(url))?;
    connection
        .wait_until_ready(std::time::Duration::from_secs(
            config.clickhouse.start_timeout_secs,
        ))
        .await?;
    let applied = schema::migrate(&connection, &config.clickhouse.schema()).await?;
    if applied.is_empty() {
        println!("schema is up to date");
    } else {
        println!("applied: {}", applied.join(", "));
    }
    Ok(())
}

/// The ClickHouse the CLI reads: the configured one, or the embedded one a
/// local `jamscope serve` runs.
async fn queries(config: &Config) -> anyhow::Result<Queries> {
    let url =
        config.clickhouse.url.clone().unwrap_or_else(|| {
            format!("http://127.0.0.1:{}", config.clickhouse.embedded_http_port)
        });
    let connection = Connection::open(config.clickhouse.connection(url))?;
    connection
        .wait_until_ready(std::time::Duration::from_secs(5))
        .await?;
    Ok(Queries::new(connection.client(), config.kpi.clone()))
}

async fn print_trace(config: Config, trace_id: String) -> anyhow::Result<()> {
    let trace_id = api::params::trace_id(&trace_id)?;
    let view = api::trace_view(&queries(&config).await?, trace_id)
        .await?
        .with_context(|| format!("no trace {trace_id} is stored"))?;
    print!("{}", api::waterfall(&view, std::io::stdout().is_terminal()));
    Ok(())
}

async fn print_traces(
    config: Config,
    params: Vec<(&str, String)>,
    slowest: Option<u32>,
) -> anyhow::Result<()> {
    let known = ["window", "limit", "service", "layer"];
    let params = api::params::Params::new(
        params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        &known,
    )?;
    let mut filter = api::filter_from(&params)?;
    if let Some(n) = slowest {
        filter.slowest = true;
        filter.limit = n;
    }
    let traces = queries(&config).await?.search_traces(&filter).await?;
    print!("{}", api::trace_list(&traces));
    Ok(())
}

fn toml_of(config: &Config) -> anyhow::Result<String> {
    let shown = config.redacted();
    let value = figment::Figment::from(figment::providers::Serialized::defaults(shown))
        .extract::<toml_value::Value>()
        .context("rendering the configuration")?;
    Ok(toml_value::render(&value))
}

/// Minimal TOML-ish rendering of the resolved config, for `config check`.
mod toml_value {
    pub type Value = serde_json::Value;

    pub fn render(value: &Value) -> String {
        serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
    }
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
