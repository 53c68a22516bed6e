//! A rule's levels: which severities it has, the value that triggers each,
//! and which way a value breaches them. Built from `warning`/`critical`, or
//! from one `count`/`percent` whose severity is `labels.severity`.

use crate::model::alert::Severity;

/// How an observed value is compared with a level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Above,
    Below,
    /// Counts: `>=` (two consecutive failures, one new error).
    AtLeast,
}

impl Comparison {
    pub fn holds(self, value: f64, level: f64) -> bool {
        match self {
            Comparison::Above => value > level,
            Comparison::Below => value < level,
            Comparison::AtLeast => value >= level,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Above => ">",
            Comparison::Below => "<",
            Comparison::AtLeast => ">=",
        }
    }
}

/// One severity of a rule and the level that triggers it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    pub severity: Severity,
    pub threshold: f64,
}

/// The levels of a rule, critical first: `warning`/`critical`, or one
/// `single` level (`count`, `percent`) whose severity is `labels.severity`.
pub(super) fn levels(
    warning: Option<f64>,
    critical: Option<f64>,
    single: Option<(&str, f64)>,
    label_severity: Option<Severity>,
    comparison: Comparison,
) -> Result<Vec<Level>, String> {
    if let Some((field, threshold)) = single {
        if warning.is_some() || critical.is_some() {
            return Err(format!(
                "give either `{field}` or warning/critical levels, not both"
            ));
        }
        let severity = label_severity
            .ok_or_else(|| format!("`{field}` needs labels.severity (warning or critical)"))?;
        check_finite(threshold)?;
        return Ok(vec![Level {
            severity,
            threshold,
        }]);
    }
    if warning.is_none() && critical.is_none() {
        return Err("missing levels: give `warning`, `critical` or both".into());
    }
    if label_severity.is_some() {
        return Err("labels.severity comes from the warning/critical levels; remove it".into());
    }
    let mut levels = Vec::new();
    if let Some(threshold) = critical {
        check_finite(threshold)?;
        levels.push(Level {
            severity: Severity::Critical,
            threshold,
        });
    }
    if let Some(threshold) = warning {
        check_finite(threshold)?;
        levels.push(Level {
            severity: Severity::Warning,
            threshold,
        });
    }
    if let (Some(w), Some(c)) = (warning, critical) {
        let (ordered, words) = match comparison {
            Comparison::Below => (w > c, "above"),
            Comparison::Above | Comparison::AtLeast => (w < c, "below"),
        };
        if !ordered {
            return Err(format!(
                "warning {w} must be {words} critical {c} for a rule that breaches when the value is {}",
                match comparison {
                    Comparison::Below => "below its level",
                    _ => "above its level",
                }
            ));
        }
    }
    Ok(levels)
}

fn check_finite(threshold: f64) -> Result<(), String> {
    if threshold.is_finite() {
        Ok(())
    } else {
        Err(format!("level {threshold} is not a number"))
    }
}
