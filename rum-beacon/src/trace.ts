// W3C trace context: the document's server trace, which the page-load span continues, and the
// `traceparent` values the page's own requests carry. Parsing is pure and unit tested.

/** [trace id, span id] of a W3C `traceparent` value, or null if it is not valid. */
export function parseParent(value: unknown): string[] | null {
  if (typeof value != 'string') return null;
  const m = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}(?:$|-)/.exec(value.trim().toLowerCase());
  return m && m[1] != 'ff' && !/^0+$/.test(m[2]) && !/^0+$/.test(m[3]) ? [m[2], m[3]] : null;
}

/** The 32-hex trace id of a W3C `traceparent` value, or null if it is not valid. */
export const parseTraceparent = (value: unknown): string | null => parseParent(value)?.[0] ?? null;

/** The traceparent a request carries: version 00, the sampled flag as the page view's sampling decided. */
export const traceparent = (traceId: string, spanId: string, sampled: boolean): string =>
  `00-${traceId}-${spanId}-0${+sampled}`;

/** Epoch milliseconds, to the microsecond, of a high-resolution time: the one clock of every span time. */
export const epoch = (t: number): number => Math.round((performance.timeOrigin + t) * 1e3) / 1e3;

/** The document's navigation entry, where the browser has one. */
export const navigation = (): PerformanceNavigationTiming | undefined =>
  performance.getEntriesByType?.('navigation')[0] as PerformanceNavigationTiming | undefined;

/**
 * The document's server trace: `<meta name="traceparent" content="00-…-…-01">`, else the navigation
 * entry's `Server-Timing: traceparent;desc="00-…-…-01"`. Null when the page carries none.
 */
export function readParent(): string[] | null {
  const meta = document.querySelector<HTMLMetaElement>('meta[name=traceparent]');
  const timing = navigation()?.serverTiming?.find((e) => e.name == 'traceparent');
  return parseParent(meta?.content) || parseParent(timing?.description);
}

/**
 * Turns `data-trace-origins` entries into one test: an exact origin (`https://api.shop.example`), or a pattern
 * where `*` stands for any run of host characters (`https://*.shop.example`). A trailing `/` is ignored.
 */
export function originMatcher(origins: string[]): (origin: string) => boolean {
  const patterns = origins.map(
    (o) => new RegExp('^' + o.replace(/\/$/, '').replace(/[.+?^${}()|[\]\\/]/g, '\\$&').replace(/\*/g, '[\\w.-]*') + '$', 'i'),
  );
  return (origin) => patterns.some((p) => p.test(origin));
}
