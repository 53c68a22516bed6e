//! Time per layer in exact integer nanoseconds: the seven parts of a
//! breakdown, always all present and always in the same order.

use serde::Serialize;

use crate::model::Layer;

/// A part of a breakdown: one of the layers, or time no span covered (a
/// seventh part no span can have, hence a type beside [`Layer`] rather
/// than a variant of it). Ordered as declared, which is [`Part::ALL`]'s
/// order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    Layer(Layer),
    Unattributed,
}

impl Part {
    /// Every part, in display order: the layers in [`Layer::ALL`]'s order,
    /// then the time no span covered.
    pub const ALL: [Part; 7] = [
        Part::Layer(Layer::ALL[0]),
        Part::Layer(Layer::ALL[1]),
        Part::Layer(Layer::ALL[2]),
        Part::Layer(Layer::ALL[3]),
        Part::Layer(Layer::ALL[4]),
        Part::Layer(Layer::ALL[5]),
        Part::Unattributed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Part::Layer(layer) => layer.as_str(),
            Part::Unattributed => "unattributed",
        }
    }
}

impl From<Layer> for Part {
    fn from(layer: Layer) -> Self {
        Part::Layer(layer)
    }
}

/// Nanoseconds per part. Serializes as an object with the seven keys in
/// [`Part::ALL`] order, zero when a layer is absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct LayerNanos {
    pub browser: u64,
    pub cdn: u64,
    pub gateway: u64,
    pub cms: u64,
    pub function: u64,
    pub other: u64,
    pub unattributed: u64,
}

impl LayerNanos {
    pub fn get(&self, part: Part) -> u64 {
        match part {
            Part::Layer(Layer::Browser) => self.browser,
            Part::Layer(Layer::Cdn) => self.cdn,
            Part::Layer(Layer::Gateway) => self.gateway,
            Part::Layer(Layer::Cms) => self.cms,
            Part::Layer(Layer::Function) => self.function,
            Part::Layer(Layer::Other) => self.other,
            Part::Unattributed => self.unattributed,
        }
    }

    /// The part in milliseconds, for display and JSON consumers that want
    /// ms; the nanosecond fields stay the exact values.
    pub fn ms(&self, part: Part) -> f64 {
        nanos_to_ms(self.get(part))
    }

    /// Each part with its nanoseconds, in [`Part::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Part, u64)> + '_ {
        Part::ALL.into_iter().map(|part| (part, self.get(part)))
    }

    /// The sum of all parts. For a breakdown this is exactly the wall time
    /// (it cannot overflow); for inclusive times, whose parts overlap, it
    /// saturates rather than wrapping.
    pub fn total(&self) -> u64 {
        self.iter()
            .fold(0u64, |sum, (_, nanos)| sum.saturating_add(nanos))
    }

    pub(super) fn add(&mut self, part: Part, nanos: u64) {
        let slot = match part {
            Part::Layer(Layer::Browser) => &mut self.browser,
            Part::Layer(Layer::Cdn) => &mut self.cdn,
            Part::Layer(Layer::Gateway) => &mut self.gateway,
            Part::Layer(Layer::Cms) => &mut self.cms,
            Part::Layer(Layer::Function) => &mut self.function,
            Part::Layer(Layer::Other) => &mut self.other,
            Part::Unattributed => &mut self.unattributed,
        };
        // Parts of one trace never exceed its wall time, a u64.
        *slot = slot.saturating_add(nanos);
    }
}

/// Nanoseconds as fractional milliseconds (`nanos / 1e6`, correctly rounded
/// for any duration below about 104 days, 2⁵³ ns). For display and JSON
/// only: sums are done on the exact nanoseconds.
pub fn nanos_to_ms(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}
