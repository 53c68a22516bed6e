//! The shell every page shares (head, navigation, the stylesheet and
//! script it links) and the small pieces pages are built from: empty
//! states, window pickers, layer and rating classes.

use super::escape::{query_value, Esc};

/// The stylesheet, the script and the icon, served by `ui::mod` as static
/// files so the Content-Security-Policy can be `'self'` only.
pub const CSS: &str = include_str!("assets/app.css");
pub const JS: &str = include_str!("assets/app.js");
pub const FAVICON: &str = include_str!("assets/favicon.svg");

/// Which navigation entry is the current page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Traces,
    Errors,
    Alerts,
    None,
}

const NAV: [(Nav, &str, &str); 4] = [
    (Nav::Overview, "/ui/", "Overview"),
    (Nav::Traces, "/ui/traces", "Traces"),
    (Nav::Errors, "/ui/errors", "Errors"),
    (Nav::Alerts, "/ui/alerts", "Alerts"),
];

/// A whole HTML document: `title` is escaped, `body` is markup already.
pub fn page(title: &str, nav: Nav, body: &str) -> String {
    let links: String = NAV
        .iter()
        .map(|(which, href, text)| {
            let current = if *which == nav {
                " aria-current=\"page\""
            } else {
                ""
            };
            format!("<a href=\"{href}\"{current}>{text}</a>")
        })
        .collect();
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Jamscope</title>\
         <link rel=\"icon\" href=\"/ui/favicon.svg\" type=\"image/svg+xml\">\
         <link rel=\"stylesheet\" href=\"/ui/app.css\">\
         <script src=\"/ui/app.js\" defer></script></head>\
         <body><header class=\"top\"><a class=\"brand\" href=\"/ui/\">Jamscope</a>\
         <nav aria-label=\"Pages\">{links}</nav></header>\
         <main>{body}</main></body></html>\n",
        Esc(title)
    )
}

/// What a section shows when it has nothing: `message` is escaped.
pub fn empty(message: &str) -> String {
    format!("<p class=\"empty\">{}</p>", Esc(message))
}

/// Links choosing a time window, the current one marked; `path` is a
/// fixed page path.
pub fn window_links(path: &str, current: &str, options: &[&str]) -> String {
    let links: String = options
        .iter()
        .map(|option| {
            let marked = if *option == current {
                " aria-current=\"true\""
            } else {
                ""
            };
            format!(
                "<a href=\"{path}?window={}\"{marked}>{option}</a>",
                query_value(option)
            )
        })
        .collect();
    format!("<nav class=\"windows\" aria-label=\"Time window\">{links}</nav>")
}

/// The CSS class of a layer (or `unattributed`); anything unknown is
/// drawn as `other`.
pub fn layer_class(layer: &str) -> &'static str {
    match layer {
        "browser" => "l-browser",
        "cdn" => "l-cdn",
        "gateway" => "l-gateway",
        "cms" => "l-cms",
        "function" => "l-function",
        "unattributed" => "l-unattributed",
        _ => "l-other",
    }
}

/// A layer as a coloured chip.
pub fn layer_chip(layer: &str) -> String {
    format!(
        "<span class=\"chip {}\">{}</span>",
        layer_class(layer),
        Esc(layer)
    )
}

/// The CSS class of a web-vitals rating; empty when unrated.
pub fn rating_class(rating: &str) -> &'static str {
    match rating {
        "good" => "good",
        "needs-improvement" => "needs-improvement",
        "poor" => "poor",
        _ => "unrated",
    }
}

/// A rating in words.
pub fn rating_words(rating: &str) -> &'static str {
    match rating {
        "good" => "good",
        "needs-improvement" => "needs improvement",
        "poor" => "poor",
        _ => "no rating",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_escapes_its_title_and_marks_the_current_page() {
        let html = page("<b>x</b>", Nav::Traces, "<p>body</p>");
        assert!(html.contains("<title>&lt;b&gt;x&lt;/b&gt; · Jamscope</title>"));
        assert!(html.contains("<a href=\"/ui/traces\" aria-current=\"page\">Traces</a>"));
        assert!(html.contains("<main><p>body</p></main>"));
        assert!(!html.contains("<style"), "styles come from /ui/app.css");
        assert_eq!(html.matches("<script").count(), 1);
    }

    #[test]
    fn unknown_layers_and_ratings_get_a_fixed_class() {
        assert_eq!(layer_class("cdn"), "l-cdn");
        assert_eq!(layer_class("\" onclick=\"x"), "l-other");
        assert_eq!(rating_class("poor"), "poor");
        assert_eq!(rating_class("<x>"), "unrated");
        assert!(empty("<none>").contains("&lt;none&gt;"));
    }
}
