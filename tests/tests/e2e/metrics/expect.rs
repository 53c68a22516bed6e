//! What a metric export should leave in the five tables, row for row: the
//! rows OTLP/JSON requests (as the SDK clients print what they exported,
//! as the protocol's example is written, as prost's types serialise) must
//! become, compared with the stored rows column by column. Times are
//! whole seconds (the tables' `DateTime`), exactly as ClickHouse keeps them.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::harness::Collector;

/// The tables, each with the columns compared, as selected.
const TABLES: [(&str, &str); 5] = [
    ("gauge", "Value, Flags, {exemplars}"),
    (
        "sum",
        "Value, Flags, {exemplars}, AggregationTemporality, IsMonotonic",
    ),
    (
        "histogram",
        "Count, Sum, BucketCounts, ExplicitBounds, Min, Max, Flags, {exemplars}, AggregationTemporality",
    ),
    (
        "exponential_histogram",
        "Count, Sum, Scale, ZeroCount, PositiveOffset, PositiveBucketCounts, NegativeOffset, \
         NegativeBucketCounts, Min, Max, Flags, {exemplars}, AggregationTemporality",
    ),
    (
        "summary",
        "Count, Sum, `ValueAtQuantiles.Quantile` AS Quantiles, `ValueAtQuantiles.Value` AS QuantileValues, Flags",
    ),
];

const LEADING: &str = "ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, \
    ScopeAttributes, ScopeDroppedAttrCount, ScopeSchemaUrl, ServiceName, MetricName, \
    MetricDescription, MetricUnit, Attributes, toUnixTimestamp(StartTimeUnix) AS StartTimeUnix, \
    toUnixTimestamp(TimeUnix) AS TimeUnix, Layer";

const EXEMPLARS: &str = "`Exemplars.FilteredAttributes` AS ExemplarAttributes, \
    arrayMap(t -> toUnixTimestamp(t), `Exemplars.TimeUnix`) AS ExemplarTimes, \
    `Exemplars.Value` AS ExemplarValues, `Exemplars.SpanId` AS ExemplarSpanIds, \
    `Exemplars.TraceId` AS ExemplarTraceIds";

/// Columns holding doubles (JSON writes 5.0 as 5, so both sides are made
/// f64 before comparing).
const FLOATS: &[&str] = &[
    "Value",
    "Sum",
    "Min",
    "Max",
    "ExplicitBounds",
    "ExemplarValues",
    "Quantiles",
    "QuantileValues",
];

/// Waits until every point of `requests` (OTLP/JSON export requests) is
/// stored, then compares each table's rows with the expected ones, as
/// multisets: `layer` is the layer every row should carry. `filter` is a
/// condition on the rows looked at (the client's service, say).
pub fn assert_points_stored(collector: &Collector, requests: &[Value], layer: &str, filter: &str) {
    let expected = expected_rows(requests, layer);
    assert!(
        expected.values().any(|rows| !rows.is_empty()),
        "nothing was sent"
    );
    for (table, columns) in TABLES {
        let want = expected.get(table).cloned().unwrap_or_default();
        let name = format!("otel_metrics_{table}");
        collector.wait_for_rows(&format!("{name} WHERE {filter}"), want.len() as u64);
        let sql = format!(
            "SELECT {LEADING}, {} FROM {name} WHERE {filter}",
            columns.replace("{exemplars}", EXEMPLARS)
        );
        let got = canonical(collector.query(&sql));
        let want = canonical(want);
        assert_eq!(
            got.len(),
            want.len(),
            "{name}: {} rows for {} points",
            got.len(),
            want.len()
        );
        for (got, want) in got.iter().zip(&want) {
            assert_eq!(got, want, "{name}: a row differs from what was sent");
        }
    }
}

/// Rows as sorted text, doubles as doubles.
fn canonical(rows: Vec<Value>) -> Vec<String> {
    let mut out: Vec<String> = rows
        .into_iter()
        .map(|mut row| {
            if let Some(object) = row.as_object_mut() {
                for column in FLOATS {
                    if let Some(value) = object.get_mut(*column) {
                        *value = as_f64(value);
                    }
                }
            }
            row.to_string()
        })
        .collect();
    out.sort();
    out
}

fn as_f64(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(as_f64).collect()),
        other => json!(number(other)),
    }
}

/// A JSON number or a number in a string (OTLP/JSON writes 64-bit
/// integers as strings), as an f64 (or the integer, where exact).
fn number(value: &Value) -> f64 {
    match value {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => match s.as_str() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            s => s.parse().unwrap_or(0.0),
        },
        _ => 0.0,
    }
}

fn integer(value: &Value) -> u64 {
    match value {
        Value::Number(n) => n.as_u64().unwrap_or(0),
        Value::String(s) => s.parse().unwrap_or(0),
        _ => 0,
    }
}

/// A field read in either spelling OTLP/JSON allows.
fn field<'a>(object: &'a Value, camel: &str) -> &'a Value {
    let snake: String = camel
        .chars()
        .flat_map(|c| match c.is_ascii_uppercase() {
            true => vec!['_', c.to_ascii_lowercase()],
            false => vec![c],
        })
        .collect();
    match &object[camel] {
        Value::Null => &object[snake.as_str()],
        found => found,
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// The text a stored attribute map holds for an `AnyValue`: doubles in
/// their shortest exact form, arrays as JSON.
fn any_value_text(value: &Value) -> String {
    let double = field(value, "doubleValue");
    if !double.is_null() {
        return number(double).to_string();
    }
    match any_value_json(value) {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// An `AnyValue` as the collector renders it inside JSON.
fn any_value_json(value: &Value) -> Value {
    if let Some(s) = field(value, "stringValue").as_str() {
        return json!(s);
    }
    if let Some(b) = field(value, "boolValue").as_bool() {
        return json!(b);
    }
    let int = field(value, "intValue");
    if !int.is_null() {
        return json!(int
            .as_i64()
            .or_else(|| int.as_str().and_then(|s| s.parse().ok())));
    }
    let double = field(value, "doubleValue");
    if !double.is_null() {
        return json!(number(double));
    }
    if let Some(values) = field(value, "arrayValue")["values"].as_array() {
        return Value::Array(values.iter().map(any_value_json).collect());
    }
    Value::Null
}

fn attribute_map(list: &Value) -> Value {
    let map: Map<String, Value> = list
        .as_array()
        .map(|pairs| {
            pairs
                .iter()
                .map(|kv| (text(&kv["key"]), json!(any_value_text(&kv["value"]))))
                .collect()
        })
        .unwrap_or_default();
    Value::Object(map)
}

fn seconds(nanos: &Value) -> u64 {
    integer(nanos) / 1_000_000_000
}

fn temporality(kind: &Value) -> i64 {
    match field(kind, "aggregationTemporality") {
        Value::String(name) if name.ends_with("DELTA") => 1,
        Value::String(name) if name.ends_with("CUMULATIVE") => 2,
        other => other.as_i64().unwrap_or(0),
    }
}

/// The rows `requests` should become, by table (`gauge`, `sum`, ...).
pub fn expected_rows(requests: &[Value], layer: &str) -> BTreeMap<&'static str, Vec<Value>> {
    let mut out: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    for request in requests {
        for resource_metrics in field(request, "resourceMetrics")
            .as_array()
            .into_iter()
            .flatten()
        {
            let resource = attribute_map(&resource_metrics["resource"]["attributes"]);
            let service = resource["service.name"]
                .as_str()
                .unwrap_or("unknown_service")
                .to_owned();
            for scope_metrics in field(resource_metrics, "scopeMetrics")
                .as_array()
                .into_iter()
                .flatten()
            {
                let scope = &scope_metrics["scope"];
                let leading = json!({
                    "ResourceAttributes": resource,
                    "ResourceSchemaUrl": text(field(resource_metrics, "schemaUrl")),
                    "ScopeName": text(&scope["name"]),
                    "ScopeVersion": text(&scope["version"]),
                    "ScopeAttributes": attribute_map(&scope["attributes"]),
                    "ScopeDroppedAttrCount": integer(field(scope, "droppedAttributesCount")),
                    "ScopeSchemaUrl": text(field(scope_metrics, "schemaUrl")),
                    "ServiceName": service,
                    "Layer": layer,
                });
                for metric in scope_metrics["metrics"].as_array().into_iter().flatten() {
                    metric_rows(metric, &leading, &mut out);
                }
            }
        }
    }
    out
}

fn metric_rows(metric: &Value, leading: &Value, out: &mut BTreeMap<&'static str, Vec<Value>>) {
    let kinds = [
        ("gauge", "gauge"),
        ("sum", "sum"),
        ("histogram", "histogram"),
        ("exponentialHistogram", "exponential_histogram"),
        ("summary", "summary"),
    ];
    for (key, table) in kinds {
        let kind = field(metric, key);
        if kind.is_null() {
            continue;
        }
        for point in field(kind, "dataPoints").as_array().into_iter().flatten() {
            let mut row = leading.clone();
            let row_map = row.as_object_mut().expect("object");
            row_map.insert("MetricName".into(), json!(text(&metric["name"])));
            row_map.insert(
                "MetricDescription".into(),
                json!(text(&metric["description"])),
            );
            row_map.insert("MetricUnit".into(), json!(text(&metric["unit"])));
            row_map.insert("Attributes".into(), attribute_map(&point["attributes"]));
            row_map.insert(
                "StartTimeUnix".into(),
                json!(seconds(field(point, "startTimeUnixNano"))),
            );
            row_map.insert(
                "TimeUnix".into(),
                json!(seconds(field(point, "timeUnixNano"))),
            );
            row_map.insert("Flags".into(), json!(integer(&point["flags"])));
            kind_columns(table, kind, point, row_map);
            out.entry(table).or_default().push(row);
        }
    }
}

/// The columns of the point's own kind.
fn kind_columns(table: &str, kind: &Value, point: &Value, row: &mut Map<String, Value>) {
    let value = || {
        let double = field(point, "asDouble");
        match double.is_null() {
            true => json!(number(field(point, "asInt"))),
            false => json!(number(double)),
        }
    };
    let counts = |v: &Value| {
        json!(v
            .as_array()
            .map(|a| a.iter().map(integer).collect::<Vec<_>>())
            .unwrap_or_default())
    };
    match table {
        "gauge" => {
            row.insert("Value".into(), value());
        }
        "sum" => {
            row.insert("Value".into(), value());
            row.insert("AggregationTemporality".into(), json!(temporality(kind)));
            let monotonic = field(kind, "isMonotonic").as_bool().unwrap_or(false);
            row.insert("IsMonotonic".into(), json!(monotonic));
        }
        "histogram" | "exponential_histogram" => {
            row.insert("Count".into(), json!(integer(&point["count"])));
            for column in ["sum", "min", "max"] {
                let name = format!("{}{}", column[..1].to_uppercase(), &column[1..]);
                row.insert(name, json!(number(&point[column])));
            }
            row.insert("AggregationTemporality".into(), json!(temporality(kind)));
            if table == "histogram" {
                row.insert("BucketCounts".into(), counts(field(point, "bucketCounts")));
                let bounds: Vec<f64> = field(point, "explicitBounds")
                    .as_array()
                    .map(|a| a.iter().map(number).collect())
                    .unwrap_or_default();
                row.insert("ExplicitBounds".into(), json!(bounds));
            } else {
                row.insert("Scale".into(), json!(point["scale"].as_i64().unwrap_or(0)));
                row.insert(
                    "ZeroCount".into(),
                    json!(integer(field(point, "zeroCount"))),
                );
                for (side, prefix) in [("positive", "Positive"), ("negative", "Negative")] {
                    let buckets = &point[side];
                    row.insert(
                        format!("{prefix}Offset"),
                        json!(buckets["offset"].as_i64().unwrap_or(0)),
                    );
                    row.insert(
                        format!("{prefix}BucketCounts"),
                        counts(field(buckets, "bucketCounts")),
                    );
                }
            }
        }
        _ => {
            row.insert("Count".into(), json!(integer(&point["count"])));
            row.insert("Sum".into(), json!(number(&point["sum"])));
            let quantiles = field(point, "quantileValues")
                .as_array()
                .cloned()
                .unwrap_or_default();
            row.insert(
                "Quantiles".into(),
                json!(quantiles
                    .iter()
                    .map(|q| number(&q["quantile"]))
                    .collect::<Vec<_>>()),
            );
            row.insert(
                "QuantileValues".into(),
                json!(quantiles
                    .iter()
                    .map(|q| number(&q["value"]))
                    .collect::<Vec<_>>()),
            );
            return;
        }
    }
    exemplar_columns(point, row);
}

fn exemplar_columns(point: &Value, row: &mut Map<String, Value>) {
    let exemplars = point["exemplars"].as_array().cloned().unwrap_or_default();
    let column = |f: &dyn Fn(&Value) -> Value| Value::Array(exemplars.iter().map(f).collect());
    row.insert(
        "ExemplarAttributes".into(),
        column(&|e| attribute_map(field(e, "filteredAttributes"))),
    );
    row.insert(
        "ExemplarTimes".into(),
        column(&|e| json!(seconds(field(e, "timeUnixNano")))),
    );
    row.insert(
        "ExemplarValues".into(),
        column(&|e| {
            let double = field(e, "asDouble");
            match double.is_null() {
                true => json!(number(field(e, "asInt"))),
                false => json!(number(double)),
            }
        }),
    );
    row.insert(
        "ExemplarSpanIds".into(),
        column(&|e| json!(text(field(e, "spanId")).to_lowercase())),
    );
    row.insert(
        "ExemplarTraceIds".into(),
        column(&|e| json!(text(field(e, "traceId")).to_lowercase())),
    );
}
