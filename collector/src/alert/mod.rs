//! Alerting: rule files (what to watch and when it is bad) and the alert
//! lifecycle (pending, firing, resolved; grouping, inhibition, silences),
//! both pure. Evaluation against live data and the notifiers plug in
//! around them; see ARCHITECTURE.md, "Alerting".

pub mod config;
pub mod dry_run;
pub mod duration;
pub mod engine;
pub mod rules;
pub mod service;
pub mod template;
pub mod window;

pub use config::AlertConfig;
pub use engine::{Engine, EngineSettings, EngineState, Observation, Silence, TickOutput};
pub use rules::{load_dir, Rule, RuleError, RuleSet};
pub use window::{SeriesDelta, Windows};
