//! The resource of a group of records, whatever the signal: its service
//! name and layer come from its attributes (`LayerRules`), so a service's
//! spans and log records land in the same layer.

use crate::model::{AttributeValue, Attributes, Layer, LayerRules, Resource};

/// The resource a group's attributes describe.
pub(crate) fn resource_from(attributes: Attributes, layers: &LayerRules) -> Resource {
    let string_attribute = |key: &str| {
        attributes.iter().find_map(|(k, v)| match v {
            AttributeValue::String(s) if k == key => Some(s.as_str()),
            _ => None,
        })
    };
    // OpenTelemetry's documented default when a service does not name itself.
    let service_name = string_attribute("service.name")
        .unwrap_or("unknown_service")
        .to_owned();
    let layer = layers.resolve(string_attribute(Layer::RESOURCE_ATTRIBUTE), &service_name);
    Resource {
        service_name,
        layer,
        attributes,
    }
}
