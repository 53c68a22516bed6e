// Jamscope RUM beacon: page views, Web Vitals and JS errors, batched to the Jamscope collector.
import { beaconUrl, fromScript, type Options } from './config';
import { context, randomId, sessionId } from './context';
import { trackErrors } from './errors';
import { readTraceId } from './trace';
import { createQueue } from './transport';
import { trackVitals } from './vitals';

export type { Options };

/** true in dist/rum.js (script tag build), false in dist/rum.esm.js; set by build.mjs. */
declare const __IIFE__: boolean;

// The <script> that loaded rum.js. document.currentScript is only set while the script first runs.
const script: HTMLScriptElement | null = __IIFE__
  ? (document.currentScript as HTMLScriptElement | null) || document.querySelector('script[src*="rum.js"]')
  : null;

let started = false;

/** Starts collecting. Only the first call has an effect. */
export function init(options: Options = {}): void {
  if (started) return;
  started = true;
  const opts: Options = { ...(script && fromScript(script)), ...options };
  if (Math.random() >= (opts.sampleRate ?? 1)) return; // not sampled: collect nothing for this page view

  const queue = createQueue(beaconUrl(opts), {
    app: opts.app || '',
    release: opts.release || '',
    environment: opts.environment || '',
    sessionId: sessionId(),
    pageViewId: randomId('p-'),
    traceId: readTraceId(),
    ...context(opts.route),
  });
  queue.push({ type: 'page_view', ts: Date.now() });
  trackErrors(queue.push);
  trackVitals(queue.push);
  // Bubble-phase listener on window: runs after web-vitals' capture-phase listeners, so the final
  // LCP/CLS/INP reported on "hidden" are already queued when we flush.
  addEventListener('visibilitychange', () => document.visibilityState == 'hidden' && queue.flush());
  addEventListener('pagehide', queue.flush);
}

if (__IIFE__) {
  (window as unknown as { JamscopeRum: object }).JamscopeRum = { init };
  // The script tag alone starts collecting (beacons go to the script's own origin unless data-endpoint says
  // otherwise); data-manual leaves it to a JamscopeRum.init({...}) call of the page.
  if (script && script.dataset.manual == null) init();
}
