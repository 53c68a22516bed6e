// A module bundled first in the second build: its names take the minifier's short names, so the
// checkout's functions get other ones though their code is the same.
export function formatPrice(cents: number, currency: string, locale: string): string {
  const units = cents / 100;
  const rounded = Math.round(units * 100) / 100;
  return `${rounded.toFixed(2)} ${currency} (${locale})`;
}

(window as unknown as { formatPrice: typeof formatPrice }).formatPrice = formatPrice;
