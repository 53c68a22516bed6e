//! The one-line summary of a breakdown, for logs, alerts and tooltips.

use super::layer_nanos::LayerNanos;

/// Formats a breakdown as, e.g.,
/// `browser 50 ms · cdn 30 ms · gateway 120 ms · cms 45 ms · total 245 ms`.
///
/// Parts appear in [`super::Part::ALL`] order; parts of exactly zero ns are
/// left out (so `unattributed` shows only when non-zero), while a non-zero
/// part under half a millisecond shows as `0 ms`, saying it is present.
/// Each number, the total included, is rounded on its own to the nearest
/// whole millisecond (halves up) for display only, so the shown parts may
/// differ from the shown total by a few ms; the exact values are the
/// nanosecond fields.
pub fn summary(breakdown: &LayerNanos) -> String {
    let mut parts: Vec<String> = breakdown
        .iter()
        .filter(|&(_, nanos)| nanos > 0)
        .map(|(part, nanos)| format!("{} {} ms", part.as_str(), round_ms(nanos)))
        .collect();
    parts.push(format!("total {} ms", round_ms(breakdown.total())));
    parts.join(" · ")
}

fn round_ms(nanos: u64) -> u64 {
    nanos / 1_000_000 + u64::from(nanos % 1_000_000 >= 500_000)
}
