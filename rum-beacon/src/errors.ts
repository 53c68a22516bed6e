// Uncaught errors and unhandled promise rejections.
import { parseStack } from './stack';

const MAX_ERRORS = 50; // per page view, so a loop that throws cannot flood the collector
const MAX_MESSAGE = 1000;

export function errorEvent(reason: unknown, fallback?: ErrorEvent): object {
  const err = (reason || {}) as Partial<Error>;
  const message = err.message ?? fallback?.message ?? String(reason);
  const stack = parseStack(err.stack);
  // No usable stack (e.g. a thrown string or a cross-origin "Script error."): use the event's location.
  if (!stack.length && fallback?.filename) {
    stack.push({ file: fallback.filename, function: '', line: fallback.lineno, column: fallback.colno });
  }
  return {
    type: 'error',
    ts: Date.now(),
    message: String(message).slice(0, MAX_MESSAGE),
    errorType: (typeof err.name == 'string' && err.name) || (fallback ? 'Error' : 'UnhandledRejection'),
    stack,
  };
}

export function trackErrors(push: (event: object) => void): void {
  let count = 0;
  const report = (event: object) => count++ < MAX_ERRORS && push(event);
  addEventListener('error', (e) => report(errorEvent(e.error, e)));
  addEventListener('unhandledrejection', (e) => report(errorEvent(e.reason)));
}
