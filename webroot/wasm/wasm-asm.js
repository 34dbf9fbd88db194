// A tiny WebAssembly assembler: flat WAT text (one instruction per line) in,
// module bytes out. Written for this project (no third-party code), for the
// few instructions the matmul kernel uses; anything else is an error, so
// nothing unseen can slip into the module. Spec: the WebAssembly core binary
// format 2.0 and the fixed-width SIMD and relaxed-SIMD proposals' opcodes.
//
//   assemble({
//     memory: { module: 'env', name: 'memory' },          // one imported memory
//     funcs: [{ name: 'gemm', export: true,
//               params: ['$M', ...], results: [],         // all i32
//               locals: { i32: ['$x', ...], v128: ['$acc', ...] },
//               body: `...flat WAT...` }],
//   }) -> Uint8Array
//
// Body syntax: instructions with their immediates, separated by white space;
// `;;` starts a comment to the end of the line. Labels
// (`block $l`, `loop $l`, `br $l`, `br_if $l`) and locals are named with `$`.
// Memory instructions take `offset=N` and `align=N` (bytes, as in WAT).

const TYPE = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

// Plain opcodes (no immediates).
const PLAIN = {
  'unreachable': [0x00], 'nop': [0x01], 'return': [0x0f], 'drop': [0x1a], 'select': [0x1b],
  'i32.eqz': [0x45], 'i32.eq': [0x46], 'i32.ne': [0x47], 'i32.lt_s': [0x48], 'i32.lt_u': [0x49],
  'i32.gt_s': [0x4a], 'i32.gt_u': [0x4b], 'i32.le_s': [0x4c], 'i32.le_u': [0x4d], 'i32.ge_s': [0x4e], 'i32.ge_u': [0x4f],
  'i32.add': [0x6a], 'i32.sub': [0x6b], 'i32.mul': [0x6c], 'i32.and': [0x71], 'i32.or': [0x72],
  'i32.shl': [0x74], 'i32.shr_u': [0x76],
  'f32.add': [0x92], 'f32.mul': [0x94],
  // SIMD (prefix 0xfd, then the opcode as unsigned LEB128)
  'f32x4.splat': simd(0x13), 'f32x4.add': simd(0xe4), 'f32x4.sub': simd(0xe5), 'f32x4.mul': simd(0xe6),
  'f32x4.relaxed_madd': simd(0x105),
};

// Memory instructions: opcode bytes and natural alignment (log2 bytes).
const MEMORY = {
  'f32.load': [[0x2a], 2], 'f32.store': [[0x38], 2], 'i32.load': [[0x28], 2], 'i32.store': [[0x36], 2],
  'v128.load': [simd(0x00), 4], 'v128.store': [simd(0x0b), 4], 'v128.load32_splat': [simd(0x09), 2],
};

function simd(op) {
  return [0xfd, ...uleb(op)];
}

export function uleb(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n) {
  const out = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function name(text) {
  const bytes = new TextEncoder().encode(text);
  return [...uleb(bytes.length), ...bytes];
}

function vec(items) {
  return [...uleb(items.length), ...items.flat()];
}

function section(id, payload) {
  return [id, ...uleb(payload.length), ...payload];
}

function int(text, where) {
  if (!/^-?(0x[0-9a-f]+|[0-9]+)$/i.test(text)) throw new Error(`${where}: not an integer: ${text}`);
  return Number(text);
}

/** Assembles one function body (flat WAT) to its code bytes. */
function assembleBody(fn) {
  const locals = new Map();
  fn.params.forEach((p) => locals.set(p, locals.size));
  const groups = [];
  for (const [type, names] of Object.entries(fn.locals || {})) {
    if (!(type in TYPE)) throw new Error(`${fn.name}: unknown local type ${type}`);
    names.forEach((n) => {
      if (locals.has(n)) throw new Error(`${fn.name}: local ${n} declared twice`);
      locals.set(n, locals.size);
    });
    if (names.length) groups.push([...uleb(names.length), TYPE[type]]);
  }
  const code = [];
  const labels = []; // innermost last; null for an unnamed block/if
  // Tokens, line by line (for messages); an instruction takes the immediates it needs.
  const tokens = [];
  fn.body.split('\n').forEach((raw, i) => {
    for (const t of raw.replace(/;;.*$/, '').trim().split(/\s+/)) if (t) tokens.push({ t, line: i + 1 });
  });
  let at = 0;
  while (at < tokens.length) {
    const { t: op, line } = tokens[at++];
    const where = `${fn.name}:${line} ${op}`;
    const next = () => {
      if (at >= tokens.length) throw new Error(`${where}: immediate missing`);
      return tokens[at++].t;
    };
    const localIndex = (n) => {
      if (!locals.has(n)) throw new Error(`${where}: unknown local ${n}`);
      return locals.get(n);
    };
    const depth = (l) => {
      const i = labels.lastIndexOf(l);
      if (i < 0) throw new Error(`${where}: unknown label ${l}`);
      return labels.length - 1 - i;
    };
    if (op in PLAIN) {
      code.push(...PLAIN[op]);
    } else if (op in MEMORY) {
      const [bytes, natural] = MEMORY[op];
      let offset = 0;
      let align = natural;
      while (at < tokens.length && /^(offset|align)=/.test(tokens[at].t)) {
        const m = /^(offset|align)=(\d+)$/.exec(next());
        if (!m) throw new Error(`${where}: bad memory argument`);
        if (m[1] === 'offset') offset = Number(m[2]);
        else {
          align = Math.log2(Number(m[2]));
          if (!Number.isInteger(align) || align > natural) throw new Error(`${where}: bad alignment`);
        }
      }
      code.push(...bytes, ...uleb(align), ...uleb(offset));
    } else {
      switch (op) {
        case 'block': case 'loop': case 'if': {
          code.push({ block: 0x02, loop: 0x03, if: 0x04 }[op], 0x40); // empty block type
          const label = at < tokens.length && tokens[at].t.startsWith('$') ? next() : null;
          labels.push(label);
          break;
        }
        case 'else':
          code.push(0x05);
          break;
        case 'end':
          if (!labels.length) throw new Error(`${where}: end without a block`);
          labels.pop();
          code.push(0x0b);
          break;
        case 'br': code.push(0x0c, ...uleb(depth(next()))); break;
        case 'br_if': code.push(0x0d, ...uleb(depth(next()))); break;
        case 'local.get': code.push(0x20, ...uleb(localIndex(next()))); break;
        case 'local.set': code.push(0x21, ...uleb(localIndex(next()))); break;
        case 'local.tee': code.push(0x22, ...uleb(localIndex(next()))); break;
        case 'i32.const': code.push(0x41, ...sleb(int(next(), where) | 0)); break;
        case 'v128.const': {
          // only the form `v128.const i32x4 a b c d`
          if (next() !== 'i32x4') throw new Error(`${where}: use v128.const i32x4 a b c d`);
          const lanes = [next(), next(), next(), next()].map((x) => int(x, where));
          code.push(...simd(0x0c), ...new Uint8Array(new Int32Array(lanes).buffer));
          break;
        }
        default:
          throw new Error(`${where}: unknown instruction`);
      }
    }
  }
  if (labels.length) throw new Error(`${fn.name}: ${labels.length} block(s) not closed`);
  const body = [...vec(groups), ...code, 0x0b];
  return [...uleb(body.length), ...body];
}

/** The module's bytes. */
export function assemble({ memory, funcs }) {
  const types = funcs.map((f) => [0x60, ...vec(f.params.map(() => [TYPE.i32])), ...vec((f.results || []).map((t) => [TYPE[t]]))]);
  const imports = memory ? [[...name(memory.module), ...name(memory.name), 0x02, 0x00, ...uleb(memory.minPages || 1)]] : [];
  const exports = funcs.map((f, i) => (f.export ? [...name(f.name), 0x00, ...uleb(i)] : null)).filter(Boolean);
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...(imports.length ? section(2, vec(imports)) : []),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...(exports.length ? section(7, vec(exports)) : []),
    ...section(10, vec(funcs.map(assembleBody))),
  ];
  return new Uint8Array(bytes);
}
