// Links the page view to the server-side trace that rendered the document.

/** Returns the 32-hex trace id of a W3C `traceparent` value, or null if it is not valid. */
export function parseTraceparent(value: unknown): string | null {
  if (typeof value != 'string') return null;
  const m = /^([\da-f]{2})-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}(?:$|-)/.exec(value.trim().toLowerCase());
  return m && m[1] != 'ff' && !/^0+$/.test(m[2]) ? m[2] : null;
}

/**
 * Reads the trace id from `<meta name="traceparent" content="00-…-…-01">`, else from the
 * navigation entry's `Server-Timing: traceparent;desc="00-…-…-01"`.
 */
export function readTraceId(): string | null {
  const meta = document.querySelector<HTMLMetaElement>('meta[name=traceparent]');
  const nav = performance.getEntriesByType?.('navigation')[0] as PerformanceNavigationTiming | undefined;
  const timing = nav?.serverTiming?.find((e) => e.name == 'traceparent');
  return parseTraceparent(meta?.content) || parseTraceparent(timing?.description);
}
