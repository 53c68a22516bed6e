//! The log search form, filled again with what was asked.

use maud::{html, Markup};

use crate::model::{Layer, Severity};
use crate::ui::layout::option;
use crate::ui::window::window_select;

const WINDOWS: [&str; 5] = ["15m", "1h", "6h", "24h", "7d"];

/// The search as asked, to fill the form again.
#[derive(Debug, Default)]
pub struct Asked {
    pub service: String,
    pub layer: String,
    pub severity: String,
    pub q: String,
    pub trace_id: String,
    pub window: String,
}

/// The search form, filled with what was asked.
pub fn render(asked: &Asked) -> Markup {
    html! {
        form class="filters panel" method="get" action="/ui/logs" {
            label class="wide-field" {
                "Words of the body"
                input name="q" value=(asked.q) placeholder="any" type="search";
            }
            label { "Service" input name="service" value=(asked.service) placeholder="any"; }
            label {
                "Layer"
                select name="layer" {
                    (option("", "any", asked.layer.is_empty()))
                    @for layer in Layer::ALL.map(Layer::as_str) {
                        (option(layer, layer, asked.layer == layer))
                    }
                }
            }
            label {
                "Severity"
                select name="severity" {
                    (option("", "any", asked.severity.is_empty()))
                    @for severity in Severity::ALL {
                        @let value = severity.as_str().to_ascii_lowercase();
                        (option(&value, &format!("{severity} and above"), asked.severity == value))
                    }
                }
            }
            (window_select(&WINDOWS, &asked.window, "1h (default)"))
            @if !asked.trace_id.is_empty() {
                input type="hidden" name="trace_id" value=(asked.trace_id);
            }
            button type="submit" { "Search" }
        }
    }
}
