// Reading a NumPy .npy file's header in the browser, before anything is sent: the shape and
// dtype it declares, and what the server would refuse (NEP 1 / numpy.lib.format):
//   \x93NUMPY, major, minor, header length (u16 LE for 1.x, u32 LE for 2.x and 3.x),
//   then a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (R, C), }
//   padded with spaces to a multiple of 64 and ended by '\n'; the data follows.
// Only the header is read (file.slice), never the whole file.

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const MAX_HEADER = 1 << 20; // no honest header is near this

const KINDS = { f: 'float', i: 'int', u: 'uint', c: 'complex', b: 'bool', O: 'object', U: 'str', S: 'bytes', V: 'void', M: 'datetime64', m: 'timedelta64' };

/** Element sizes the server accepts, by descr. */
export const ACCEPTED = { '<f4': 4, '<f8': 8 };

/** A readable name for a dtype descr: '<f4' -> 'float32', '<i8' -> 'int64', '>f4' -> 'big-endian float32'. */
export function dtypeName(descr) {
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr || '');
  if (!m) return String(descr);
  const [, order, kind, size] = m;
  const base = KINDS[kind] || kind;
  const bits = size && /^[fiuc]$/.test(kind) ? String(Number(size) * 8) : '';
  return `${order === '>' ? 'big-endian ' : ''}${base}${bits}`;
}

/** "500×300" for [500, 300]; "(10,)" style for anything not 2-D. */
export function shapeText(shape) {
  if (shape.length === 2) return `${shape[0]}×${shape[1]}`;
  return `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
}

class NpyProblem extends Error {}

/**
 * Parses the header bytes (at least the first 12, then the whole header) of a file of
 * `fileSize` bytes. Returns {version, descr, fortranOrder, shape, dataOffset, dataBytes,
 * itemSize, problem}: problem is null when the server would take the file, else a sentence
 * naming the matrix (`name`, "A" or "B").
 */
export function parseHeader(bytes, fileSize, name = 'The file') {
  const info = { version: null, descr: null, fortranOrder: false, shape: null, dataOffset: 0, dataBytes: 0, itemSize: 0, problem: null };
  try {
    parseInto(info, bytes, fileSize, name);
  } catch (e) {
    if (!(e instanceof NpyProblem)) throw e;
    info.problem = e.message;
  }
  return info;
}

/** How many bytes of the file parseHeader needs: 12 first, then this. */
export function headerEnd(bytes) {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[6] === 1) return 10 + view.getUint16(8, true);
  if ((bytes[6] === 2 || bytes[6] === 3) && bytes.length >= 12) return 12 + view.getUint32(8, true);
  return 0;
}

function parseInto(info, bytes, fileSize, name) {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new NpyProblem(`${name} is not a .npy file: it does not start with \\x93NUMPY (save it with numpy.save).`);
  }
  const major = bytes[6];
  const minor = bytes[7];
  info.version = `${major}.${minor}`;
  if (major < 1 || major > 3) {
    throw new NpyProblem(`${name} is .npy format version ${info.version}; versions 1.0 to 3.0 are read.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) throw new NpyProblem(`${name} ends inside its .npy header.`);
  const length = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (length > MAX_HEADER) throw new NpyProblem(`${name} declares a ${length}-byte header; that is not a matrix file.`);
  if (start + length > fileSize || start + length > bytes.length) {
    throw new NpyProblem(`${name} ends inside its .npy header (${length} bytes declared).`);
  }
  const raw = bytes.subarray(start, start + length);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(raw);
  info.dataOffset = start + length;

  const descr = /['"]descr['"]\s*:\s*(['"])(.*?)\1/.exec(text);
  if (!descr) {
    if (/['"]descr['"]\s*:\s*\[/.test(text)) {
      throw new NpyProblem(`${name} holds structured records (a dtype with fields); a matrix of float32 or float64 numbers is needed.`);
    }
    throw new NpyProblem(`${name}'s .npy header has no readable 'descr' (dtype).`);
  }
  info.descr = descr[2];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  if (!fortran) throw new NpyProblem(`${name}'s .npy header has no 'fortran_order'.`);
  info.fortranOrder = fortran[1] === 'True';
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shape) throw new NpyProblem(`${name}'s .npy header has no readable 'shape'.`);
  const dims = shape[1].split(',').map((s) => s.trim().replace(/L$/, '')).filter((s) => s !== '');
  if (!dims.every((d) => /^\d+$/.test(d))) throw new NpyProblem(`${name}'s shape (${shape[1].trim()}) is not a list of whole numbers.`);
  info.shape = dims.map(Number);

  const size = ACCEPTED[info.descr];
  if (!size) {
    const what = dtypeName(info.descr);
    const hint = /^>/.test(info.descr) ? ' Save it little-endian: a.astype("<f4").' : ' Convert it first: a.astype(numpy.float32).';
    throw new NpyProblem(`${name} holds ${what} (${info.descr}) values; only float32 (<f4) and float64 (<f8) are accepted.${hint}`);
  }
  info.itemSize = size;
  if (info.shape.length !== 2) {
    const d = info.shape.length;
    throw new NpyProblem(`${name} has shape ${shapeText(info.shape)}: ${d === 0 ? 'a single number' : `${d}-D`}; a matrix must be 2-D (rows, columns).`);
  }
  if (info.shape[0] === 0 || info.shape[1] === 0) {
    throw new NpyProblem(`${name} is ${shapeText(info.shape)}: a matrix needs at least one row and one column.`);
  }
  info.dataBytes = info.shape[0] * info.shape[1] * size;
  const held = fileSize - info.dataOffset;
  if (held < info.dataBytes) {
    throw new NpyProblem(`${name} is cut short: its header says ${shapeText(info.shape)} ${dtypeName(info.descr)} `
      + `(${info.dataBytes.toLocaleString('en-US')} bytes of data) but the file holds ${held.toLocaleString('en-US')}.`);
  }
  if (held > info.dataBytes) {
    throw new NpyProblem(`${name} has ${(held - info.dataBytes).toLocaleString('en-US')} bytes after the ${shapeText(info.shape)} `
      + `${dtypeName(info.descr)} data its header declares.`);
  }
}

/** Reads a File's header (only its first bytes) and parses it; see parseHeader. */
export async function readHeader(file, name) {
  let bytes = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  const end = headerEnd(bytes);
  if (end > bytes.length && end <= MAX_HEADER + 12) {
    bytes = new Uint8Array(await file.slice(0, end).arrayBuffer());
  }
  return parseHeader(bytes, file.size, name);
}

/** The mismatch sentence, or null when A·B can be formed. */
export function shapeMismatch(a, b) {
  if (a[1] === b[0]) return null;
  return `A is ${shapeText(a)}, B is ${shapeText(b)}: A's ${a[1]} columns must equal B's rows.`;
}
