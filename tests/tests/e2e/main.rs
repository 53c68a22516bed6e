//! End-to-end tests: the real `jamscope` binary, a real ClickHouse, real
//! OpenTelemetry SDK exporters and raw HTTP clients. One test binary, so
//! all tests share one ClickHouse; each collector writes its own database.

mod access;
mod alerting;
mod bad_input;
mod bounds;
mod browser_sdks;
mod builds;
mod cluster;
mod dashboards;
mod durability;
mod errors;
mod expect;
mod fault_proxy;
mod harness;
mod lifecycle;
mod logs;
mod metrics;
mod notify;
mod payload;
mod query_api;
mod receivers;
mod rules_check;
mod rum;
mod rum_privacy;
mod sdk_clients;
mod self_telemetry;
mod tls;
