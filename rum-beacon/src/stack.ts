// Pure stack-trace parsing (no DOM access), unit tested in test/unit.test.mjs.

export interface Frame {
  file: string;
  function: string;
  line: number;
  column: number;
}

export const MAX_FRAMES = 30;

// V8 (Chrome, Edge, Node): "    at fn (https://x/app.js:10:5)" or "    at https://x/app.js:10:5"
const V8_LINE = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/;
// SpiderMonkey / JavaScriptCore (Firefox, Safari): "fn@https://x/app.js:10:5" or "@https://x/app.js:10:5"
const GECKO_LINE = /^\s*(.*?)@(.+?):(\d+):(\d+)$/;

/** Parses a Chrome or Firefox/Safari `error.stack` string into at most 30 frames. */
export function parseStack(stack: unknown): Frame[] {
  const frames: Frame[] = [];
  if (typeof stack != 'string') return frames;
  for (const text of stack.split('\n')) {
    const m = V8_LINE.exec(text) || GECKO_LINE.exec(text);
    if (!m) continue; // the "TypeError: message" header line and anything unknown
    frames.push({
      file: m[2],
      function: (m[1] || '').replace(/^async /, ''),
      line: +m[3],
      column: +m[4],
    });
    if (frames.length == MAX_FRAMES) break;
  }
  return frames;
}
