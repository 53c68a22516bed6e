// Event queue and beacon transport. `splitBatches` is pure and unit tested.
import { epoch } from './trace';

/** Largest request body in bytes: browsers allow 64 KiB of keepalive/beacon data in flight. */
export const MAX_BODY = 60000;
const FLUSH_EVENTS = 20;
const FLUSH_BYTES = 50000;

const utf8Length = (s: string) => new Blob([s]).size;

/**
 * Builds JSON bodies `{...header, "events": [...]}` from pre-serialized events, each body at
 * most `maxBytes` UTF-8 bytes. Events keep their order; an event too large on its own is dropped.
 */
export function splitBatches(header: object, events: string[], maxBytes = MAX_BODY): string[] {
  const head = JSON.stringify(header).slice(0, -1) + ',"events":[';
  const empty = utf8Length(head) + 2; // + "]}"
  const bodies: string[] = [];
  let batch: string[] = [];
  let size = empty;
  const close = () => {
    if (batch.length) bodies.push(head + batch.join() + ']}');
    batch = [];
    size = empty;
  };
  for (const event of events) {
    const n = utf8Length(event) + 1; // + ","
    if (empty + n > maxBytes) continue;
    if (size + n > maxBytes) close();
    batch.push(event);
    size += n;
  }
  close();
  return bodies;
}

// The page's fetch before rum.js traces it: a beacon is not one of the page's requests.
const nativeFetch = typeof fetch == 'function' ? fetch : undefined;

/** Sends one body: sendBeacon with a string (text/plain, no CORS preflight), else keepalive fetch. */
export function send(url: string, body: string): void {
  // sendBeacon returns false when the browser refuses to queue the body (e.g. over its quota). The fallback
  // sends no cookies: a beacon needs none, and the collector allows no credentials.
  if (!navigator.sendBeacon?.(url, body))
    nativeFetch?.(url, { method: 'POST', body, keepalive: true, credentials: 'omit' }).catch(() => {});
}

export interface Queue {
  push(event: object): void;
  flush(): void;
}

/** Queues events and sends them as batches; flushes early at 20 events or ~50 KB of JSON. */
export function createQueue(url: string, header: object): Queue {
  let events: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (!events.length) return;
    // sentAt (the page's clock, as span times are) lets the collector correct a clock that is far off.
    for (const body of splitBatches({ ...header, sentAt: epoch(performance.now()) }, events)) send(url, body);
    events = [];
    bytes = 0;
  };
  const push = (event: object) => {
    const json = JSON.stringify(event);
    events.push(json);
    bytes += json.length;
    if (events.length >= FLUSH_EVENTS || bytes >= FLUSH_BYTES) flush();
  };
  return { push, flush };
}
