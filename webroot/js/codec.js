// base64url (RFC 4648 §5, no padding) <-> Float32Array, little-endian on the wire.
//
// This is how Vert.x writes binary into JSON, and how the worker protocol
// (docs/PROTOCOL.md §4) carries matrices. Works on the main thread and in
// workers. Uses the native Uint8Array base64 methods where the browser has
// them, otherwise a chunked atob/btoa fallback that copes with multi-megabyte
// payloads.

/** True when this platform stores multi-byte numbers little-endian (checked once). */
export const LITTLE_ENDIAN = (() => {
  const probe = new ArrayBuffer(4);
  new DataView(probe).setUint32(0, 0x01020304, true);
  return new Uint8Array(probe)[0] === 0x04;
})();

const HAS_NATIVE_ENCODE = typeof Uint8Array.prototype.toBase64 === 'function';
const HAS_NATIVE_DECODE = typeof Uint8Array.fromBase64 === 'function';
const HAS_NATIVE_DECODE_INTO = typeof Uint8Array.prototype.setFromBase64 === 'function';

const URL_ALPHABET = /^[A-Za-z0-9_-]*$/;
// Bytes per fallback step: a multiple of 3 so the base64 pieces concatenate cleanly.
const ENCODE_STEP = 3 * 8192;
// Characters per fallback decode step: a multiple of 4.
const DECODE_STEP = 4 * 16384;

/** Number of base64url characters (without padding) that encode `byteLength` bytes. */
export function base64urlLength(byteLength) {
  const rem = byteLength % 3;
  return Math.floor(byteLength / 3) * 4 + (rem === 0 ? 0 : rem + 1);
}

/** Number of bytes a padding-free base64url string of `length` characters decodes to, or -1 if impossible. */
export function decodedByteLength(length) {
  const rem = length % 4;
  if (rem === 1) return -1;
  return Math.floor(length / 4) * 3 + (rem === 0 ? 0 : rem - 1);
}

/** Length in characters of `s` without up to two trailing '=' (padding is tolerated on input). */
function unpaddedLength(s) {
  let n = s.length;
  if (n > 0 && s.charCodeAt(n - 1) === 61) n--;
  if (n > 0 && s.charCodeAt(n - 1) === 61) n--;
  return n;
}

/** Checks that `s` is a base64url string for exactly `floatCount` float32 values (no decoding). */
export function isFloat32Base64(s, floatCount) {
  return typeof s === 'string' && unpaddedLength(s) === base64urlLength(floatCount * 4);
}

// ---------------------------------------------------------------- bytes

/** Uint8Array -> base64url without padding. */
export function bytesToBase64url(bytes) {
  if (HAS_NATIVE_ENCODE) return bytes.toBase64({ alphabet: 'base64url', omitPadding: true });
  const parts = [];
  for (let i = 0; i < bytes.length; i += ENCODE_STEP) {
    const sub = bytes.subarray(i, Math.min(i + ENCODE_STEP, bytes.length));
    let bin = '';
    for (let j = 0; j < sub.length; j += 4096) {
      bin += String.fromCharCode.apply(null, sub.subarray(j, Math.min(j + 4096, sub.length)));
    }
    parts.push(btoa(bin));
  }
  return parts.join('').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** base64url (padding optional) -> Uint8Array. Throws a TypeError on anything else. */
export function base64urlToBytes(s) {
  if (typeof s !== 'string') throw new TypeError('base64url: not a string');
  const n = unpaddedLength(s);
  const byteLength = decodedByteLength(n);
  if (byteLength < 0) throw new TypeError('base64url: impossible length ' + s.length);
  const body = n === s.length ? s : s.slice(0, n);
  if (HAS_NATIVE_DECODE) {
    let bytes;
    try {
      bytes = Uint8Array.fromBase64(body, { alphabet: 'base64url', lastChunkHandling: 'loose' });
    } catch (e) {
      throw new TypeError('base64url: ' + e.message);
    }
    // fromBase64 skips ASCII whitespace; a string with any would decode short.
    if (bytes.length !== byteLength) throw new TypeError('base64url: invalid characters');
    return bytes;
  }
  if (!URL_ALPHABET.test(body)) throw new TypeError('base64url: invalid characters');
  const out = new Uint8Array(byteLength);
  let o = 0;
  for (let i = 0; i < n; i += DECODE_STEP) {
    const piece = body.slice(i, Math.min(i + DECODE_STEP, n)).replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(piece);
    for (let j = 0; j < bin.length; j++) out[o++] = bin.charCodeAt(j);
  }
  if (o !== byteLength) throw new TypeError('base64url: decoded ' + o + ' bytes, expected ' + byteLength);
  return out;
}

// ---------------------------------------------------------------- float32

function swap32InPlace(bytes) {
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    const b0 = bytes[i], b1 = bytes[i + 1];
    bytes[i] = bytes[i + 3];
    bytes[i + 1] = bytes[i + 2];
    bytes[i + 2] = b1;
    bytes[i + 3] = b0;
  }
}

/** Float32Array -> base64url of its little-endian bytes, no padding. */
export function encodeFloat32(values) {
  if (!(values instanceof Float32Array)) throw new TypeError('encodeFloat32: expected a Float32Array');
  let bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (!LITTLE_ENDIAN) {
    bytes = bytes.slice();
    swap32InPlace(bytes);
  }
  return bytesToBase64url(bytes);
}

/**
 * base64url -> Float32Array (little-endian on the wire).
 * With `expectedCount`, anything that is not exactly that many floats throws
 * (checked on the string length before decoding anything).
 */
export function decodeFloat32(s, expectedCount) {
  if (typeof s !== 'string') throw new TypeError('decodeFloat32: not a string');
  if (expectedCount !== undefined && !isFloat32Base64(s, expectedCount)) {
    throw new TypeError('decodeFloat32: ' + s.length + ' characters do not hold ' + expectedCount + ' float32 values');
  }
  const bytes = base64urlToBytes(s);
  if (bytes.length % 4 !== 0) throw new TypeError('decodeFloat32: ' + bytes.length + ' bytes is not a whole number of float32');
  if (!LITTLE_ENDIAN) swap32InPlace(bytes);
  if (bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.length) return new Float32Array(bytes.buffer);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/**
 * Decodes `s` (exactly `count` floats) straight into `target` starting at
 * float index `offset`. Avoids a temporary copy where the browser can.
 */
export function decodeFloat32Into(s, target, offset, count) {
  if (!(target instanceof Float32Array)) throw new TypeError('decodeFloat32Into: target is not a Float32Array');
  if (!Number.isInteger(offset) || !Number.isInteger(count) || offset < 0 || count < 0 || offset + count > target.length) {
    throw new RangeError('decodeFloat32Into: range outside the target');
  }
  if (!isFloat32Base64(s, count)) {
    throw new TypeError('decodeFloat32Into: ' + (typeof s === 'string' ? s.length + ' characters' : typeof s) +
      ' do not hold ' + count + ' float32 values');
  }
  const dest = new Uint8Array(target.buffer, target.byteOffset + offset * 4, count * 4);
  if (HAS_NATIVE_DECODE_INTO) {
    const body = s.slice(0, unpaddedLength(s));
    let r;
    try {
      r = dest.setFromBase64(body, { alphabet: 'base64url', lastChunkHandling: 'loose' });
    } catch (e) {
      throw new TypeError('base64url: ' + e.message);
    }
    if (r.written !== count * 4 || r.read !== body.length) throw new TypeError('base64url: invalid characters');
  } else {
    dest.set(base64urlToBytes(s));
  }
  if (!LITTLE_ENDIAN) swap32InPlace(dest);
  return target;
}

/** Index of the first value that is NaN or ±Infinity, or -1. */
export function firstNonFinite(values) {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // v - v is NaN exactly for NaN and ±Infinity; avoids a call per element.
    if (v - v !== 0) return i;
  }
  return -1;
}
