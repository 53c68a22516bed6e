// Page, session and device context sent with every batch.

/** `bytes` random bytes as lowercase hex: 16 make a W3C trace id, 8 a span id. */
export function hex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => (b + 256).toString(16).slice(1)).join('');
}

/** A random id: prefix + 16 lowercase hex characters. */
export const randomId = (prefix: string): string => prefix + hex(8);

/** Per-tab session id, kept in sessionStorage (a fresh one if storage is unavailable). */
export function sessionId(): string {
  const name = 'jamscope.sid';
  try {
    let id = sessionStorage.getItem(name);
    if (!id) sessionStorage.setItem(name, (id = randomId('s-')));
    return id;
  } catch {
    return randomId('s-');
  }
}

type Nav = Navigator & {
  userAgentData?: { mobile?: boolean };
  connection?: { effectiveType?: string };
};

/** The page, connection and device fields of a batch. */
export function context(route?: string) {
  const nav = navigator as Nav;
  const meta = document.querySelector<HTMLMetaElement>('meta[name=jamscope-route]');
  // Device class from userAgentData.mobile, the screen's short side and touch support.
  const short = Math.min(screen.width, screen.height);
  const touch = nav.maxTouchPoints > 0;
  return {
    page: {
      url: location.href,
      path: location.pathname,
      route: route || meta?.content || null,
      referrer: document.referrer,
    },
    // "4g", "3g", … or null where unsupported (Firefox, Safari).
    connection: nav.connection?.effectiveType || null,
    device: nav.userAgentData?.mobile || (touch && short < 600) ? 'mobile' : touch && short <= 1024 ? 'tablet' : 'desktop',
  };
}
