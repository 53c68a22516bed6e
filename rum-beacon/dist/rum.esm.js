/*! Jamscope RUM | web-vitals (c) Google LLC, Apache-2.0 */

// src/config.ts
function fromScript(script2) {
  let { endpoint, key, app, release, env, route, sampleRate, traceOrigins, traceInject } = script2.dataset;
  return {
    endpoint: endpoint || (script2.src ? new URL(script2.src).origin + "/v1/rum" : void 0),
    key,
    app,
    release,
    environment: env,
    route,
    sampleRate: sampleRate ? +sampleRate : void 0,
    traceOrigins: traceOrigins?.split(/[\s,]+/).filter(Boolean),
    traceInject: traceInject != "off"
  };
}
function beaconUrl(opts) {
  let url = new URL(opts.endpoint || "/v1/rum", location.href);
  return opts.key && url.searchParams.set("key", opts.key), url.href;
}

// src/context.ts
function hex(bytes) {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b2) => (b2 + 256).toString(16).slice(1)).join("");
}
var randomId = (prefix) => prefix + hex(8);
function sessionId() {
  let name = "jamscope.sid";
  try {
    let id = sessionStorage.getItem(name);
    return id || sessionStorage.setItem(name, id = randomId("s-")), id;
  } catch {
    return randomId("s-");
  }
}
function context(route) {
  let nav = navigator, meta = document.querySelector("meta[name=jamscope-route]"), short = Math.min(screen.width, screen.height), touch = nav.maxTouchPoints > 0;
  return {
    page: {
      url: location.href,
      path: location.pathname,
      route: route || meta?.content || null,
      referrer: document.referrer
    },
    // "4g", "3g", … or null where unsupported (Firefox, Safari).
    connection: nav.connection?.effectiveType || null,
    device: nav.userAgentData?.mobile || touch && short < 600 ? "mobile" : touch && short <= 1024 ? "tablet" : "desktop"
  };
}

// src/stack.ts
var V8_LINE = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/, GECKO_LINE = /^\s*(.*?)@(.+?):(\d+):(\d+)$/;
function parseStack(stack) {
  let frames = [];
  if (typeof stack != "string") return frames;
  for (let text of stack.split(`
`)) {
    let m2 = V8_LINE.exec(text) || GECKO_LINE.exec(text);
    if (m2 && (frames.push({
      file: m2[2],
      function: (m2[1] || "").replace(/^async /, ""),
      line: +m2[3],
      column: +m2[4]
    }), frames.length == 30))
      break;
  }
  return frames;
}

// src/errors.ts
var MAX_ERRORS = 50, MAX_MESSAGE = 1e3;
function errorEvent(reason, fallback) {
  let err = reason || {}, message = err.message ?? fallback?.message ?? String(reason), stack = parseStack(err.stack);
  return !stack.length && fallback?.filename && stack.push({ file: fallback.filename, function: "", line: fallback.lineno, column: fallback.colno }), {
    type: "error",
    ts: Date.now(),
    message: String(message).slice(0, MAX_MESSAGE),
    errorType: typeof err.name == "string" && err.name || (fallback ? "Error" : "UnhandledRejection"),
    stack
  };
}
function trackErrors(push) {
  let count = 0, report = (event) => count++ < MAX_ERRORS && push(event);
  addEventListener("error", (e2) => report(errorEvent(e2.error, e2))), addEventListener("unhandledrejection", (e2) => report(errorEvent(e2.reason)));
}

// src/trace.ts
function parseParent(value) {
  if (typeof value != "string") return null;
  let m2 = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}(?:$|-)/.exec(value.trim().toLowerCase());
  return m2 && m2[1] != "ff" && !/^0+$/.test(m2[2]) && !/^0+$/.test(m2[3]) ? [m2[2], m2[3]] : null;
}
var traceparent = (traceId, spanId, sampled) => `00-${traceId}-${spanId}-0${+sampled}`, epoch = (t2) => Math.round((performance.timeOrigin + t2) * 1e3) / 1e3, navigation = () => performance.getEntriesByType?.("navigation")[0];
function readParent() {
  let meta = document.querySelector("meta[name=traceparent]"), timing = navigation()?.serverTiming?.find((e2) => e2.name == "traceparent");
  return parseParent(meta?.content) || parseParent(timing?.description);
}
function originMatcher(origins) {
  let patterns = origins.map(
    (o2) => new RegExp("^" + o2.replace(/\/$/, "").replace(/[.+?^${}()|[\]\\/]/g, "\\$&").replace(/\*/g, "[\\w.-]*") + "$", "i")
  );
  return (origin) => patterns.some((p2) => p2.test(origin));
}

// src/spans.ts
var NETWORK = "redirectStart redirectEnd fetchStart domainLookupStart domainLookupEnd connectStart secureConnectionStart connectEnd requestStart responseStart responseEnd".split(" "), DOCUMENT = NETWORK.concat("domInteractive domContentLoadedEventEnd domComplete loadEventEnd".split(" "));
function phases(entry, names) {
  let at = entry;
  return names.filter((name) => at?.[name] > 0).map((name) => ({ name, ts: epoch(at[name]) }));
}
function tracePageLoad(traceId, parent, name, push) {
  let sent = !1, send2 = () => {
    if (sent) return;
    sent = !0;
    let nav = navigation(), attributes = { "url.full": location.href };
    nav?.responseStatus && (attributes["http.response.status_code"] = nav.responseStatus), push({
      type: "span",
      traceId,
      spanId: hex(8),
      parentSpanId: parent?.[1],
      traceState: parent && document.querySelector("meta[name=tracestate]")?.content || void 0,
      name,
      kind: 1,
      start: epoch(0),
      end: epoch(nav?.loadEventEnd || performance.now()),
      status: 0,
      attributes,
      events: phases(nav, DOCUMENT)
    });
  }, later = () => setTimeout(send2);
  return document.readyState == "complete" ? later() : addEventListener("load", later), send2;
}
function traceRequests({ sampled, inject, origins, push }) {
  let listed = originMatcher(origins), pending = [], send2 = (request, entry) => {
    let span = request.span;
    span.start = epoch(request.begin), span.end = epoch(Math.max(request.end, entry?.responseEnd || 0)), span.events = phases(entry, NETWORK), push(span);
  }, match = (request, entry) => entry.name == request.href && entry.startTime >= request.begin - 1 && entry.startTime <= request.end, start = (method, url, set) => {
    let target;
    try {
      target = new URL(url, document.baseURI);
    } catch {
      return;
    }
    let traceId = hex(16), spanId = hex(8);
    if (inject && (target.origin == location.origin || listed(target.origin)) && set("traceparent", traceparent(traceId, spanId, sampled)), !sampled) return;
    let begin = performance.now();
    return (status, failure) => {
      let attributes = { "http.request.method": method, "url.full": target.href };
      status && (attributes["http.response.status_code"] = status);
      let error = failure || (status > 399 ? "" + status : "");
      error && (attributes["error.type"] = error);
      let request = {
        href: target.href,
        begin,
        end: performance.now(),
        span: { type: "span", traceId, spanId, name: method + " " + target.pathname, kind: 3, start: 0, end: 0, status: error ? 2 : 0, attributes, events: [] }
      }, entry = performance.getEntriesByName(request.href, "resource").find((e2) => match(request, e2));
      entry ? send2(request, entry) : pending.push(request);
    };
  };
  sampled && new PerformanceObserver((list) => {
    for (let entry of list.getEntries()) {
      let i2 = pending.findIndex((request) => match(request, entry));
      i2 >= 0 && send2(pending.splice(i2, 1)[0], entry);
    }
  }).observe({ type: "resource" });
  let nativeFetch2 = fetch;
  window.fetch = (input, init2) => {
    let request = input instanceof Request ? input : void 0, headers = new Headers(init2?.headers || request?.headers), injected, done = start((init2?.method || request?.method || "GET").toUpperCase(), request?.url || input, (name, value) => {
      headers.has(name) || (headers.set(name, value), injected = { ...init2, headers });
    }), response = nativeFetch2(input, injected || init2);
    return done && response.then((r2) => done(r2.status), (e2) => done(0, e2?.name || "Error")), response;
  };
  let requests = /* @__PURE__ */ new WeakMap(), xhr = XMLHttpRequest.prototype, { open, send: xhrSend } = xhr;
  return xhr.open = function(method, url) {
    return requests.set(this, [method.toUpperCase(), "" + url]), open.apply(this, arguments);
  }, xhr.send = function(body) {
    let [method, url] = requests.get(this) || [], done = method && start(method, url, (name, value) => this.setRequestHeader(name, value));
    if (done) {
      let failure;
      for (let kind of ["error", "abort", "timeout"]) this.addEventListener(kind, () => failure = kind);
      this.addEventListener("loadend", () => done(this.status, failure));
    }
    return xhrSend.call(this, body);
  }, () => pending.splice(0).forEach((request) => send2(request));
}

// src/transport.ts
var MAX_BODY = 6e4, FLUSH_EVENTS = 20, FLUSH_BYTES = 5e4, utf8Length = (s2) => new Blob([s2]).size;
function splitBatches(header, events, maxBytes = MAX_BODY) {
  let head = JSON.stringify(header).slice(0, -1) + ',"events":[', empty = utf8Length(head) + 2, bodies = [], batch = [], size = empty, close = () => {
    batch.length && bodies.push(head + batch.join() + "]}"), batch = [], size = empty;
  };
  for (let event of events) {
    let n2 = utf8Length(event) + 1;
    empty + n2 > maxBytes || (size + n2 > maxBytes && close(), batch.push(event), size += n2);
  }
  return close(), bodies;
}
var nativeFetch = typeof fetch == "function" ? fetch : void 0;
function send(url, body) {
  navigator.sendBeacon?.(url, body) || nativeFetch?.(url, { method: "POST", body, keepalive: !0, credentials: "omit" }).catch(() => {
  });
}
function createQueue(url, header) {
  let events = [], bytes = 0, flush = () => {
    if (events.length) {
      for (let body of splitBatches({ ...header, sentAt: epoch(performance.now()) }, events)) send(url, body);
      events = [], bytes = 0;
    }
  };
  return { push: (event) => {
    let json = JSON.stringify(event);
    events.push(json), bytes += json.length, (events.length >= FLUSH_EVENTS || bytes >= FLUSH_BYTES) && flush();
  }, flush };
}

// node_modules/web-vitals/dist/web-vitals.attribution.js
var t = class {
  t;
  o = 0;
  i = [];
  u(t2) {
    if (t2.hadRecentInput) return;
    let e2 = this.i[0], n2 = this.i.at(-1);
    this.o && e2 && n2 && t2.startTime - n2.startTime < 1e3 && t2.startTime - e2.startTime < 5e3 ? (this.o += t2.value, this.i.push(t2)) : (this.o = t2.value, this.i = [t2]), this.t?.(t2);
  }
}, e = () => {
  let t2 = performance.getEntriesByType("navigation")[0];
  if (t2 && t2.responseStart > 0 && t2.responseStart < performance.now()) return t2;
}, n = (t2) => {
  if (document.readyState === "loading") return "loading";
  let n2 = e();
  if (n2) {
    if (t2 < n2.domInteractive) return "loading";
    if (n2.domContentLoadedEventStart === 0 || t2 < n2.domContentLoadedEventStart) return "dom-interactive";
    if (n2.domComplete === 0 || t2 < n2.domComplete) return "dom-content-loaded";
  }
  return "complete";
}, o = (t2) => {
  let e2 = t2.nodeName;
  return t2.nodeType === 1 ? e2.toLowerCase() : e2.toUpperCase().replace(/^#/, "");
}, i = (t2) => {
  let e2 = "";
  try {
    for (; t2?.nodeType !== 9; ) {
      let n2 = t2, i2 = n2.id ? "#" + n2.id : [o(n2), ...Array.from(n2.classList).sort()].join(".");
      if (e2.length + i2.length > 99) return e2 || i2;
      if (e2 = e2 ? i2 + ">" + e2 : i2, n2.id) break;
      t2 = n2.parentNode;
    }
  } catch {
  }
  return e2;
}, r = /* @__PURE__ */ new WeakMap();
function s(t2, e2) {
  let n2 = r.get(e2);
  return n2 || (n2 = /* @__PURE__ */ new WeakMap(), r.set(e2, n2)), n2.get(t2) || n2.set(t2, new e2()), n2.get(t2);
}
var a = -1, c = () => a, u = (t2) => {
  addEventListener("pageshow", (e2) => {
    e2.persisted && (a = e2.timeStamp, t2(e2));
  }, !0);
}, f = (t2, e2, n2, o2) => {
  let i2, r2;
  return (s2) => {
    e2.value >= 0 && (s2 || o2) && (r2 = e2.value - (i2 ?? 0), (r2 || i2 === void 0) && (i2 = e2.value, e2.delta = r2, e2.rating = ((t3, e3) => t3 > e3[1] ? "poor" : t3 > e3[0] ? "needs-improvement" : "good")(e2.value, n2), t2(e2)));
  };
}, l = (t2) => {
  requestAnimationFrame(() => requestAnimationFrame(t2));
}, d = () => e()?.activationStart ?? 0, h = (t2, n2 = -1) => {
  let o2 = e(), i2 = "navigate";
  return c() >= 0 ? i2 = "back-forward-cache" : o2 && (document.prerendering || d() > 0 ? i2 = "prerender" : document.wasDiscarded ? i2 = "restore" : o2.type && (i2 = o2.type.replace(/_/g, "-"))), { name: t2, value: n2, rating: "good", delta: 0, entries: [], id: `v5-${Date.now()}-${Math.floor(8999999999999 * Math.random()) + 1e12}`, navigationType: i2 };
}, m = (t2, e2, n2 = {}) => {
  try {
    if (PerformanceObserver.supportedEntryTypes.includes(t2)) {
      let o2 = new PerformanceObserver((t3) => {
        queueMicrotask(() => {
          e2(t3.getEntries());
        });
      });
      return o2.observe({ type: t2, buffered: !0, ...n2 }), o2;
    }
  } catch {
  }
}, g = (t2) => {
  let e2 = !1;
  return () => {
    e2 || (t2(), e2 = !0);
  };
}, p = -1, y = /* @__PURE__ */ new Set(), v = () => document.visibilityState !== "hidden" || document.prerendering ? 1 / 0 : 0, b = (t2) => {
  if (document.visibilityState === "hidden") {
    if (t2.type === "visibilitychange") for (let t3 of y) t3();
    isFinite(p) || (p = t2.type === "visibilitychange" ? t2.timeStamp : 0, removeEventListener("prerenderingchange", b, !0));
  }
}, M = () => {
  if (p < 0) {
    let t2 = d();
    p = (document.prerendering ? void 0 : globalThis.performance.getEntriesByType("visibility-state").find((e3) => e3.name === "hidden" && e3.startTime >= t2)?.startTime) ?? v(), addEventListener("visibilitychange", b, !0), addEventListener("prerenderingchange", b, !0), u(() => {
      setTimeout(() => {
        p = v();
      });
    });
  }
  return { get firstHiddenTime() {
    return p;
  }, onHidden(t2) {
    y.add(t2);
  } };
}, T = (t2) => {
  document.prerendering ? addEventListener("prerenderingchange", t2, !0) : t2();
}, E = [1800, 3e3], D = (t2, e2 = {}) => {
  T(() => {
    let n2 = M(), o2, i2 = h("FCP"), r2 = m("paint", (t3) => {
      for (let e3 of t3) e3.name === "first-contentful-paint" && (r2.disconnect(), e3.startTime < n2.firstHiddenTime && (i2.value = Math.max(e3.startTime - d(), 0), i2.entries.push(e3), o2(!0)));
    });
    r2 && (o2 = f(t2, i2, E, e2.reportAllChanges), u((n3) => {
      i2 = h("FCP"), o2 = f(t2, i2, E, e2.reportAllChanges), l(() => {
        i2.value = performance.now() - n3.timeStamp, o2(!0);
      });
    }));
  });
}, L = [0.1, 0.25], S = (t2) => t2.find((t3) => t3.node?.nodeType === 1) || t2[0], P = (e2, o2 = {}) => {
  let r2 = s(o2 = Object.assign({}, o2), t), a2 = /* @__PURE__ */ new WeakMap();
  r2.t = (t2) => {
    if (t2?.sources?.length) {
      let e3 = S(t2.sources), n2 = e3?.node;
      if (n2) {
        let t3 = o2.generateTarget?.(n2) ?? i(n2);
        a2.set(e3, t3);
      }
    }
  }, ((e3, n2 = {}) => {
    let o3 = M();
    D(g(() => {
      let i2, r3 = h("CLS", 0), a3 = s(n2, t), c2 = (t2) => {
        for (let e4 of t2) a3.u(e4);
        a3.o > r3.value && (r3.value = a3.o, r3.entries = a3.i, i2());
      }, d2 = m("layout-shift", c2);
      d2 && (i2 = f(e3, r3, L, n2.reportAllChanges), o3.onHidden(() => {
        c2(d2.takeRecords()), i2(!0);
      }), u(() => {
        a3.o = 0, r3 = h("CLS", 0), i2 = f(e3, r3, L, n2.reportAllChanges), l(i2);
      }), setTimeout(i2));
    }));
  })((t2) => {
    e2(((t3) => {
      let e3 = {};
      if (t3.entries.length) {
        let o3 = t3.entries.reduce((t4, e4) => t4.value > e4.value ? t4 : e4);
        if (o3?.sources?.length) {
          let t4 = S(o3.sources);
          t4 && (e3 = { largestShiftTarget: a2.get(t4), largestShiftTime: o3.startTime, largestShiftValue: o3.value, largestShiftSource: t4, largestShiftEntry: o3, loadState: n(o3.startTime) });
        }
      }
      return Object.assign(t3, { attribution: e3 });
    })(t2));
  }, o2);
}, w = (t2, o2 = {}) => {
  D((o3) => {
    t2(((t3) => {
      let o4 = { timeToFirstByte: 0, firstByteToFCP: t3.value, loadState: n(c()) };
      if (t3.entries.length) {
        let i2 = e(), r2 = t3.entries.at(-1);
        if (i2) {
          let e2 = i2.activationStart || 0, s2 = Math.max(0, i2.responseStart - e2);
          o4 = { timeToFirstByte: s2, firstByteToFCP: t3.value - s2, loadState: n(t3.entries[0].startTime), navigationEntry: i2, fcpEntry: r2 };
        }
      }
      return Object.assign(t3, { attribution: o4 });
    })(o3));
  }, o2);
}, k = 0, _ = 1 / 0, F = 0, B = (t2) => {
  for (let e2 of t2) e2.interactionId && (_ = Math.min(_, e2.interactionId), F = Math.max(F, e2.interactionId), k = F ? (F - _) / 7 + 1 : 0);
}, C, O = () => C ? k : performance.interactionCount ?? 0, j = () => {
  "interactionCount" in performance || C || (C = m("event", B, { durationThreshold: 0 }));
}, I = 0, A = class {
  l = [];
  h = /* @__PURE__ */ new Map();
  m;
  p;
  v() {
    I = O(), this.l.length = 0, this.h.clear();
  }
  M() {
    let t2 = Math.min(this.l.length - 1, Math.floor((O() - I) / 50));
    return this.l[t2];
  }
  u(t2) {
    if (this.m?.(t2), !t2.interactionId && t2.entryType !== "first-input") return;
    let e2 = this.l.at(-1), n2 = this.h.get(t2.interactionId);
    if (n2 || this.l.length < 10 || t2.duration > e2.T) {
      if (n2 ? t2.duration > n2.T ? (n2.entries = [t2], n2.T = t2.duration) : t2.duration === n2.T && t2.startTime === n2.entries[0].startTime && n2.entries.push(t2) : (n2 = { id: t2.interactionId, entries: [t2], T: t2.duration }, this.h.set(n2.id, n2), this.l.push(n2)), this.l.sort((t3, e3) => e3.T - t3.T), this.l.length > 10) {
        let t3 = this.l.splice(10);
        for (let e3 of t3) this.h.delete(e3.id);
      }
      this.p?.(n2);
    }
  }
}, W = (t2) => {
  let e2 = globalThis.requestIdleCallback || setTimeout, n2 = globalThis.cancelIdleCallback || clearTimeout;
  if (document.visibilityState === "hidden") t2();
  else {
    let o2 = g(t2), i2 = -1, r2 = () => {
      n2(i2), o2();
    };
    addEventListener("visibilitychange", r2, { once: !0, capture: !0 }), i2 = e2(() => {
      removeEventListener("visibilitychange", r2, { capture: !0 }), o2();
    });
  }
}, q = [200, 500], x = (t2, e2 = {}) => {
  let o2 = s(e2 = Object.assign({}, e2), A), r2 = [], a2 = [], c2 = 0, l2 = /* @__PURE__ */ new WeakMap(), d2 = /* @__PURE__ */ new WeakMap(), g2 = !1, p2 = () => {
    g2 || (W(y2), g2 = !0);
  }, y2 = () => {
    let t3 = new Set(o2.l.map((t4) => l2.get(t4.entries[0]))), e3 = a2.length - 10;
    a2 = a2.filter((n3, o3) => o3 >= e3 || t3.has(n3));
    let n2 = /* @__PURE__ */ new Set();
    for (let t4 of a2) {
      let e4 = v2(t4.startTime, t4.processingEnd);
      for (let t5 of e4) n2.add(t5);
    }
    r2 = r2.filter((t4) => t4.startTime > c2 || n2.has(t4)), g2 = !1;
  };
  o2.m = (t3) => {
    let n2 = t3.startTime + t3.duration, o3;
    c2 = Math.max(c2, t3.processingEnd);
    for (let i2 = a2.length - 1; i2 >= 0; i2--) {
      let r3 = a2[i2];
      if (Math.abs(n2 - r3.renderTime) <= 8) {
        o3 = r3, o3.startTime = Math.min(t3.startTime, o3.startTime), o3.processingStart = Math.min(t3.processingStart, o3.processingStart), o3.processingEnd = Math.max(t3.processingEnd, o3.processingEnd), e2.includeProcessedEventEntries !== !1 && o3.entries.push(t3);
        break;
      }
    }
    o3 || (o3 = { startTime: t3.startTime, processingStart: t3.processingStart, processingEnd: t3.processingEnd, renderTime: n2, entries: e2.includeProcessedEventEntries !== !1 ? [t3] : [] }, a2.push(o3)), (t3.interactionId || t3.entryType === "first-input") && l2.set(t3, o3), p2();
  }, o2.p = (t3) => {
    if (!d2.get(t3)) {
      let n2 = t3.entries.find((t4) => t4.target)?.target;
      if (n2) {
        let o3 = e2.generateTarget?.(n2) ?? i(n2);
        d2.set(t3, o3);
      } else {
        let e3 = t3.entries.find((t4) => t4.targetSelector)?.targetSelector;
        e3 && d2.set(t3, e3);
      }
    }
  };
  let v2 = (t3, e3) => {
    let n2 = [];
    for (let o3 of r2) if (!(o3.startTime + o3.duration < t3)) {
      if (o3.startTime > e3) break;
      n2.push(o3);
    }
    return n2;
  }, b2 = (t3) => {
    let e3 = t3.entries[0], i2 = l2.get(e3), r3 = e3.processingStart, s2 = Math.max(e3.startTime + e3.duration, r3), a3 = Math.min(i2.processingEnd, s2), c3 = i2.entries.sort((t4, e4) => t4.processingStart - e4.processingStart), u2 = v2(e3.startTime, a3), f2 = o2.h.get(e3.interactionId), h2 = { interactionTarget: d2.get(f2), interactionType: e3.name.startsWith("key") ? "keyboard" : "pointer", interactionTime: e3.startTime, nextPaintTime: s2, processedEventEntries: c3, longAnimationFrameEntries: u2, inputDelay: r3 - e3.startTime, processingDuration: a3 - r3, presentationDelay: s2 - a3, loadState: n(e3.startTime), longestScript: void 0, totalScriptDuration: void 0, totalStyleAndLayoutDuration: void 0, totalPaintDuration: void 0, totalUnattributedDuration: void 0 };
    return ((t4) => {
      if (!t4.longAnimationFrameEntries?.length) return;
      let e4 = t4.interactionTime, n2 = t4.inputDelay, o3 = t4.processingDuration, i3, r4, s3 = 0, a4 = 0, c4 = 0, u3 = 0;
      for (let c5 of t4.longAnimationFrameEntries) {
        a4 = a4 + c5.startTime + c5.duration - c5.styleAndLayoutStart;
        for (let t5 of c5.scripts) {
          let c6 = t5.startTime + t5.duration;
          if (c6 < e4) continue;
          let f4 = c6 - Math.max(e4, t5.startTime), l4 = t5.duration ? f4 / t5.duration * t5.forcedStyleAndLayoutDuration : 0;
          s3 += f4 - l4, a4 += l4, f4 > u3 && (r4 = t5.startTime < e4 + n2 ? "input-delay" : t5.startTime >= e4 + n2 + o3 ? "presentation-delay" : "processing-duration", i3 = t5, u3 = f4);
        }
      }
      let f3 = t4.longAnimationFrameEntries.at(-1), l3 = f3 ? f3.startTime + f3.duration : 0;
      l3 >= e4 + n2 + o3 && (c4 = t4.nextPaintTime - l3), i3 && r4 && (t4.longestScript = { entry: i3, subpart: r4, intersectingDuration: u3 }), t4.totalScriptDuration = s3, t4.totalStyleAndLayoutDuration = a4, t4.totalPaintDuration = c4, t4.totalUnattributedDuration = t4.nextPaintTime - e4 - s3 - a4 - c4;
    })(h2), Object.assign(t3, { attribution: h2 });
  };
  m("long-animation-frame", (t3) => {
    r2 = r2.concat(t3), p2();
  }), ((t3, e3 = {}) => {
    if (!globalThis.PerformanceEventTiming || !("interactionId" in PerformanceEventTiming.prototype)) return;
    let n2 = M();
    T(() => {
      j();
      let o3, i2 = h("INP"), r3 = s(e3, A), a3 = (t4) => {
        W(() => {
          for (let e5 of t4) r3.u(e5);
          let e4 = r3.M();
          e4 && e4.T !== i2.value && (i2.value = e4.T, i2.entries = e4.entries, o3());
        });
      }, c3 = m("event", a3, { durationThreshold: e3.durationThreshold ?? 40 });
      o3 = f(t3, i2, q, e3.reportAllChanges), c3 && (c3.observe({ type: "first-input", buffered: !0 }), n2.onHidden(() => {
        a3(c3.takeRecords()), o3(!0);
      }), u(() => {
        r3.v(), i2 = h("INP"), o3 = f(t3, i2, q, e3.reportAllChanges);
      }));
    });
  })((e3) => {
    t2(b2(e3));
  }, e2);
}, N = class {
  m;
  u(t2) {
    this.m?.(t2);
  }
}, $ = [2500, 4e3], H = (t2, n2 = {}) => {
  let o2 = s(n2 = Object.assign({}, n2), N), r2 = /* @__PURE__ */ new WeakMap();
  o2.m = (t3) => {
    let e2 = t3.element;
    if (e2) {
      let o3 = n2.generateTarget?.(e2) ?? i(e2);
      r2.set(t3, o3);
    } else t3.id && r2.set(t3, `#${t3.id}`);
  }, ((t3, e2 = {}) => {
    T(() => {
      let n3 = M(), o3, i2 = h("LCP"), r3 = s(e2, N), a2 = (t4) => {
        e2.reportAllChanges || (t4 = t4.slice(-1));
        for (let e3 of t4) r3.u(e3), e3.startTime < n3.firstHiddenTime && (i2.value = Math.max(e3.startTime - d(), 0), i2.entries = [e3], o3());
      }, c2 = m("largest-contentful-paint", a2);
      if (c2) {
        o3 = f(t3, i2, $, e2.reportAllChanges);
        let n4 = g(() => {
          a2(c2.takeRecords()), c2.disconnect(), o3(!0);
        }), r4 = (t4) => {
          t4.isTrusted && (W(n4), removeEventListener(t4.type, r4, { capture: !0 }));
        };
        for (let t4 of ["keydown", "click", "visibilitychange"]) addEventListener(t4, r4, { capture: !0 });
        u((n5) => {
          i2 = h("LCP"), o3 = f(t3, i2, $, e2.reportAllChanges), l(() => {
            i2.value = performance.now() - n5.timeStamp, o3(!0);
          });
        });
      }
    });
  })((n3) => {
    t2(((t3) => {
      let n4 = { timeToFirstByte: 0, resourceLoadDelay: 0, resourceLoadDuration: 0, elementRenderDelay: t3.value };
      if (t3.entries.length) {
        let o3 = t3.entries.at(-1), i2 = o3.url && performance.getEntriesByType("resource").find((t4) => t4.name === o3.url);
        n4.target = r2.get(o3), n4.lcpEntry = o3, o3.url && (n4.url = o3.url), i2 && (n4.lcpResourceEntry = i2);
        let s2 = e();
        if (s2) {
          let e2 = s2.activationStart || 0, o4 = Math.max(0, s2.responseStart - e2), r3 = Math.max(o4, i2 ? (i2.requestStart || i2.startTime) - e2 : 0), a2 = Math.min(t3.value, Math.max(r3, i2 ? i2.responseEnd - e2 : 0));
          n4 = { ...n4, timeToFirstByte: o4, resourceLoadDelay: r3 - o4, resourceLoadDuration: a2 - r3, elementRenderDelay: t3.value - a2, navigationEntry: s2 };
        }
      }
      return Object.assign(t3, { attribution: n4 });
    })(n3));
  }, n2);
}, R = [800, 1800], U = (t2) => {
  document.prerendering ? T(() => U(t2)) : document.readyState !== "complete" ? addEventListener("load", () => U(t2), !0) : setTimeout(t2);
}, V = (t2, n2 = {}) => {
  ((t3, n3 = {}) => {
    let o2 = h("TTFB"), i2 = f(t3, o2, R, n3.reportAllChanges);
    U(() => {
      let r2 = e();
      r2 && (o2.value = Math.max(r2.responseStart - d(), 0), o2.entries = [r2], i2(!0), u(() => {
        o2 = h("TTFB", 0), i2 = f(t3, o2, R, n3.reportAllChanges), i2(!0);
      }));
    });
  })((e2) => {
    t2(((t3) => {
      let e3 = { waitingDuration: 0, cacheDuration: 0, dnsDuration: 0, connectionDuration: 0, requestDuration: 0 };
      if (t3.entries.length) {
        let n3 = t3.entries[0], o2 = n3.activationStart || 0, i2 = Math.max((n3.workerStart || n3.fetchStart) - o2, 0), r2 = Math.max(n3.domainLookupStart - o2, 0), s2 = Math.max(n3.connectStart - o2, 0), a2 = Math.max(n3.connectEnd - o2, 0);
        e3 = { waitingDuration: i2, cacheDuration: r2 - i2, dnsDuration: s2 - r2, connectionDuration: a2 - s2, requestDuration: t3.value - a2, navigationEntry: n3 };
      }
      return Object.assign(t3, { attribution: e3 });
    })(e2));
  }, n2);
};

// src/vitals.ts
function vitalEvent(metric) {
  let { entries: _entries, attribution: source, ...rest } = metric, attribution = {};
  for (let [field, v2] of Object.entries(source))
    (typeof v2 == "string" || Number.isFinite(v2)) && (attribution[field == "target" ? "element" : field] = v2);
  return { type: "vital", ts: Date.now(), ...rest, attribution };
}
function trackVitals(push) {
  let report = (metric) => push(vitalEvent(metric));
  for (let on of [H, x, P, w, V]) on(report);
}

// src/index.ts
var script = null, started = !1;
function init(options = {}) {
  if (started) return;
  started = !0;
  let opts = { ...script && fromScript(script), ...options }, sampled = Math.random() < (opts.sampleRate ?? 1), inject = opts.traceInject != !1, origins = opts.traceOrigins || [];
  if (!sampled) return void (inject && traceRequests({ sampled, inject, origins, push() {
  } }));
  let parent = readParent(), traceId = parent?.[0] || hex(16), ctx = context(opts.route), queue = createQueue(beaconUrl(opts), {
    app: opts.app || "",
    release: opts.release || "",
    environment: opts.environment || "",
    sessionId: sessionId(),
    pageViewId: randomId("p-"),
    traceId,
    ...ctx
  }), requests = traceRequests({ sampled, inject, origins, push: queue.push });
  queue.push({ type: "page_view", ts: Date.now() });
  let pageLoad = tracePageLoad(traceId, parent, "page load " + (ctx.page.route || location.pathname), queue.push);
  trackErrors(queue.push), trackVitals(queue.push);
  let flush = () => {
    pageLoad(), requests(), queue.flush();
  };
  addEventListener("visibilitychange", () => document.visibilityState == "hidden" && flush()), addEventListener("pagehide", flush);
}
export {
  init
};
