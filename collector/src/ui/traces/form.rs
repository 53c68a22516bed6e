//! The trace search form, filled again with what was asked.

use maud::{html, Markup};

use crate::model::Layer;
use crate::ui::layout::option;
use crate::ui::window::window_select;

const WINDOWS: [&str; 5] = ["15m", "1h", "6h", "24h", "7d"];

/// The search as asked, to fill the form again.
#[derive(Debug, Default)]
pub struct Asked {
    pub service: String,
    pub layer: String,
    pub route: String,
    pub min_duration_ms: String,
    pub errors_only: bool,
    pub window: String,
    pub slowest: bool,
}

/// The search form, filled with what was asked.
pub fn render(asked: &Asked) -> Markup {
    html! {
        form class="filters panel" method="get" action="/ui/traces" {
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
            label { "Route" input name="route" value=(asked.route) placeholder="any"; }
            label {
                "Min duration (ms)"
                input name="min_duration_ms" type="number" min="0" value=(asked.min_duration_ms);
            }
            label {
                "Status"
                select name="status" {
                    (option("any", "any", !asked.errors_only))
                    (option("error", "errors only", asked.errors_only))
                }
            }
            (window_select(&WINDOWS, &asked.window, "24h (default)"))
            label {
                "Sort"
                select name="sort" {
                    (option("recent", "newest first", !asked.slowest))
                    (option("slowest", "slowest first", asked.slowest))
                }
            }
            button type="submit" { "Search" }
        }
    }
}
