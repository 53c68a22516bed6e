#!/usr/bin/env python3
"""Writes Jamscope's Grafana dashboards (``dashboards/*.json``).

The dashboards are generated rather than hand-edited so that every panel
has the same shape (the data source as a dashboard variable, ``rawSql`` in
the plugin's SQL editor mode, thresholds from DOMAIN.md) and a change to
one convention lands everywhere. The JSON is committed; Grafana needs
nothing but the files. ``tests/tests/e2e/dashboards.rs`` expands every
panel's macros as the ClickHouse plugin does and runs the SQL against a
real ClickHouse.

Usage: ``python3 dashboards/build.py`` (rewrites the JSON files), or
``--check`` (exit 1 when a file differs from what it would write).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PLUGIN = "grafana-clickhouse-datasource"
DATASOURCE = {"type": PLUGIN, "uid": "${datasource}"}
ALL = "__all"

# Plugin query formats (its `Format` enum): table, time series, logs, trace.
TABLE, TIMESERIES, LOGS, TRACE = 1, 0, 2, 3

# Good / poor boundaries (DOMAIN.md); CLS has no unit.
VITALS = {
    "LCP": (2500, 4000, "ms"),
    "INP": (200, 500, "ms"),
    "CLS": (0.1, 0.25, "none"),
    "FCP": (1800, 3000, "ms"),
    "TTFB": (800, 1800, "ms"),
}

PAGE = "if(Route != '', Route, Path)"


def target(sql: str, fmt: int = TABLE, ref: str = "A") -> dict:
    return {
        "refId": ref,
        "datasource": DATASOURCE,
        "editorType": "sql",
        "format": fmt,
        "queryType": {TRACE: "traces", LOGS: "logs"}.get(fmt, "table"),
        "rawSql": " ".join(sql.split()),
    }


class Layout:
    """Places panels left to right on Grafana's 24-column grid."""

    def __init__(self) -> None:
        self.x = 0
        self.y = 0
        self.row_height = 0
        self.next_id = 1

    def place(self, width: int, height: int) -> dict:
        if self.x + width > 24:
            self.x = 0
            self.y += self.row_height
            self.row_height = 0
        pos = {"x": self.x, "y": self.y, "w": width, "h": height}
        self.x += width
        self.row_height = max(self.row_height, height)
        return pos

    def id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def thresholds(steps: list[tuple[str, float | None]]) -> dict:
    return {
        "mode": "absolute",
        "steps": [{"color": color, "value": value} for color, value in steps],
    }


def panel(layout: Layout, kind: str, title: str, sql: str, *, fmt: int = TABLE,
          width: int = 8, height: int = 8, unit: str | None = None,
          steps: list[tuple[str, float | None]] | None = None,
          description: str = "", options: dict | None = None,
          custom: dict | None = None, overrides: list | None = None) -> dict:
    defaults: dict = {}
    if unit:
        defaults["unit"] = unit
    if steps:
        defaults["thresholds"] = thresholds(steps)
        defaults["color"] = {"mode": "thresholds"}
    if custom:
        defaults["custom"] = custom
    return {
        "id": layout.id(),
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": layout.place(width, height),
        "targets": [target(sql, fmt)],
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": options or {},
    }


def datasource_variable() -> dict:
    return {
        "name": "datasource",
        "label": "ClickHouse",
        "type": "datasource",
        "query": PLUGIN,
        "current": {},
        "hide": 0,
        "refresh": 1,
    }


def query_variable(name: str, label: str, sql: str) -> dict:
    """A single-choice variable with an "All" whose value is `__all`;
    panels compare with it: `('${name}' = '__all' OR col = '${name}')`."""
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": " ".join(sql.split()),
        "definition": " ".join(sql.split()),
        "includeAll": True,
        "allValue": ALL,
        "multi": False,
        "current": {"text": "All", "value": "$__all"},
        "refresh": 2,
        "sort": 1,
        "hide": 0,
    }


def textbox_variable(name: str, label: str) -> dict:
    return {"name": name, "label": label, "type": "textbox", "query": "",
            "current": {"text": "", "value": ""}, "hide": 0}


def deploy_annotation() -> dict:
    return {
        "name": "Deploys",
        "datasource": DATASOURCE,
        "enable": True,
        "iconColor": "purple",
        "target": target(
            """SELECT FinishedAt AS time, concat('deploy ', Pipeline, ' ', Commit) AS text,
                      [Pipeline, Status] AS tags
               FROM builds FINAL
               WHERE Kind = 'deploy' AND $__timeFilter(FinishedAt)
               ORDER BY time"""
        ),
    }


def dashboard(uid: str, title: str, panels: list, variables: list,
              annotations: list | None = None, description: str = "") -> dict:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["jamscope"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [datasource_variable(), *variables]},
        "annotations": {"list": annotations or []},
        "links": [{"title": "Jamscope dashboards", "type": "dashboards",
                   "tags": ["jamscope"], "asDropdown": True}],
        "panels": panels,
    }


def vitals_filter() -> str:
    return (f"('${{app}}' = '{ALL}' OR App = '${{app}}') "
            f"AND ('${{page}}' = '{ALL}' OR {PAGE} = '${{page}}')")


def web_vitals() -> dict:
    layout = Layout()
    panels = []
    where = f"$__timeFilter(Timestamp) AND {vitals_filter()}"
    for name, (good, poor, unit) in VITALS.items():
        panels.append(panel(
            layout, "stat", f"{name} p75",
            f"SELECT quantile(0.75)(Value) AS p75 FROM rum_vitals FINAL "
            f"WHERE Name = '{name}' AND {where}",
            width=24 // 5 if name != "TTFB" else 24 - 4 * (24 // 5), height=4,
            unit=unit, steps=[("green", None), ("orange", good), ("red", poor)],
            description=f"Good up to {good}, poor above {poor} (web-vitals).",
            options={"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "background"}))
    for name, (good, poor, unit) in VITALS.items():
        panels.append(panel(
            layout, "timeseries", f"{name} p75 over time",
            f"SELECT $__timeInterval(Timestamp) AS time, quantile(0.75)(Value) AS p75 "
            f"FROM rum_vitals FINAL WHERE Name = '{name}' AND {where} "
            f"GROUP BY time ORDER BY time",
            fmt=TIMESERIES, width=12, height=8, unit=unit,
            steps=[("green", None), ("orange", good), ("red", poor)],
            custom={"thresholdsStyle": {"mode": "line+area"}, "fillOpacity": 10}))
    panels.append(panel(
        layout, "table", "p75 by page",
        f"""SELECT {PAGE} AS page,
                  quantileIf(0.75)(Value, Name = 'LCP') AS LCP,
                  quantileIf(0.75)(Value, Name = 'INP') AS INP,
                  quantileIf(0.75)(Value, Name = 'CLS') AS CLS,
                  quantileIf(0.75)(Value, Name = 'FCP') AS FCP,
                  quantileIf(0.75)(Value, Name = 'TTFB') AS TTFB,
                  uniqExact(PageViewId) AS page_views
           FROM rum_vitals FINAL WHERE {where}
           GROUP BY page ORDER BY page_views DESC LIMIT 50""",
        width=12, height=9))
    panels.append(panel(
        layout, "barchart", "LCP p75 by device",
        f"""SELECT DeviceClass AS device, quantile(0.75)(Value) AS lcp_p75
           FROM rum_vitals FINAL WHERE Name = 'LCP' AND {where}
           GROUP BY device ORDER BY device""",
        width=6, height=9, unit="ms"))
    panels.append(panel(
        layout, "barchart", "LCP p75 by browser",
        f"""SELECT Browser AS browser, quantile(0.75)(Value) AS lcp_p75
           FROM rum_vitals FINAL WHERE Name = 'LCP' AND {where}
           GROUP BY browser ORDER BY lcp_p75 DESC LIMIT 10""",
        width=6, height=9, unit="ms"))
    panels.append(panel(
        layout, "barchart", "Rating distribution",
        f"""SELECT Name AS metric,
                  countIf(Rating = 'good') AS good,
                  countIf(Rating = 'needs-improvement') AS needs_improvement,
                  countIf(Rating = 'poor') AS poor
           FROM rum_vitals FINAL WHERE {where}
           GROUP BY metric ORDER BY metric""",
        width=24, height=8,
        options={"stacking": "percent", "showValue": "never"}))
    variables = [
        query_variable("app", "App", "SELECT DISTINCT App FROM rum_vitals ORDER BY App"),
        query_variable("page", "Page",
                       f"SELECT DISTINCT {PAGE} FROM rum_vitals ORDER BY 1 LIMIT 500"),
    ]
    return dashboard("jamscope-web-vitals", "Jamscope / Web Vitals", panels, variables,
                     [deploy_annotation()],
                     "What visitors experience: Web Vitals at the 75th percentile.")


CACHE_STATUS = "SpanAttributes['cdn.cache_status']"
HIT = f"lower({CACHE_STATUS}) IN ('hit', 'tcp_hit', 'tcp_mem_hit', 'stale', 'revalidated', 'updating')"
REQUEST = "SpanKind IN ('Server', 'Unspecified')"
FAILED = ("(StatusCode = 'Error' OR "
          "toUInt16OrZero(SpanAttributes['http.response.status_code']) >= 500)")
SERVICE = "('${service}' = '__all' OR ServiceName = '${service}')"

# The OTLP metrics the metric panels read: the semantic conventions' pool
# metrics (an up-down counter of connections by state, the pool's
# maximum), and a CDN's request counter by the cache status spans carry.
POOL_USED = "db.client.connection.count"
POOL_MAX = "db.client.connection.max"
CDN_REQUESTS = "cdn.requests"
METRIC_CACHE_STATUS = "Attributes['cdn.cache_status']"
# Gauges and sums alike (the pool maximum comes as either).
NUMBERS = """(SELECT MetricName, ServiceName, ResourceAttributes, Attributes, Layer, TimeUnix, Value
               FROM otel_metrics_sum
              UNION ALL
              SELECT MetricName, ServiceName, ResourceAttributes, Attributes, Layer, TimeUnix, Value
               FROM otel_metrics_gauge)"""


def pool_from_metrics(by_time: bool) -> str:
    """Connections used over the pools' maximum, in percent: the newest
    value of each series (per interval, with `by_time`), summed."""
    time = "$__timeInterval(TimeUnix) AS time, ServiceName AS service, " if by_time else ""
    group = "time, service, " if by_time else ""
    outer = "time, service, " if by_time else ""
    tail = "GROUP BY time, service ORDER BY time" if by_time else ""
    return f"""SELECT {outer}sumIf(value, name = '{POOL_USED}') * 100
                      / nullIf(sumIf(value, name = '{POOL_MAX}'), 0) AS pool_utilisation
               FROM (SELECT {time}MetricName AS name, argMax(Value, TimeUnix) AS value
                     FROM {NUMBERS}
                     WHERE Layer = 'cms' AND $__timeFilter(TimeUnix) AND {SERVICE}
                       AND (MetricName = '{POOL_MAX}' OR (MetricName = '{POOL_USED}'
                            AND Attributes['db.client.connection.state'] = 'used'))
                     GROUP BY {group}name, ServiceName, ResourceAttributes, Attributes)
               {tail}"""


def cache_from_metrics(by_time: bool) -> str:
    """Hits among the CDN's counted requests, in percent. A series'
    increase is the sum of its delta points, or its cumulative points'
    largest minus smallest (a reset in the range undercounts it)."""
    time = "$__timeInterval(TimeUnix) AS time, " if by_time else ""
    group = "time, " if by_time else ""
    tail = "GROUP BY time ORDER BY time" if by_time else ""
    outer = "time, " if by_time else ""
    return f"""SELECT {outer}sumIf(increase, hit) * 100 / nullIf(sum(increase), 0) AS hit_ratio
               FROM (SELECT {time}{HIT.replace(CACHE_STATUS, METRIC_CACHE_STATUS)} AS hit,
                            if(any(AggregationTemporality) = 1, sum(Value),
                               max(Value) - min(Value)) AS increase
                     FROM otel_metrics_sum
                     WHERE MetricName = '{CDN_REQUESTS}' AND {METRIC_CACHE_STATUS} != ''
                       AND $__timeFilter(TimeUnix) AND {SERVICE}
                     GROUP BY {group}hit, ServiceName, ResourceAttributes, Attributes)
               {tail}"""


def layers() -> dict:
    layout = Layout()
    where = f"$__timeFilter(Timestamp) AND {SERVICE}"
    stat = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "background"}
    kpis = [
        ("CDN cache hit ratio", "percent",
         f"SELECT countIf({HIT}) * 100 / nullIf(count(), 0) AS hit_ratio FROM otel_traces "
         f"WHERE Layer = 'cdn' AND {CACHE_STATUS} != '' AND {where}",
         [("red", None), ("orange", 90), ("green", 95)], "Target above 95 %."),
        ("CDN origin p95", "ms",
         f"SELECT quantile(0.95)(Duration / 1e6) AS origin_p95 FROM otel_traces "
         f"WHERE Layer = 'cdn' AND {CACHE_STATUS} != '' AND NOT {HIT} AND {where}",
         [("green", None), ("red", 200)], "Requests that missed the cache; target below 200 ms."),
        ("Gateway requests / s", "reqps",
         f"SELECT count() / greatest(1, $__toTime - $__fromTime) AS rate FROM otel_traces "
         f"WHERE Layer = 'gateway' AND {REQUEST} AND {where}",
         [("blue", None)], "Tracked, no fixed target."),
        ("Gateway error rate", "percent",
         f"SELECT countIf({FAILED}) * 100 / nullIf(count(), 0) AS error_rate FROM otel_traces "
         f"WHERE Layer = 'gateway' AND {REQUEST} AND {where}",
         [("green", None), ("orange", 0.1), ("red", 1)], "Target below 0.1 %."),
        ("CMS query p95", "ms",
         f"SELECT quantile(0.95)(Duration / 1e6) AS query_p95 FROM otel_traces "
         f"WHERE Layer = 'cms' AND SpanAttributes['db.system'] != '' AND {where}",
         [("green", None), ("red", 100)], "Target below 100 ms."),
        ("CMS pool utilisation", "percent",
         "WITH toFloat64OrNull(SpanAttributes['db.client.connection.pool.utilization']) AS pool "
         f"SELECT avg(if(pool > 1, pool, pool * 100)) AS pool_utilisation FROM otel_traces "
         f"WHERE Layer = 'cms' AND pool IS NOT NULL AND {where}",
         [("green", None), ("red", 80)], "Target below 80 %."),
    ]
    panels = [
        panel(layout, "stat", title, sql, width=4, height=5, unit=unit, steps=steps,
              description=description, options=stat)
        for title, unit, sql, steps, description in kpis
    ]
    metric_kpis = [
        ("CDN cache hit ratio (metrics)", cache_from_metrics(False),
         [("red", None), ("orange", 90), ("green", 95)],
         f"From the `{CDN_REQUESTS}` counter by `cdn.cache_status`; target above 95 %."),
        ("CMS pool utilisation (metrics)", pool_from_metrics(False),
         [("green", None), ("red", 80)],
         f"`{POOL_USED}` (used) over `{POOL_MAX}`, newest of each series; target below 80 %."),
    ]
    for title, sql, steps, description in metric_kpis:
        panels.append(panel(layout, "stat", title, sql, width=4, height=5, unit="percent",
                            steps=steps, description=description, options=stat))
    panels.append(panel(
        layout, "timeseries", "CDN cache hit ratio over time (metrics)", cache_from_metrics(True),
        fmt=TIMESERIES, width=8, height=5, unit="percent",
        steps=[("red", None), ("orange", 90), ("green", 95)],
        custom={"thresholdsStyle": {"mode": "line"}}))
    panels.append(panel(
        layout, "timeseries", "CMS pool utilisation by service (metrics)", pool_from_metrics(True),
        fmt=TIMESERIES, width=8, height=5, unit="percent",
        steps=[("green", None), ("red", 80)],
        custom={"thresholdsStyle": {"mode": "line"}}))
    panels.append(panel(
        layout, "timeseries", "p95 duration by layer",
        f"""SELECT $__timeInterval(Timestamp) AS time, Layer AS layer,
                  quantile(0.95)(Duration / 1e6) AS p95
           FROM otel_traces WHERE {where} GROUP BY time, layer ORDER BY time""",
        fmt=TIMESERIES, width=12, height=9, unit="ms",
        steps=[("green", None), ("orange", 2000), ("red", 5000)],
        custom={"thresholdsStyle": {"mode": "line"}}))
    panels.append(panel(
        layout, "timeseries", "Error rate by layer",
        f"""SELECT $__timeInterval(Timestamp) AS time, Layer AS layer,
                  countIf({FAILED}) * 100 / count() AS error_rate
           FROM otel_traces WHERE {REQUEST} AND {where}
           GROUP BY time, layer ORDER BY time""",
        fmt=TIMESERIES, width=12, height=9, unit="percent",
        steps=[("green", None), ("orange", 0.5), ("red", 1)],
        custom={"thresholdsStyle": {"mode": "line"}}))
    variables = [query_variable(
        "service", "Service", "SELECT DISTINCT ServiceName FROM otel_traces ORDER BY 1 LIMIT 500")]
    return dashboard("jamscope-layers", "Jamscope / Layers", panels, variables,
                     [deploy_annotation()],
                     "Per-layer KPIs against their targets (CDN, gateway, CMS).")


def traces() -> dict:
    layout = Layout()
    link = ("/d/jamscope-traces/jamscope-traces?var-trace_id=${__value.raw}"
            "&var-datasource=${datasource}&${__url_time_range}")
    panels = [panel(
        layout, "table", "Slowest traces",
        f"""SELECT TraceId AS trace_id,
                  argMin(ServiceName, Timestamp) AS root_service,
                  argMin(SpanName, Timestamp) AS root_span,
                  (max(toUnixTimestamp64Nano(Timestamp) + Duration)
                     - min(toUnixTimestamp64Nano(Timestamp))) / 1e6 AS duration_ms,
                  maxIf(Duration, Layer = 'browser') / 1e6 AS browser_ms,
                  maxIf(Duration, Layer = 'cdn') / 1e6 AS cdn_ms,
                  maxIf(Duration, Layer = 'gateway') / 1e6 AS gateway_ms,
                  maxIf(Duration, Layer = 'cms') / 1e6 AS cms_ms,
                  count() AS spans, countIf(StatusCode = 'Error') AS errors
           FROM otel_traces WHERE $__timeFilter(Timestamp) AND {SERVICE}
           GROUP BY trace_id ORDER BY duration_ms DESC LIMIT 50""",
        width=24, height=10, unit="ms",
        description=("Each layer's column is its longest span (time spent in and below "
                     "that layer). Click a trace id to open it below."),
        overrides=[{"matcher": {"id": "byName", "options": "trace_id"},
                    "properties": [
                        {"id": "unit", "value": "string"},
                        {"id": "links", "value": [{"title": "Open trace", "url": link}]}]},
                   {"matcher": {"id": "byRegexp", "options": "spans|errors"},
                    "properties": [{"id": "unit", "value": "none"}]}])]
    panels.append(panel(
        layout, "traces", "Trace ${trace_id}",
        """SELECT TraceId AS traceID, SpanId AS spanID,
                  if(ParentSpanId = '', NULL, ParentSpanId) AS parentSpanID,
                  ServiceName AS serviceName, SpanName AS operationName,
                  toUnixTimestamp64Milli(Timestamp) AS startTime,
                  Duration / 1e6 AS duration,
                  arrayMap(key -> map('key', key, 'value', SpanAttributes[key]),
                           mapKeys(SpanAttributes)) AS tags,
                  arrayMap(key -> map('key', key, 'value', ResourceAttributes[key]),
                           mapKeys(ResourceAttributes)) AS serviceTags,
                  if(StatusCode = 'Error', 2, 0) AS statusCode
           FROM otel_traces
           WHERE TraceId = '${trace_id}'
           ORDER BY startTime""",
        fmt=TRACE, width=24, height=14,
        description="Enter a trace id above, or click one in the table."))
    panels.append(panel(
        layout, "timeseries", "Traces per interval",
        f"""SELECT $__timeInterval(Timestamp) AS time, uniq(TraceId) AS traces
           FROM otel_traces WHERE $__timeFilter(Timestamp) AND {SERVICE}
           GROUP BY time ORDER BY time""",
        fmt=TIMESERIES, width=24, height=6))
    variables = [
        query_variable("service", "Service",
                       "SELECT DISTINCT ServiceName FROM otel_traces ORDER BY 1 LIMIT 500"),
        textbox_variable("trace_id", "Trace id"),
    ]
    return dashboard("jamscope-traces", "Jamscope / Traces", panels, variables, [],
                     "The slowest traces, broken down by layer, and one trace's waterfall.")


LOG_SERVICE = "('${service}' = '__all' OR ServiceName = '${service}')"
LOG_TEXT = "('${search}' = '' OR positionCaseInsensitiveUTF8(Body, '${search}') > 0)"
SEVERITIES = [("trace", 1, 4), ("debug", 5, 8), ("info", 9, 12), ("warn", 13, 16),
              ("error", 17, 20), ("fatal", 21, 24)]


def logs() -> dict:
    layout = Layout()
    trace_link = ("/d/jamscope-traces/jamscope-traces?var-trace_id=${__value.raw}"
                  "&var-datasource=${datasource}&${__url_time_range}")
    where = f"$__timeFilter(TimestampTime) AND {LOG_SERVICE}"
    by_severity = ", ".join(
        f"countIf(SeverityNumber BETWEEN {low} AND {high}) AS {name}"
        for name, low, high in SEVERITIES)
    panels = [
        panel(layout, "timeseries", "Log records by severity",
              f"""SELECT $__timeInterval(Timestamp) AS time, {by_severity},
                        countIf(SeverityNumber = 0) AS unspecified
                 FROM otel_logs WHERE {where} GROUP BY time ORDER BY time""",
              fmt=TIMESERIES, width=16, height=8,
              custom={"drawStyle": "bars", "stacking": {"mode": "normal", "group": "A"},
                      "fillOpacity": 80},
              description="OpenTelemetry's severity ranges: ERROR is 17 to 20, and so on."),
        panel(layout, "barchart", "Log records by service",
              f"""SELECT ServiceName AS service, count() AS records,
                        countIf(SeverityNumber >= 17) AS errors
                 FROM otel_logs WHERE {where}
                 GROUP BY service ORDER BY records DESC LIMIT 20""",
              width=8, height=8),
        panel(layout, "table", "Newest errors",
              f"""SELECT Timestamp AS time, ServiceName AS service, Layer AS layer,
                        if(SeverityText != '', SeverityText, 'ERROR') AS severity,
                        Body AS body, TraceId AS trace_id
                 FROM otel_logs
                 WHERE {where} AND SeverityNumber >= 17 AND {LOG_TEXT}
                 ORDER BY Timestamp DESC LIMIT 100""",
              width=24, height=9,
              description="Error and fatal records, newest first; a trace id opens its trace.",
              overrides=[{"matcher": {"id": "byName", "options": "trace_id"},
                          "properties": [{"id": "links", "value": [
                              {"title": "Open trace", "url": trace_link}]}]}]),
        panel(layout, "logs", "Logs",
              f"""SELECT Timestamp AS timestamp, Body AS body, SeverityText AS level,
                        ServiceName AS service, Layer AS layer, TraceId AS traceID
                 FROM otel_logs WHERE {where} AND {LOG_TEXT}
                 ORDER BY Timestamp DESC LIMIT 1000""",
              fmt=LOGS, width=24, height=12,
              options={"showTime": True, "wrapLogMessage": True, "sortOrder": "Descending"}),
    ]
    variables = [
        query_variable("service", "Service",
                       "SELECT DISTINCT ServiceName FROM otel_logs ORDER BY 1 LIMIT 500"),
        textbox_variable("search", "Text in the body"),
    ]
    return dashboard("jamscope-logs", "Jamscope / Logs", panels, variables,
                     [deploy_annotation()],
                     "Log records by severity and service, and the newest errors with their traces.")


def errors() -> dict:
    layout = Layout()
    release = "('${release}' = '__all' OR Release = '${release}')"
    where = f"$__timeFilter(Timestamp) AND {release}"
    panels = [
        panel(layout, "table", "Top errors",
              f"""SELECT Fingerprint AS fingerprint, any(ErrorType) AS type,
                        any(Message) AS message, count() AS occurrences,
                        uniqExact(SessionId) AS sessions, uniqExact({PAGE}) AS pages,
                        min(Timestamp) AS first_seen, max(Timestamp) AS last_seen
                 FROM rum_errors WHERE {where}
                 GROUP BY fingerprint ORDER BY occurrences DESC LIMIT 50""",
              width=24, height=9),
        panel(layout, "table", "New errors (first seen in this range)",
              f"""SELECT Fingerprint AS fingerprint, any(Message) AS message,
                        min(Timestamp) AS first_seen, count() AS occurrences,
                        argMin(Release, Timestamp) AS release
                 FROM rum_errors
                 WHERE Timestamp <= $__toTime AND {release}
                 GROUP BY fingerprint HAVING first_seen >= $__fromTime
                 ORDER BY first_seen DESC LIMIT 50""",
              width=12, height=8),
        panel(layout, "barchart", "Errors by release",
              f"""SELECT Release AS release, count() AS errors
                 FROM rum_errors WHERE {where}
                 GROUP BY release ORDER BY errors DESC LIMIT 20""",
              width=12, height=8),
        panel(layout, "timeseries", "Errors per interval",
              f"""SELECT $__timeInterval(Timestamp) AS time, count() AS errors
                 FROM rum_errors WHERE {where} GROUP BY time ORDER BY time""",
              fmt=TIMESERIES, width=24, height=7),
    ]
    variables = [query_variable(
        "release", "Release", "SELECT DISTINCT Release FROM rum_errors ORDER BY 1 LIMIT 500")]
    return dashboard("jamscope-errors", "Jamscope / Errors", panels, variables,
                     [deploy_annotation()], "Browser errors grouped by fingerprint.")


def alerts() -> dict:
    layout = Layout()
    panels = [
        panel(layout, "table", "Firing now",
              """SELECT Fingerprint AS fingerprint, argMax(AlertName, Time) AS alert,
                        argMax(Severity, Time) AS severity, argMax(Value, Time) AS value,
                        argMax(Threshold, Time) AS threshold,
                        argMax(StartsAt, Time) AS since,
                        argMax(Annotations['summary'], Time) AS summary,
                        argMax(ExampleTraceId, Time) AS example_trace
                 FROM alert_events
                 WHERE Event IN ('firing', 'resolved')
                 GROUP BY fingerprint HAVING argMax(Event, Time) = 'firing'
                 ORDER BY since DESC""",
              width=24, height=7),
        panel(layout, "table", "History",
              """SELECT Time AS time, Event AS event, AlertName AS alert,
                        Severity AS severity, Value AS value, Threshold AS threshold,
                        Labels AS labels
                 FROM alert_events
                 WHERE $__timeFilter(Time) AND Event IN ('firing', 'resolved',
                       'notified_firing', 'notified_resolved')
                 ORDER BY time DESC LIMIT 200""",
              width=14, height=10),
        panel(layout, "timeseries", "Alerts fired per interval",
              """SELECT $__timeInterval(Time) AS time, countIf(Event = 'firing') AS fired,
                        countIf(Event = 'resolved') AS resolved
                 FROM alert_events WHERE $__timeFilter(Time)
                 GROUP BY time ORDER BY time""",
              fmt=TIMESERIES, width=10, height=10),
        panel(layout, "table", "Builds and deploys",
              """SELECT FinishedAt AS finished, Kind AS kind, Pipeline AS pipeline,
                        Status AS status, Commit AS commit,
                        (toUnixTimestamp64Milli(FinishedAt) - toUnixTimestamp64Milli(StartedAt))
                          / 1000 AS seconds,
                        Stages['install'] / 1000 AS install_s, Stages['build'] / 1000 AS build_s,
                        Stages['images'] / 1000 AS images_s, Stages['deploy'] / 1000 AS deploy_s,
                        Stages['cache_invalidation'] / 1000 AS cache_invalidation_s
                 FROM builds FINAL WHERE $__timeFilter(FinishedAt)
                 ORDER BY finished DESC LIMIT 100""",
              width=16, height=9),
        panel(layout, "piechart", "Build outcomes",
              """SELECT Status AS status, count() AS builds
                 FROM builds FINAL WHERE Kind = 'build' AND $__timeFilter(FinishedAt)
                 GROUP BY status ORDER BY status""",
              width=8, height=9),
    ]
    return dashboard("jamscope-alerts", "Jamscope / Alerts and builds", panels, [],
                     [deploy_annotation()],
                     "What fired and when, what is firing, builds and deploys.")


def main() -> int:
    """Writes the files; with ``--check``, only says whether they are
    what this script would write (a test runs that)."""
    check = "--check" in sys.argv[1:]
    stale = []
    for name, build in [("web-vitals", web_vitals), ("layers", layers), ("traces", traces),
                        ("logs", logs), ("errors", errors), ("alerts", alerts)]:
        path = HERE / f"{name}.json"
        text = json.dumps(build(), indent=2) + "\n"
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print(f"out of date (run python3 dashboards/build.py): {', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
