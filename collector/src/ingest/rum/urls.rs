//! What is kept of the URLs a page reports. Query strings carry search
//! terms, e-mail addresses, reset and session tokens; fragments carry
//! OAuth access tokens (`#access_token=...`). So every URL is stored
//! without its fragment and with only the query parameters the operator
//! listed (`rum.keep_query_params`, e.g. `utm_source`), in their order.

use super::decode::Decoded;
use crate::model::{AttributeValue, Attributes};

/// The query parameters stored; all others are dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryAllowlist {
    names: Vec<String>,
}

impl QueryAllowlist {
    /// Parameter names as configured; the error names a bad one.
    pub fn new(names: &[String]) -> Result<Self, String> {
        let mut kept = Vec::with_capacity(names.len());
        for name in names {
            let name = name.trim();
            if name.is_empty() || name.contains(['=', '&', '#', '?']) {
                return Err(format!(
                    "'{name}' is not a query parameter name (e.g. utm_source)"
                ));
            }
            kept.push(name.to_owned());
        }
        Ok(Self { names: kept })
    }

    /// Scrubs every URL of a decoded beacon: the page's URL, path and
    /// referrer, stack frames' files (an inline script's file is the page
    /// URL), attribution values that are URLs (LCP's resource) and span
    /// attributes that are (a request's or the page's `url.full`).
    pub fn scrub(&self, decoded: &mut Decoded) {
        let page = &mut decoded.page;
        for field in [&mut page.url, &mut page.path, &mut page.referrer] {
            self.scrub_in_place(field);
        }
        for error in &mut decoded.errors {
            for frame in &mut error.stack {
                self.scrub_in_place(&mut frame.file);
            }
        }
        for vital in &mut decoded.vitals {
            self.scrub_attributes(&mut vital.attribution);
        }
        for (_, span) in &mut decoded.spans.sent {
            self.scrub_attributes(&mut span.attributes);
        }
    }

    /// Attribute values that are URLs: LCP's resource, a span's `url.full`.
    pub(crate) fn scrub_attributes(&self, attributes: &mut Attributes) {
        for (_, value) in attributes {
            if let AttributeValue::String(text) = value {
                if text.contains("://") {
                    self.scrub_in_place(text);
                }
            }
        }
    }

    fn scrub_in_place(&self, url: &mut String) {
        if url.contains(['?', '#']) {
            *url = self.scrub_url(url);
        }
    }

    /// `url` (absolute, or a path) without its fragment and with only the
    /// allowed query parameters; no `?` when none is left.
    pub fn scrub_url(&self, url: &str) -> String {
        let without_fragment = url.split_once('#').map_or(url, |(before, _)| before);
        let Some((base, query)) = without_fragment.split_once('?') else {
            return without_fragment.to_owned();
        };
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| {
                let name = pair.split_once('=').map_or(*pair, |(name, _)| name);
                self.allows(name)
            })
            .collect();
        if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        }
    }

    /// Names compare as sent or percent-decoded (`utm%5Fsource`).
    fn allows(&self, raw_name: &str) -> bool {
        if raw_name.is_empty() || self.names.is_empty() {
            return false;
        }
        let decoded: String = url::form_urlencoded::parse(raw_name.as_bytes())
            .next()
            .map(|(name, _)| name.into_owned())
            .unwrap_or_default();
        self.names
            .iter()
            .any(|name| name == raw_name || *name == decoded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rum::{MetricName, Rating, RumError, StackFrame, Vital};
    use crate::model::Attributes;

    fn allowlist(names: &[&str]) -> QueryAllowlist {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        QueryAllowlist::new(&names).expect("valid")
    }

    #[test]
    fn queries_and_fragments_are_dropped_by_default() {
        let none = QueryAllowlist::default();
        assert_eq!(
            none.scrub_url("https://shop.example/reset?token=abc&email=a%40b.c#access_token=x"),
            "https://shop.example/reset"
        );
        assert_eq!(none.scrub_url("/search?q=my+name"), "/search");
        assert_eq!(none.scrub_url("https://x/a#b?c"), "https://x/a");
        assert_eq!(none.scrub_url("https://x/plain"), "https://x/plain");
        assert_eq!(none.scrub_url(""), "");
    }

    #[test]
    fn allowed_parameters_are_kept_in_order() {
        let utm = allowlist(&["utm_source", "utm_campaign"]);
        assert_eq!(
            utm.scrub_url("https://x/p?utm_campaign=spring&token=t&utm_source=news#frag"),
            "https://x/p?utm_campaign=spring&utm_source=news"
        );
        assert_eq!(
            utm.scrub_url("https://x/p?utm%5Fsource=a"),
            "https://x/p?utm%5Fsource=a"
        );
        assert_eq!(
            utm.scrub_url("https://x/p?utm_source"),
            "https://x/p?utm_source"
        );
        assert_eq!(utm.scrub_url("https://x/p?utm_sourcex=1"), "https://x/p");
    }

    #[test]
    fn names_that_cannot_be_parameters_are_refused() {
        for bad in ["", "a=b", "a&b", "#x"] {
            assert!(QueryAllowlist::new(&[bad.to_owned()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_url_of_a_beacon_is_scrubbed() {
        let mut decoded = Decoded::default();
        decoded.page.url = "https://x/p?secret=1&utm_source=a".into();
        decoded.page.path = "/p?secret=1".into();
        decoded.page.referrer = "https://search.example/?q=me".into();
        decoded.errors.push(RumError::new(
            "boom".into(),
            "Error".into(),
            vec![StackFrame {
                file: "https://x/p?secret=1".into(),
                function: "f".into(),
                line: 1,
                column: 1,
            }],
            0,
        ));
        let attribution: Attributes = vec![
            (
                "url".into(),
                AttributeValue::String("https://cdn/x.jpg?sig=s".into()),
            ),
            (
                "element".into(),
                AttributeValue::String("a[href='?x']".into()),
            ),
        ];
        decoded.vitals.push(Vital {
            name: MetricName::Lcp,
            value: 1.0,
            rating: Rating::Good,
            delta: 1.0,
            metric_id: "v5-1-1".into(),
            navigation_type: None,
            attribution,
            timestamp_millis: 0,
            page_started_at_millis: 0,
        });
        allowlist(&["utm_source"]).scrub(&mut decoded);
        assert_eq!(decoded.page.url, "https://x/p?utm_source=a");
        assert_eq!(decoded.page.path, "/p");
        assert_eq!(decoded.page.referrer, "https://search.example/");
        assert_eq!(decoded.errors[0].stack[0].file, "https://x/p");
        let attribution = &decoded.vitals[0].attribution;
        assert_eq!(
            attribution[0].1,
            AttributeValue::String("https://cdn/x.jpg".into())
        );
        assert_eq!(
            attribution[1].1,
            AttributeValue::String("a[href='?x']".into()),
            "not a URL"
        );
    }
}
