// What the OpenTelemetry JS SDK clients of the end-to-end tests share:
// exact nanosecond times, an exporter that records what it was handed, and
// the JSON the clients print (tests/clients/README.md): attribute values
// typed as the JS transformer sends them, BigInt timestamps written exactly.

import { ExportResultCode } from '@opentelemetry/core';

export const NS_PER_S = 1_000_000_000n;

export function fail(message, code = 1) {
  process.stderr.write(`${process.argv[1]?.split('/').pop()}: ${message}\n`);
  process.exit(code);
}

// ns since the epoch (BigInt) -> HrTime [seconds, nanoseconds], exact.
export function hrTime(ns) {
  return [Number(ns / NS_PER_S), Number(ns % NS_PER_S)];
}

export function hrTimeToNs(time) {
  return BigInt(time[0]) * NS_PER_S + BigInt(time[1]);
}

/** Delegates to the real OTLP exporter and remembers, per export call, the
 * items (spans, log records) handed over and the ExportResult that came back. */
export class RecordingExporter {
  constructor(inner) {
    this.inner = inner;
    this.calls = [];
  }

  export(items, resultCallback) {
    const batch = [...items];
    const record = (result) => {
      this.calls.push({ items: batch, result });
      resultCallback(result);
    };
    try {
      this.inner.export(items, record);
    } catch (error) {
      record({ code: ExportResultCode.FAILED, error });
    }
  }

  forceFlush() {
    return this.inner.forceFlush ? this.inner.forceFlush() : Promise.resolve();
  }

  shutdown() {
    return this.inner.shutdown();
  }
}

export function typeName(value) {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) {
    const types = new Set(value.map(typeName));
    return types.size === 1 ? `array<${[...types][0]}>` : 'array';
  }
  if (value !== null && typeof value === 'object') return 'map';
  return 'empty';
}

export function jsonValue(value) {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  }
  return value === undefined ? null : value;
}

export function attributes(attrs) {
  const entries = Object.entries(attrs ?? {});
  return [
    Object.fromEntries(entries.map(([k, v]) => [k, jsonValue(v)])),
    Object.fromEntries(entries.map(([k, v]) => [k, typeName(v)])),
  ];
}

// JSON.stringify cannot write BigInt; nanosecond timestamps exceed 2**53, so
// they are written as exact integer literals by this small serializer.
export function toJson(value, indent = '') {
  const inner = `${indent}  `;
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + toJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const body = entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${toJson(v, inner)}`);
    return `{\n${body.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
