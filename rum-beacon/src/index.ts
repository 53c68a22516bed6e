// Jamscope RUM beacon: page views, Web Vitals, JS errors and browser spans, batched to the Jamscope collector.
import { beaconUrl, fromScript, type Options } from './config';
import { context, hex, randomId, sessionId } from './context';
import { trackErrors } from './errors';
import { tracePageLoad, traceRequests } from './spans';
import { readParent } from './trace';
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
  // Decided once per page view. A page view not sampled sends nothing, but its requests still carry a
  // traceparent (flags 00) so the servers behind them know the trace is not kept.
  const sampled = Math.random() < (opts.sampleRate ?? 1);
  const inject = opts.traceInject != false;
  const origins = opts.traceOrigins || [];
  if (!sampled) return void (inject && traceRequests({ sampled, inject, origins, push() {} }));

  // The page view's trace: the document's server trace when the page names one, a new one otherwise.
  const parent = readParent();
  const traceId = parent?.[0] || hex(16);
  const ctx = context(opts.route);
  const queue = createQueue(beaconUrl(opts), {
    app: opts.app || '',
    release: opts.release || '',
    environment: opts.environment || '',
    sessionId: sessionId(),
    pageViewId: randomId('p-'),
    traceId,
    ...ctx,
  });
  const requests = traceRequests({ sampled, inject, origins, push: queue.push });
  queue.push({ type: 'page_view', ts: Date.now() });
  const pageLoad = tracePageLoad(traceId, parent, 'page load ' + (ctx.page.route || location.pathname), queue.push);
  trackErrors(queue.push);
  trackVitals(queue.push);
  // Spans still open are sent with the batch, then the batch.
  const flush = () => {
    pageLoad();
    requests();
    queue.flush();
  };
  // Bubble-phase listener on window: runs after web-vitals' capture-phase listeners, so the final
  // LCP/CLS/INP reported on "hidden" are already queued when we flush.
  addEventListener('visibilitychange', () => document.visibilityState == 'hidden' && flush());
  addEventListener('pagehide', flush);
}

if (__IIFE__) {
  (window as unknown as { JamscopeRum: object }).JamscopeRum = { init };
  // The script tag alone starts collecting (beacons go to the script's own origin unless data-endpoint says
  // otherwise); data-manual leaves it to a JamscopeRum.init({...}) call of the page.
  if (script && script.dataset.manual == null) init();
}
