// Core Web Vitals through the web-vitals attribution build.
import { onCLS, onFCP, onINP, onLCP, onTTFB } from 'web-vitals/attribution';
import type { MetricWithAttribution } from 'web-vitals/attribution';

/**
 * One "vital" event. Attribution keeps the string and finite number fields of web-vitals'
 * attribution (selectors, sub-part durations, load state); DOM nodes and entries are dropped.
 */
export function vitalEvent(metric: MetricWithAttribution): object {
  // `rest` is name, value, rating, delta, id and navigationType.
  const { entries: _entries, attribution: source, ...rest } = metric;
  const attribution: Record<string, string | number> = {};
  for (const [field, v] of Object.entries(source)) {
    // web-vitals calls the LCP element selector `target`; the wire format calls it `element`.
    if (typeof v == 'string' || Number.isFinite(v)) attribution[field == 'target' ? 'element' : field] = v;
  }
  return { type: 'vital', ts: Date.now(), ...rest, attribution };
}

export function trackVitals(push: (event: object) => void): void {
  const report = (metric: MetricWithAttribution) => push(vitalEvent(metric));
  for (const on of [onLCP, onINP, onCLS, onFCP, onTTFB]) on(report);
}
