//! How a measured value reads as text, one rule with the precision as a
//! parameter: rule descriptions and alert annotations (`alert`) and the web
//! UI's tables (`ui`) round differently on purpose, but whole numbers,
//! rounding and zero read the same everywhere.

/// How many digits a value keeps after the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Precision {
    /// Decimals kept.
    pub decimals: usize,
    /// Below 1, more decimals (nine at most) until this many significant
    /// digits show; 0 keeps `decimals` there too.
    pub significant_below_one: usize,
    /// Trailing zeros, and a point left bare, are dropped.
    pub trim_zeros: bool,
}

impl Precision {
    /// In a sentence: at most three decimals, no trailing zeros
    /// (`1234.568`, `0.5`).
    pub const PROSE: Precision = Precision {
        decimals: 3,
        significant_below_one: 0,
        trim_zeros: true,
    };

    /// In a notification, where the value is the news: up to six decimals,
    /// and a tiny value (a rate of errors a second) to its first digit,
    /// nine decimals at most (`0.034`, `0.000000001`).
    pub const MESSAGE: Precision = Precision {
        decimals: 6,
        significant_below_one: 1,
        trim_zeros: true,
    };

    /// In a table whose rows are compared: two decimals, three significant
    /// digits below 1 (`12.35`, `0.456`, `0.00111`).
    pub const TABLE: Precision = Precision {
        decimals: 2,
        significant_below_one: 3,
        trim_zeros: false,
    };
}

/// `value` as text: whole numbers plainly (`3`), others to `precision`; a
/// value that rounds to zero reads `0`, never `-0`. `None` when the value
/// is not finite: the caller says how a missing value reads.
pub fn format_number(value: f64, precision: Precision) -> Option<String> {
    if !value.is_finite() {
        return None;
    }
    let text = if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let mut decimals = precision.decimals;
        if precision.significant_below_one > 0 && value.abs() < 1.0 {
            // The first significant digit is at decimal -floor(log10 |v|).
            let wanted =
                precision.significant_below_one as i32 - 1 - value.abs().log10().floor() as i32;
            decimals = wanted.clamp(decimals as i32, 9) as usize;
        }
        let text = format!("{value:.decimals$}");
        if precision.trim_zeros && text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            text
        }
    };
    Some(if text == "-0" { "0".to_owned() } else { text })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The usual cases are asserted where each precision is used
    // (`alert::template`, `ui::format`); here the edges.
    #[test]
    fn whole_numbers_tiny_values_and_zero_at_the_edges() {
        let prose = |value| format_number(value, Precision::PROSE);
        let table = |value| format_number(value, Precision::TABLE);
        assert_eq!(prose(1e15).as_deref(), Some("1000000000000000"));
        assert_eq!(prose(-1e-9).as_deref(), Some("0"));
        assert_eq!(table(12.5).as_deref(), Some("12.50"));
        assert_eq!(table(-0.25).as_deref(), Some("-0.250"));
        assert_eq!(table(1e-12).as_deref(), Some("0.000000000"));
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(prose(value), None);
            assert_eq!(table(value), None);
        }
    }
}
