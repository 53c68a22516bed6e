//! The time window a page covers: the one `window` parameter it accepts,
//! its default, and the links that choose another; and the window field
//! of a search form.

use std::collections::HashMap;
use std::time::Duration;

use maud::{html, Markup};

use super::layout::option;
use super::link::query_value;
use crate::api::params::Params;
use crate::api::ApiError;
use crate::store::queries::TimeRange;

/// A page's choice of windows.
pub struct WindowChoice {
    /// The page the links go to.
    pub path: &'static str,
    /// The windows offered as links.
    pub options: &'static [&'static str],
    /// The window shown when none is asked for, and its length.
    pub default: &'static str,
    pub default_length: Duration,
}

/// The window a request asked for, by name, and the range it covers now.
pub struct Window {
    pub name: String,
    pub range: TimeRange,
}

impl WindowChoice {
    /// The window a page's query asks for; any other parameter is refused.
    pub fn asked_in(&self, query: HashMap<String, String>) -> Result<Window, ApiError> {
        let params = Params::new(query, &["window"])?;
        Ok(Window {
            name: params
                .text("window")?
                .unwrap_or_else(|| self.default.to_owned()),
            range: params.range(self.default_length)?,
        })
    }

    /// Links choosing a window, `current` marked.
    pub fn links(&self, current: &str) -> Markup {
        html! {
            nav class="windows" aria-label="Time window" {
                @for option in self.options {
                    a href={ (self.path) "?window=" (query_value(option)) }
                        aria-current=[(*option == current).then_some("true")] { (option) }
                }
            }
        }
    }
}

/// A search form's window field: `options`, the one `asked` (kept when it
/// is not among them), and none, labelled `default_label`.
pub fn window_select(options: &[&str], asked: &str, default_label: &str) -> Markup {
    let mut windows = options.to_vec();
    if !asked.is_empty() && !windows.contains(&asked) {
        windows.push(asked);
    }
    html! {
        label {
            "Window"
            select name="window" {
                (option("", default_label, asked.is_empty()))
                @for window in windows {
                    (option(window, window, asked == window))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHOICE: WindowChoice = WindowChoice {
        path: "/ui/errors",
        options: &["1h", "24h"],
        default: "24h",
        default_length: Duration::from_secs(24 * 3600),
    };

    #[test]
    fn the_default_window_covers_its_length() {
        let window = CHOICE.asked_in(HashMap::new()).unwrap();
        assert_eq!(window.name, "24h");
        assert_eq!(
            window.range.to_millis - window.range.from_millis,
            24 * 3_600_000
        );
        let asked = [("window".to_owned(), "1h".to_owned())].into();
        let window = CHOICE.asked_in(asked).unwrap();
        assert_eq!(
            (
                window.name.as_str(),
                window.range.to_millis - window.range.from_millis
            ),
            ("1h", 3_600_000)
        );
        let unknown = [("from".to_owned(), "0".to_owned())].into();
        assert!(CHOICE.asked_in(unknown).is_err());
    }

    #[test]
    fn the_current_window_is_marked() {
        assert_eq!(
            CHOICE.links("1h").into_string(),
            "<nav class=\"windows\" aria-label=\"Time window\">\
             <a href=\"/ui/errors?window=1h\" aria-current=\"true\">1h</a>\
             <a href=\"/ui/errors?window=24h\">24h</a></nav>"
        );
    }
}
