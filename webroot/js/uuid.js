// Random ids for the pages: the bridge client's reply addresses, the worker tab's identity.

/**
 * A random v4 UUID (36 characters). crypto.randomUUID() exists only in secure
 * contexts (https, localhost); a page served over plain http on a LAN address
 * gets the same format from crypto.getRandomValues().
 */
export function randomUUID() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
