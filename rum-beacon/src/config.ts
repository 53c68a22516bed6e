// Options given to init() or read from the script tag's data-* attributes.

export interface Options {
  /** Collector URL; default: origin of the script's src (or of the page) + "/v1/rum". */
  endpoint?: string;
  /** Ingest key, sent as ?key=… (sendBeacon cannot set headers). */
  key?: string;
  app?: string;
  release?: string;
  environment?: string;
  /** 0..1, decided once per page view; default 1. */
  sampleRate?: number;
  /** Route template such as "/products/:id"; default: <meta name="jamscope-route">. */
  route?: string;
  /** Origins besides the page's own whose requests get a W3C traceparent: exact, or with `*` (https://*.shop.example). */
  traceOrigins?: string[];
  /** false: no request gets a traceparent (spans are still recorded); default true. */
  traceInject?: boolean;
}

/**
 * Reads data-endpoint, data-key, data-app, data-release, data-env, data-sample-rate, data-route,
 * data-trace-origins (separated by spaces or commas) and data-trace-inject="off".
 */
export function fromScript(script: HTMLScriptElement): Options {
  const { endpoint, key, app, release, env, route, sampleRate, traceOrigins, traceInject } = script.dataset;
  return {
    endpoint: endpoint || (script.src ? new URL(script.src).origin + '/v1/rum' : undefined),
    key,
    app,
    release,
    environment: env,
    route,
    sampleRate: sampleRate ? +sampleRate : undefined,
    traceOrigins: traceOrigins?.split(/[\s,]+/).filter(Boolean),
    traceInject: traceInject != 'off',
  };
}

/** The URL beacons are sent to: endpoint with the key as a query parameter. */
export function beaconUrl(opts: Options): string {
  const url = new URL(opts.endpoint || '/v1/rum', location.href);
  if (opts.key) url.searchParams.set('key', opts.key);
  return url.href;
}
