// Browser spans: the page load, from Navigation Timing, and one span per fetch and XMLHttpRequest, timed by
// Resource Timing where the browser gives it. The requests carry a W3C traceparent (same origin, and the
// origins the page lists), so the CDN, gateway and CMS that answer them continue the trace the page started.
import { hex } from './context';
import { epoch, navigation, originMatcher, traceparent } from './trace';

type Entry = PerformanceResourceTiming;
type Attributes = Record<string, string | number>;

/** A span event of the beacon (rum-beacon/README.md, "Wire format"). */
export interface Span {
  type: 'span';
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  /** OTLP SpanKind: 1 internal (the page load), 3 client (a request). */
  kind: number;
  start: number;
  end: number;
  /** OTLP StatusCode: 0 unset, 2 error. */
  status: number;
  attributes: Attributes;
  events: { name: string; ts: number }[];
}

/** The phases of a request, as Resource (and Navigation) Timing names them. */
const NETWORK = 'redirectStart redirectEnd fetchStart domainLookupStart domainLookupEnd connectStart secureConnectionStart connectEnd requestStart responseStart responseEnd'.split(' ');
/** …and of the document after it arrived. */
const DOCUMENT = NETWORK.concat('domInteractive domContentLoadedEventEnd domComplete loadEventEnd'.split(' '));

/** One event per phase the entry timed: 0 is "not timed" (no redirect; detail a cross-origin server hides). */
export function phases(entry: Entry | undefined, names: string[]): Span['events'] {
  const at = entry as unknown as Record<string, number> | undefined;
  return names.filter((name) => at?.[name]! > 0).map((name) => ({ name, ts: epoch(at![name]) }));
}

/**
 * The page-load span: from the navigation's start to the end of the load event, each phase an event; the
 * child of the document's server span when `parent` names one, else the root of the page view's trace.
 * Sent once the load event is over, or by `flush` (returned) if the page is hidden first.
 */
export function tracePageLoad(traceId: string, parent: string[] | null, name: string, push: (span: Span) => void) {
  let sent = false;
  const send = () => {
    if (sent) return;
    sent = true;
    const nav = navigation();
    const attributes: Attributes = { 'url.full': location.href };
    if (nav?.responseStatus) attributes['http.response.status_code'] = nav.responseStatus;
    push({
      type: 'span',
      traceId,
      spanId: hex(8),
      parentSpanId: parent?.[1],
      traceState: (parent && document.querySelector<HTMLMetaElement>('meta[name=tracestate]')?.content) || undefined,
      name,
      kind: 1,
      start: epoch(0),
      end: epoch(nav?.loadEventEnd || performance.now()),
      status: 0,
      attributes,
      events: phases(nav, DOCUMENT),
    });
  };
  // After the load event's own handlers, so loadEventEnd is set.
  const later = () => setTimeout(send);
  document.readyState == 'complete' ? later() : addEventListener('load', later);
  return send;
}

export interface RequestTracing {
  /** Whether this page view is sampled: its spans are sent, and its traceparent flags say so. */
  sampled: boolean;
  /** Adds traceparent to requests (same origin and `origins`); false: to none. */
  inject: boolean;
  /** `data-trace-origins`: other origins whose requests get a traceparent. */
  origins: string[];
  push: (span: Span) => void;
}

interface Pending {
  span: Span;
  href: string;
  begin: number;
  end: number;
}

/**
 * Wraps `fetch` and `XMLHttpRequest`: each request gets a span of its own trace (the page's click starts it)
 * and, where allowed, a traceparent naming that span. A finished request waits for its Resource Timing entry
 * (which comes once the body is in) to add the phases; `flush` (returned) sends those still waiting.
 */
export function traceRequests({ sampled, inject, origins, push }: RequestTracing) {
  const listed = originMatcher(origins);
  const pending: Pending[] = [];
  const send = (request: Pending, entry?: Entry) => {
    const span = request.span;
    span.start = epoch(request.begin);
    span.end = epoch(Math.max(request.end, entry?.responseEnd || 0));
    span.events = phases(entry, NETWORK);
    push(span);
  };
  // The entry of a request: its URL, started while the request was in flight.
  const match = (request: Pending, entry: Entry) =>
    entry.name == request.href && entry.startTime >= request.begin - 1 && entry.startTime <= request.end;

  /** Starts a request's span, injecting its traceparent through `set`; returns what ends it (sampled only). */
  const start = (method: string, url: string | URL, set: (name: string, value: string) => void) => {
    let target: URL;
    try {
      target = new URL(url, document.baseURI);
    } catch {
      return;
    }
    const traceId = hex(16);
    const spanId = hex(8);
    // Never another origin unless listed: a header a server did not expect costs a CORS preflight, or fails.
    if (inject && (target.origin == location.origin || listed(target.origin)))
      set('traceparent', traceparent(traceId, spanId, sampled));
    if (!sampled) return;
    const begin = performance.now();
    return (status: number, failure?: string) => {
      const attributes: Attributes = { 'http.request.method': method, 'url.full': target.href };
      if (status) attributes['http.response.status_code'] = status;
      // Client spans: 4xx and 5xx are errors (OpenTelemetry's HTTP conventions), as are failures and aborts.
      const error = failure || (status > 399 ? '' + status : '');
      if (error) attributes['error.type'] = error;
      const request: Pending = {
        href: target.href,
        begin,
        end: performance.now(),
        span: { type: 'span', traceId, spanId, name: method + ' ' + target.pathname, kind: 3, start: 0, end: 0, status: error ? 2 : 0, attributes, events: [] },
      };
      const entry = (performance.getEntriesByName(request.href, 'resource') as Entry[]).find((e) => match(request, e));
      entry ? send(request, entry) : pending.push(request);
    };
  };

  if (sampled)
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as Entry[]) {
        const i = pending.findIndex((request) => match(request, entry));
        if (i >= 0) send(pending.splice(i, 1)[0], entry);
      }
    }).observe({ type: 'resource' });

  const nativeFetch = fetch;
  window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : undefined;
    const headers = new Headers(init?.headers || request?.headers);
    let injected: RequestInit | undefined;
    const done = start((init?.method || request?.method || 'GET').toUpperCase(), request?.url || (input as string), (name, value) => {
      // A page that sets its own trace context keeps it.
      if (!headers.has(name)) headers.set(name, value), (injected = { ...init, headers });
    });
    const response = nativeFetch(input, injected || init);
    done && response.then((r) => done(r.status), (e) => done(0, e?.name || 'Error'));
    return response;
  };

  const requests = new WeakMap<XMLHttpRequest, string[]>();
  const xhr = XMLHttpRequest.prototype;
  const { open, send: xhrSend } = xhr;
  xhr.open = function (this: XMLHttpRequest, method: string, url: string | URL) {
    requests.set(this, [method.toUpperCase(), '' + url]);
    // eslint-disable-next-line prefer-rest-params
    return open.apply(this, arguments as unknown as Parameters<typeof open>);
  } as typeof open;
  xhr.send = function (this: XMLHttpRequest, body) {
    const [method, url] = requests.get(this) || [];
    const done = method && start(method, url, (name, value) => this.setRequestHeader(name, value));
    if (done) {
      let failure: string | undefined;
      for (const kind of ['error', 'abort', 'timeout']) this.addEventListener(kind, () => (failure = kind));
      this.addEventListener('loadend', () => done(this.status, failure));
    }
    return xhrSend.call(this, body);
  };

  return () => pending.splice(0).forEach((request) => send(request));
}
