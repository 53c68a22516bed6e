//! The shell every page shares (head, navigation, the stylesheet and
//! script it links) and the small pieces pages are built from: empty
//! states, scrolling tables, form choices, layer and rating classes.

use maud::{html, Markup, DOCTYPE};

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
    Logs,
    Errors,
    Alerts,
    None,
}

const NAV: [(Nav, &str, &str); 5] = [
    (Nav::Overview, "/ui/", "Overview"),
    (Nav::Traces, "/ui/traces", "Traces"),
    (Nav::Logs, "/ui/logs", "Logs"),
    (Nav::Errors, "/ui/errors", "Errors"),
    (Nav::Alerts, "/ui/alerts", "Alerts"),
];

/// A whole HTML document around a page's `body`.
pub fn page(title: &str, nav: Nav, body: Markup) -> String {
    html! {
        (DOCTYPE) "\n"
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Jamscope" }
                link rel="icon" href="/ui/favicon.svg" type="image/svg+xml";
                link rel="stylesheet" href="/ui/app.css";
                script src="/ui/app.js" defer {}
            }
            body {
                header class="top" {
                    a class="brand" href="/ui/" { "Jamscope" }
                    nav aria-label="Pages" {
                        @for (which, href, text) in NAV {
                            a href=(href) aria-current=[(which == nav).then_some("page")] { (text) }
                        }
                    }
                }
                main { (body) }
            }
        }
        "\n"
    }
    .into_string()
}

/// What a section shows when it has nothing.
pub fn empty(message: &str) -> Markup {
    html! { p class="empty" { (message) } }
}

/// A table that scrolls sideways on a narrow screen: `head` is the header
/// row's cells, `rows` the body's rows.
pub fn scroll_table(id: &str, head: Markup, rows: Markup) -> Markup {
    html! {
        div class="scroll" {
            table id=(id) {
                thead { tr { (head) } }
                tbody { (rows) }
            }
        }
    }
}

/// One choice of a `<select>`.
pub fn option(value: &str, text: &str, chosen: bool) -> Markup {
    html! { option value=(value) selected[chosen] { (text) } }
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
pub fn layer_chip(layer: &str) -> Markup {
    html! { span class={ "chip " (layer_class(layer)) } { (layer) } }
}

/// The CSS class of a web-vitals rating; `unrated` when unknown.
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
        let html = page("<b>x</b>", Nav::Traces, html! { p { "body" } });
        assert!(html.contains("<title>&lt;b&gt;x&lt;/b&gt; · Jamscope</title>"));
        assert!(html.contains("<a href=\"/ui/traces\" aria-current=\"page\">Traces</a>"));
        assert!(html.contains("<main><p>body</p></main>"));
        assert!(!html.contains("<style"), "styles come from /ui/app.css");
        assert_eq!(html.matches("<script").count(), 1);
    }

    #[test]
    fn markup_and_quotes_in_stored_text_become_entities() {
        // maud escapes `&`, `<`, `>` and `"`; an apostrophe stays, since
        // every attribute it writes is double-quoted.
        assert_eq!(
            empty(r#"<script>alert("x" & 'y')</script>"#).into_string(),
            "<p class=\"empty\">&lt;script&gt;alert(&quot;x&quot; &amp; 'y')&lt;/script&gt;</p>"
        );
        assert_eq!(
            empty("plain café").into_string(),
            "<p class=\"empty\">plain café</p>"
        );
    }

    #[test]
    fn unknown_layers_and_ratings_get_a_fixed_class() {
        assert_eq!(layer_class("cdn"), "l-cdn");
        assert_eq!(layer_class("\" onclick=\"x"), "l-other");
        assert_eq!(rating_class("poor"), "poor");
        assert_eq!(rating_class("<x>"), "unrated");
        assert!(empty("<none>").into_string().contains("&lt;none&gt;"));
        assert_eq!(
            layer_chip("cdn").into_string(),
            "<span class=\"chip l-cdn\">cdn</span>"
        );
    }
}
