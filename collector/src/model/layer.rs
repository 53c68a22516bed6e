//! Which layer of a Jamstack request a service belongs to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The layers of one request, browser first, origin last; ordered as
/// declared, which is [`Layer::ALL`]'s order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    Browser,
    Cdn,
    Gateway,
    Cms,
    Function,
    Other,
}

impl Layer {
    /// The resource attribute that names a service's layer explicitly.
    pub const RESOURCE_ATTRIBUTE: &'static str = "jamstack.layer";

    /// Every layer, in the order people read a request: browser first,
    /// origin last, then the rest.
    pub const ALL: [Layer; 6] = [
        Layer::Browser,
        Layer::Cdn,
        Layer::Gateway,
        Layer::Cms,
        Layer::Function,
        Layer::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Browser => "browser",
            Layer::Cdn => "cdn",
            Layer::Gateway => "gateway",
            Layer::Cms => "cms",
            Layer::Function => "function",
            Layer::Other => "other",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Layer {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "browser" => Ok(Layer::Browser),
            "cdn" | "edge" => Ok(Layer::Cdn),
            "gateway" | "api" => Ok(Layer::Gateway),
            "cms" | "origin" => Ok(Layer::Cms),
            "function" | "serverless" => Ok(Layer::Function),
            "other" => Ok(Layer::Other),
            other => Err(format!(
                "unknown layer '{other}' (expected browser, cdn, gateway, cms, function or other)"
            )),
        }
    }
}

/// One service-name rule: `pattern` is matched against `service.name`, with
/// `*` standing for any run of characters (e.g. `cms-*`, `*-edge`, `*gateway*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerRule {
    pub service: String,
    pub layer: Layer,
}

impl LayerRule {
    fn matches(&self, service_name: &str) -> bool {
        glob_matches(self.service.as_bytes(), service_name.as_bytes())
    }
}

/// Decides a resource's layer: the explicit `jamstack.layer` attribute wins,
/// then the first matching service-name rule, else [`Layer::Other`]. Rules
/// made with [`LayerRules::only`] give one layer whatever a resource says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerRules {
    rules: Vec<LayerRule>,
    only: Option<Layer>,
}

impl LayerRules {
    pub fn new(rules: Vec<LayerRule>) -> Self {
        Self { rules, only: None }
    }

    /// Every resource is `layer`, whatever it claims: what arrives from
    /// the public internet is browser data, and no page may write into a
    /// backend layer's numbers.
    pub fn only(layer: Layer) -> Self {
        Self {
            rules: Vec::new(),
            only: Some(layer),
        }
    }

    pub fn resolve(&self, explicit: Option<&str>, service_name: &str) -> Layer {
        if let Some(layer) = self.only {
            return layer;
        }
        if let Some(layer) = explicit.and_then(|value| value.parse().ok()) {
            return layer;
        }
        self.rules
            .iter()
            .find(|rule| rule.matches(service_name))
            .map_or(Layer::Other, |rule| rule.layer)
    }
}

/// `*`-only glob matching, iterative with single backtracking point, so a
/// pattern from config can never blow up on a long service name.
fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p].eq_ignore_ascii_case(&text[t]) {
            p += 1;
            t += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> LayerRules {
        LayerRules::new(vec![
            LayerRule {
                service: "cms-*".into(),
                layer: Layer::Cms,
            },
            LayerRule {
                service: "*-edge".into(),
                layer: Layer::Cdn,
            },
            LayerRule {
                service: "*gateway*".into(),
                layer: Layer::Gateway,
            },
        ])
    }

    #[test]
    fn explicit_attribute_wins() {
        assert_eq!(
            rules().resolve(Some("browser"), "cms-strapi"),
            Layer::Browser
        );
    }

    #[test]
    fn an_unknown_explicit_value_falls_back_to_rules() {
        assert_eq!(rules().resolve(Some("mainframe"), "cms-strapi"), Layer::Cms);
    }

    #[test]
    fn rules_match_in_order_and_default_to_other() {
        let rules = rules();
        assert_eq!(rules.resolve(None, "cms-strapi"), Layer::Cms);
        assert_eq!(rules.resolve(None, "fastly-edge"), Layer::Cdn);
        assert_eq!(rules.resolve(None, "api-gateway-eu"), Layer::Gateway);
        assert_eq!(rules.resolve(None, "checkout"), Layer::Other);
    }

    #[test]
    fn rules_of_one_layer_override_every_claim() {
        let browser = LayerRules::only(Layer::Browser);
        assert_eq!(browser.resolve(Some("cms"), "cms-strapi"), Layer::Browser);
        assert_eq!(browser.resolve(None, "shop"), Layer::Browser);
    }

    #[test]
    fn glob_handles_stars_anywhere() {
        assert!(glob_matches(b"*", b""));
        assert!(glob_matches(b"a*b*c", b"axxbyyc"));
        assert!(!glob_matches(b"a*b*c", b"axxbyy"));
        assert!(glob_matches(b"CMS", b"cms"));
    }
}
