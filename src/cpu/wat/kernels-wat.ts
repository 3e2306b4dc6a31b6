// WebAssembly text of the CPU kernels, generated per build variant (relaxed SIMD or plain SIMD, shared memory or
// not). scripts/build-wasm.ts assembles it with wabt; nothing here runs at inference time. Layouts: cpu/layouts.ts.
//
// Every product is y[m, 4g .. 4g+3] = W[4g .. 4g+3, :] . x[m, :] over row groups g0..g1-1 of a weight repacked
// four rows interleaved per 32-column block, so one activation load serves four rows and the four per-row sums
// leave through one 4x4 transpose-add.

import { sampleText } from './sample-wat.js';
import { smallOpsText } from './small-ops-wat.js';

export interface KernelVariant {
  /** Use the relaxed dot products for unsigned codes (4-bit, and 0..63 in bytes); else i16 dot products, plain SIMD. */
  readonly relaxed: boolean;
  /** Import a shared memory (threads over one memory when cross-origin isolated). */
  readonly shared: boolean;
}

/** Byte sizes of one (row group, 32-column block) of each layout; cpu/layouts.ts packs exactly these. */
export const BLOCK_BYTES = {
  q4s: 16 + 64, // 4 f32 scales, 4 x 16 B of nibbles (offset is -8 * scale)
  q4o: 16 + 16 + 64, // 4 scales, 4 offsets, nibbles
  i8: 16 + 128, // 4 scales, 4 x 32 signed codes
  u8o: 16 + 16 + 128, // 4 scales, 4 offsets, 4 x 32 unsigned codes 0..63 (one per byte)
  u8g16: 32 + 128, // 2 x 4 scales (one per 16 columns), unsigned codes 0..63 (offset is -32 * scale)
  f32: 4 * 32 * 4, // 8 chunks of [4 rows x 4 columns] f32
} as const;

export type LayoutFormat = keyof typeof BLOCK_BYTES;

const PARAMS =
  '(param $w i32) (param $x i32) (param $xs i32) (param $xsum i32) (param $y i32) (param $K i32) ' +
  '(param $g0 i32) (param $g1 i32) (param $M i32) (param $ystride i32)';

/** 4x4 transpose-add: lanes of the result are the horizontal sums of a, b, c, d (integer or float adds). */
function hsum4(add: string, a: string, b: string, c: string, d: string): string {
  const sh = (p: string, q: string, lanes: string) => `(i8x16.shuffle ${lanes} (local.get ${p}) (local.get ${q}))`;
  // [a0 b0 a1 b1] + [a2 b2 a3 b3] = [a02 b02 a13 b13]; same for c, d; then pair halves.
  const lo = '0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23';
  const hi = '8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31';
  return `(local.set $t0 (${add} ${sh(a, b, lo)} ${sh(a, b, hi)}))
      (local.set $t1 (${add} ${sh(c, d, lo)} ${sh(c, d, hi)}))
      (${add} (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t1))
              (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t1)))`;
}

/** The outer loops shared by every product: groups, activation rows, 32-column blocks. */
function productFunction(name: string, format: LayoutFormat, locals: string, blockBody: string, xRowBytes: string): string {
  const bb = BLOCK_BYTES[format];
  return `
  (func (export "${name}") ${PARAMS}
    (local $g i32) (local $m i32) (local $b i32) (local $nb i32) (local $p i32) (local $xa i32) (local $sp i32) (local $up i32)
    (local $acc v128) (local $t0 v128) (local $t1 v128) (local $s v128) (local $da v128) (local $mask v128)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    (local $e0 v128) (local $e1 v128) (local $e2 v128) (local $e3 v128)
    ${locals}
    (local.set $nb (i32.shr_u (local.get $K) (i32.const 5)))
    (local.set $mask (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))
    (local.set $g (local.get $g0))
    (block $gdone (loop $gl
      (br_if $gdone (i32.ge_u (local.get $g) (local.get $g1)))
      (local.set $m (i32.const 0))
      (block $mdone (loop $ml
        (br_if $mdone (i32.ge_u (local.get $m) (local.get $M)))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $p (i32.add (local.get $w) (i32.mul (local.get $g) (i32.mul (local.get $nb) (i32.const ${bb})))))
        (local.set $xa (i32.add (local.get $x) (i32.mul (local.get $m) ${xRowBytes})))
        (local.set $sp (i32.add (local.get $xs) (i32.shl (i32.mul (local.get $m) (local.get $nb)) (i32.const 2))))
        (local.set $up (i32.add (local.get $xsum) (i32.shl (i32.mul (local.get $m) (local.get $nb)) (i32.const ${format === 'u8g16' ? 3 : 2}))))
        (local.set $b (i32.const 0))
        (block $bdone (loop $bl
          (br_if $bdone (i32.ge_u (local.get $b) (local.get $nb)))
          ${blockBody}
          (local.set $p (i32.add (local.get $p) (i32.const ${bb})))
          (local.set $sp (i32.add (local.get $sp) (i32.const 4)))
          (local.set $up (i32.add (local.get $up) (i32.const ${format === 'u8g16' ? 8 : 4})))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br $bl)))
        (v128.store (i32.add (local.get $y) (i32.shl (i32.add (i32.mul (local.get $m) (local.get $ystride)) (i32.shl (local.get $g) (i32.const 2))) (i32.const 2)))
          (local.get $acc))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $ml)))
      (local.set $g (i32.add (local.get $g) (i32.const 1)))
      (br $gl)))
  )`;
}

const INT_X = '(local.get $K)'; // int8 activations: K bytes per row
const F32_X = '(i32.shl (local.get $K) (i32.const 2))'; // f32 activations: 4K bytes per row

const splatF = (addr: string, offset = 0) => `(v128.load32_splat offset=${offset} ${addr})`;

/**
 * How a layout's offsets enter a block: stored per row ('stored': + offsets * asum), implied by the codes' bias
 * (q4s: value = scale * (code - 8), u8g16: scale * (code - 32): the sum becomes sum - bias * asum) or absent.
 */
type Offsets = 'stored' | { readonly bias: number } | 'none';

/** acc += (sum * da) * scales [+ offsets * asum]   or, with a bias, acc += (sum * da - bias * asum) * scales. */
function intEpilogue(sum: string, scalesOff: number, offsets: Offsets, offsetsOff: number, usumOff: number): string {
  return epilogue(`(f32x4.mul (f32x4.convert_i32x4_s ${sum}) (local.get $da))`, scalesOff, offsets, offsetsOff, usumOff);
}

/** f32-activation epilogue: acc += sum * scales [+ offsets * xsum], with a bias: acc += (sum - bias * xsum) * scales. */
function f32Epilogue(sum: string, scalesOff: number, offsets: Offsets, offsetsOff: number, usumOff: number): string {
  return epilogue(sum, scalesOff, offsets, offsetsOff, usumOff);
}

function epilogue(scaled: string, scalesOff: number, offsets: Offsets, offsetsOff: number, usumOff: number): string {
  const scales = `(v128.load offset=${scalesOff} (local.get $p))`;
  if (typeof offsets === 'object') {
    const bias = `(v128.const f32x4 ${offsets.bias} ${offsets.bias} ${offsets.bias} ${offsets.bias})`;
    return `(local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (f32x4.sub ${scaled} (f32x4.mul ${bias} ${splatF('(local.get $up)', usumOff)})) ${scales})))`;
  }
  let e = `(f32x4.mul ${scaled} ${scales})`;
  if (offsets === 'stored') e = `(f32x4.add ${e} (f32x4.mul (v128.load offset=${offsetsOff} (local.get $p)) ${splatF('(local.get $up)', usumOff)}))`;
  return `(local.set $acc (f32x4.add (local.get $acc) ${e}))`;
}

/**
 * The high nibbles of the code bytes in $c: an i16 shift and the nibble mask equal i8x16.shr_u by 4 bit for bit, and
 * cost two x86 instructions where engines lower the byte shift to several (measured: 4-bit products 1.1-1.2x).
 */
const HIGH_NIBBLES = '(v128.and (i16x8.shr_u (local.get $c) (i32.const 4)) (local.get $mask))';

/** 4-bit codes (q4s / q4o) times int8 activations. */
function q4Int(format: 'q4s' | 'q4o', relaxed: boolean): string {
  const codes = format === 'q4s' ? 16 : 32;
  const offsets: Offsets = format === 'q4s' ? { bias: 8 } : 'stored';
  const rows = [0, 1, 2, 3].map((r) => {
    const load = `(local.set $c (v128.load offset=${codes + 16 * r} (local.get $p)))`;
    const lo = '(v128.and (local.get $c) (local.get $mask))';
    const hi = HIGH_NIBBLES;
    if (relaxed) {
      // Pair sums of 4-bit codes are at most 2 * 15 * 127: the two halves add in i16, then one widening add.
      return `${load}
          (local.set $d${r} (i32x4.extadd_pairwise_i16x8_s (i16x8.add
            (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $a0) ${lo}) (i16x8.relaxed_dot_i8x16_i7x16_s (local.get $a1) ${hi}))))`;
    }
    return `${load}
          (local.set $lo (v128.and (local.get $c) (local.get $mask)))
          (local.set $hi ${HIGH_NIBBLES})
          (local.set $d${r} (i32x4.add
            (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $lo)) (local.get $a0l))
                       (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $lo)) (local.get $a0h)))
            (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_u (local.get $hi)) (local.get $a1l))
                       (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_u (local.get $hi)) (local.get $a1h)))))`;
  });
  const loadA = relaxed
    ? `(local.set $a0 (v128.load (local.get $xa))) (local.set $a1 (v128.load offset=16 (local.get $xa)))`
    : `(local.set $a0 (v128.load (local.get $xa))) (local.set $a1 (v128.load offset=16 (local.get $xa)))
          (local.set $a0l (i16x8.extend_low_i8x16_s (local.get $a0))) (local.set $a0h (i16x8.extend_high_i8x16_s (local.get $a0)))
          (local.set $a1l (i16x8.extend_low_i8x16_s (local.get $a1))) (local.set $a1h (i16x8.extend_high_i8x16_s (local.get $a1)))`;
  const body = `${loadA}
          (local.set $da ${splatF('(local.get $sp)')})
          ${rows.join('\n          ')}
          (local.set $s ${hsum4('i32x4.add', '$d0', '$d1', '$d2', '$d3')})
          ${intEpilogue('(local.get $s)', 0, offsets, 16, 0)}
          (local.set $xa (i32.add (local.get $xa) (i32.const 32)))`;
  const locals = '(local $a0 v128) (local $a1 v128) (local $c v128) (local $lo v128) (local $hi v128) (local $a0l v128) (local $a0h v128) (local $a1l v128) (local $a1h v128)';
  return productFunction(`matvec_${format}_int`, format, locals, body, INT_X);
}

/** Converts 16 unsigned (or signed) bytes in $v to four f32x4 (elements 0-3 .. 12-15) multiplied by x chunks. */
function bytesTimesX(v: string, signed: boolean, xOff: number): string {
  const s = signed ? 's' : 'u';
  const half = (which: 'low' | 'high') => `(i16x8.extend_${which}_i8x16_${s} ${v})`;
  const quarter = (h: string, which: 'low' | 'high', k: number) =>
    `(f32x4.mul (f32x4.convert_i32x4_s (i32x4.extend_${which}_i16x8_${s} ${h})) (v128.load offset=${xOff + 16 * k} (local.get $xa)))`;
  return `(local.set $h0 ${half('low')}) (local.set $h1 ${half('high')})
          (f32x4.add (f32x4.add ${quarter('(local.get $h0)', 'low', 0)} ${quarter('(local.get $h0)', 'high', 1)})
                     (f32x4.add ${quarter('(local.get $h1)', 'low', 2)} ${quarter('(local.get $h1)', 'high', 3)}))`;
}

/** 4-bit codes times f32 activations (the reference mode). */
function q4F32(format: 'q4s' | 'q4o'): string {
  const codes = format === 'q4s' ? 16 : 32;
  const offsets: Offsets = format === 'q4s' ? { bias: 8 } : 'stored';
  const rows = [0, 1, 2, 3].map(
    (r) => `(local.set $c (v128.load offset=${codes + 16 * r} (local.get $p)))
          (local.set $lo (v128.and (local.get $c) (local.get $mask)))
          (local.set $hi ${HIGH_NIBBLES})
          (local.set $d${r} (f32x4.add ${bytesTimesX('(local.get $lo)', false, 0)}
            ${bytesTimesX('(local.get $hi)', false, 64)}))`,
  );
  const body = `${rows.join('\n          ')}
          (local.set $s ${hsum4('f32x4.add', '$d0', '$d1', '$d2', '$d3')})
          ${f32Epilogue('(local.get $s)', 0, offsets, 16, 0)}
          (local.set $xa (i32.add (local.get $xa) (i32.const 128)))`;
  const locals = '(local $c v128) (local $lo v128) (local $hi v128) (local $h0 v128) (local $h1 v128)';
  return productFunction(`matvec_${format}_f32`, format, locals, body, F32_X);
}

type ByteFormat = 'i8' | 'u8o' | 'u8g16';

/** The offsets of a byte layout: i8 none, u8o stored, u8g16 implied by the codes' bias of 32. */
const byteOffsets = (format: ByteFormat): Offsets => (format === 'u8o' ? 'stored' : format === 'u8g16' ? { bias: 32 } : 'none');

/**
 * 8-bit codes (i8 signed, u8o / u8g16 unsigned 0..63) times int8 activations. Plain SIMD: i16 dot products (exact
 * for any int8). Relaxed, unsigned codes: i16x8.relaxed_dot_i8x16_i7x16_s (codes are the 7-bit operand) gives
 * exact pair sums (|a| <= 127, code <= 63: at most 16002); u8o adds the two halves' pair sums in i16 (at most
 * 32004) before widening, so a row's 32 columns cost two i16 dots and one widening add.
 */
function byteInt(format: ByteFormat, relaxed: boolean): string {
  const g16 = format === 'u8g16';
  const codes = format === 'i8' ? 16 : 32;
  const u = format === 'i8' ? 's' : 'u';
  const fast = relaxed && format !== 'i8';
  const rows = [0, 1, 2, 3].map((r) => {
    const loads = `(local.set $c (v128.load offset=${codes + 32 * r} (local.get $p)))
          (local.set $c2 (v128.load offset=${codes + 32 * r + 16} (local.get $p)))`;
    if (fast) {
      const dot = (a: string, c: string) => `(i16x8.relaxed_dot_i8x16_i7x16_s (local.get ${a}) (local.get ${c}))`;
      const widen = (v: string) => `(i32x4.extadd_pairwise_i16x8_s ${v})`;
      return g16
        ? `${loads}
          (local.set $d${r} ${widen(dot('$a0', '$c'))})
          (local.set $e${r} ${widen(dot('$a1', '$c2'))})`
        : `${loads}
          (local.set $d${r} ${widen(`(i16x8.add ${dot('$a0', '$c')} ${dot('$a1', '$c2')})`)})`;
    }
    return `${loads}
          (local.set $d${r} (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_${u} (local.get $c)) (local.get $a0l))
                                       (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_${u} (local.get $c)) (local.get $a0h))))
          (local.set $e${r} (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_${u} (local.get $c2)) (local.get $a1l))
                                       (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_${u} (local.get $c2)) (local.get $a1h))))
          ${g16 ? '' : `(local.set $d${r} (i32x4.add (local.get $d${r}) (local.get $e${r})))`}`;
  });
  const offsets = byteOffsets(format);
  const epilogue = g16
    ? `(local.set $s ${hsum4('i32x4.add', '$d0', '$d1', '$d2', '$d3')})
          ${intEpilogue('(local.get $s)', 0, offsets, 0, 0)}
          (local.set $s ${hsum4('i32x4.add', '$e0', '$e1', '$e2', '$e3')})
          ${intEpilogue('(local.get $s)', 16, offsets, 0, 4)}`
    : `(local.set $s ${hsum4('i32x4.add', '$d0', '$d1', '$d2', '$d3')})
          ${intEpilogue('(local.get $s)', 0, offsets, 16, 0)}`;
  const loadA = fast
    ? `(local.set $a0 (v128.load (local.get $xa))) (local.set $a1 (v128.load offset=16 (local.get $xa)))`
    : `(local.set $a0 (v128.load (local.get $xa))) (local.set $a1 (v128.load offset=16 (local.get $xa)))
          (local.set $a0l (i16x8.extend_low_i8x16_s (local.get $a0))) (local.set $a0h (i16x8.extend_high_i8x16_s (local.get $a0)))
          (local.set $a1l (i16x8.extend_low_i8x16_s (local.get $a1))) (local.set $a1h (i16x8.extend_high_i8x16_s (local.get $a1)))`;
  const body = `${loadA}
          (local.set $da ${splatF('(local.get $sp)')})
          ${rows.join('\n          ')}
          ${epilogue}
          (local.set $xa (i32.add (local.get $xa) (i32.const 32)))`;
  const locals = '(local $a0 v128) (local $a1 v128) (local $c v128) (local $c2 v128) (local $a0l v128) (local $a0h v128) (local $a1l v128) (local $a1h v128)';
  return productFunction(`matvec_${format}_int`, format, locals, body, INT_X);
}

/** 8-bit codes (signed or unsigned) times f32 activations. */
function byteF32(format: ByteFormat): string {
  const g16 = format === 'u8g16';
  const codes = format === 'i8' ? 16 : 32;
  const signed = format === 'i8';
  const rows = [0, 1, 2, 3].map(
    (r) => `(local.set $c (v128.load offset=${codes + 32 * r} (local.get $p)))
          (local.set $c2 (v128.load offset=${codes + 32 * r + 16} (local.get $p)))
          (local.set $d${r} ${bytesTimesX('(local.get $c)', signed, 0)})
          (local.set $e${r} ${bytesTimesX('(local.get $c2)', signed, 64)})
          ${g16 ? '' : `(local.set $d${r} (f32x4.add (local.get $d${r}) (local.get $e${r})))`}`,
  );
  const offsets = byteOffsets(format);
  const epilogue = g16
    ? `(local.set $s ${hsum4('f32x4.add', '$d0', '$d1', '$d2', '$d3')})
          ${f32Epilogue('(local.get $s)', 0, offsets, 0, 0)}
          (local.set $s ${hsum4('f32x4.add', '$e0', '$e1', '$e2', '$e3')})
          ${f32Epilogue('(local.get $s)', 16, offsets, 0, 4)}`
    : `(local.set $s ${hsum4('f32x4.add', '$d0', '$d1', '$d2', '$d3')})
          ${f32Epilogue('(local.get $s)', 0, offsets, 16, 0)}`;
  const body = `${rows.join('\n          ')}
          ${epilogue}
          (local.set $xa (i32.add (local.get $xa) (i32.const 128)))`;
  const locals = '(local $c v128) (local $c2 v128) (local $h0 v128) (local $h1 v128)';
  return productFunction(`matvec_${format}_f32`, format, locals, body, F32_X);
}

/** f32 weights times f32 activations (both modes): 8 chunks of [4 rows x 4 columns] per block. */
function f32Product(): string {
  const chunks = [0, 1, 2, 3, 4, 5, 6, 7]
    .map((k) =>
      [0, 1, 2, 3]
        .map(
          (r) =>
            `(local.set $d${r} (f32x4.add (local.get $d${r}) (f32x4.mul (v128.load offset=${64 * k + 16 * r} (local.get $p)) (local.get $xv))))`,
        )
        .join(' '),
    )
    .map((rowsOps, k) => `(local.set $xv (v128.load offset=${16 * k} (local.get $xa))) ${rowsOps}`);
  const body = `(local.set $d0 (v128.const i32x4 0 0 0 0)) (local.set $d1 (v128.const i32x4 0 0 0 0))
          (local.set $d2 (v128.const i32x4 0 0 0 0)) (local.set $d3 (v128.const i32x4 0 0 0 0))
          ${chunks.join('\n          ')}
          (local.set $acc (f32x4.add (local.get $acc) ${hsum4('f32x4.add', '$d0', '$d1', '$d2', '$d3')}))
          (local.set $xa (i32.add (local.get $xa) (i32.const 128)))`;
  return productFunction('matvec_f32_f32', 'f32', '(local $xv v128)', body, F32_X);
}

/**
 * quantize_rows(x, M, K, xq, xs, xsum16, xsum32): per 32 values, d = amax / 127, q = nearest(x * (127 / amax))
 * (0 when amax = 0), xs = d, xsum16 = d * sum of q over each 16, xsum32 = d * sum over 32.
 */
function quantizeRows(): string {
  const loads = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => `(local.set $v${k} (v128.load offset=${16 * k} (local.get $px)))`).join(' ');
  const amax = [1, 2, 3, 4, 5, 6, 7].reduce((e, k) => `(f32x4.max ${e} (f32x4.abs (local.get $v${k})))`, '(f32x4.abs (local.get $v0))');
  const q = (k: number) => `(i32x4.trunc_sat_f32x4_s (f32x4.nearest (f32x4.mul (local.get $v${k}) (local.get $inv))))`;
  const qs = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => `(local.set $q${k} ${q(k)})`).join(' ');
  const lane = (v: string, i: number) => `(i32x4.extract_lane ${i} ${v})`;
  const hs = (v: string) => `(i32.add (i32.add ${lane(v, 0)} ${lane(v, 1)}) (i32.add ${lane(v, 2)} ${lane(v, 3)}))`;
  const locals = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => `(local $v${k} v128) (local $q${k} v128)`).join(' ');
  return `
  (func (export "quantize_rows") (param $x i32) (param $M i32) (param $K i32) (param $xq i32) (param $xs i32) (param $xsum16 i32) (param $xsum32 i32)
    (local $n i32) (local $i i32) (local $px i32) (local $pq i32) (local $ps i32) (local $p16 i32) (local $p32 i32)
    (local $t v128) (local $inv v128) (local $am f32) (local $d f32) (local $sa i32) (local $sb i32) ${locals}
    (local.set $n (i32.mul (local.get $M) (i32.shr_u (local.get $K) (i32.const 5))))
    (local.set $px (local.get $x)) (local.set $pq (local.get $xq)) (local.set $ps (local.get $xs))
    (local.set $p16 (local.get $xsum16)) (local.set $p32 (local.get $xsum32))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      ${loads}
      (local.set $t ${amax})
      (local.set $t (f32x4.max (local.get $t) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $t) (local.get $t))))
      (local.set $t (f32x4.max (local.get $t) (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $t) (local.get $t))))
      (local.set $am (f32x4.extract_lane 0 (local.get $t)))
      (local.set $d (f32.div (local.get $am) (f32.const 127)))
      (local.set $inv (f32x4.splat (select (f32.div (f32.const 127) (local.get $am)) (f32.const 0) (f32.gt (local.get $am) (f32.const 0)))))
      ${qs}
      (v128.store (local.get $pq) (i8x16.narrow_i16x8_s (i16x8.narrow_i32x4_s (local.get $q0) (local.get $q1)) (i16x8.narrow_i32x4_s (local.get $q2) (local.get $q3))))
      (v128.store offset=16 (local.get $pq) (i8x16.narrow_i16x8_s (i16x8.narrow_i32x4_s (local.get $q4) (local.get $q5)) (i16x8.narrow_i32x4_s (local.get $q6) (local.get $q7))))
      (local.set $sa ${hs('(i32x4.add (i32x4.add (local.get $q0) (local.get $q1)) (i32x4.add (local.get $q2) (local.get $q3)))')})
      (local.set $sb ${hs('(i32x4.add (i32x4.add (local.get $q4) (local.get $q5)) (i32x4.add (local.get $q6) (local.get $q7)))')})
      (f32.store (local.get $ps) (local.get $d))
      (f32.store (local.get $p16) (f32.mul (local.get $d) (f32.convert_i32_s (local.get $sa))))
      (f32.store offset=4 (local.get $p16) (f32.mul (local.get $d) (f32.convert_i32_s (local.get $sb))))
      (f32.store (local.get $p32) (f32.mul (local.get $d) (f32.convert_i32_s (i32.add (local.get $sa) (local.get $sb)))))
      (local.set $px (i32.add (local.get $px) (i32.const 128))) (local.set $pq (i32.add (local.get $pq) (i32.const 32)))
      (local.set $ps (i32.add (local.get $ps) (i32.const 4))) (local.set $p16 (i32.add (local.get $p16) (i32.const 8)))
      (local.set $p32 (i32.add (local.get $p32) (i32.const 4)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
  )`;
}

/** sums_rows(x, M, K, xsum16, xsum32): f32 sums of each 16 and each 32 values (for offsets in the f32 mode). */
function sumRows(): string {
  const add4 = (o: number) =>
    `(f32x4.add (f32x4.add (v128.load offset=${o} (local.get $px)) (v128.load offset=${o + 16} (local.get $px))) (f32x4.add (v128.load offset=${o + 32} (local.get $px)) (v128.load offset=${o + 48} (local.get $px))))`;
  const hs = (v: string) =>
    `(f32.add (f32.add (f32x4.extract_lane 0 ${v}) (f32x4.extract_lane 1 ${v})) (f32.add (f32x4.extract_lane 2 ${v}) (f32x4.extract_lane 3 ${v})))`;
  return `
  (func (export "sum_rows") (param $x i32) (param $M i32) (param $K i32) (param $xsum16 i32) (param $xsum32 i32)
    (local $n i32) (local $i i32) (local $px i32) (local $p16 i32) (local $p32 i32) (local $a v128) (local $sa f32) (local $sb f32)
    (local.set $n (i32.mul (local.get $M) (i32.shr_u (local.get $K) (i32.const 5))))
    (local.set $px (local.get $x)) (local.set $p16 (local.get $xsum16)) (local.set $p32 (local.get $xsum32))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $a ${add4(0)}) (local.set $sa ${hs('(local.get $a)')})
      (local.set $a ${add4(64)}) (local.set $sb ${hs('(local.get $a)')})
      (f32.store (local.get $p16) (local.get $sa)) (f32.store offset=4 (local.get $p16) (local.get $sb))
      (f32.store (local.get $p32) (f32.add (local.get $sa) (local.get $sb)))
      (local.set $px (i32.add (local.get $px) (i32.const 128))) (local.set $p16 (i32.add (local.get $p16) (i32.const 8)))
      (local.set $p32 (i32.add (local.get $p32) (i32.const 4)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
  )`;
}

/** stream_read(ptr, bytes, lanes): i32x4 sum of `bytes` (a multiple of 64): the benchmarks' wasm roofline. */
function streamRead(): string {
  const ld = (o: number) => `(v128.load offset=${o} (local.get $p))`;
  return `
  (func (export "stream_read") (param $p i32) (param $bytes i32) (result i32)
    (local $end i32) (local $a v128) (local $b v128)
    (local.set $end (i32.add (local.get $p) (local.get $bytes)))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $a (i32x4.add (local.get $a) (i32x4.add ${ld(0)} ${ld(16)})))
      (local.set $b (i32x4.add (local.get $b) (i32x4.add ${ld(32)} ${ld(48)})))
      (local.set $p (i32.add (local.get $p) (i32.const 64)))
      (br $l)))
    (i32x4.extract_lane 0 (i32x4.add (local.get $a) (local.get $b)))
  )`;
}

/** The whole module text for one variant. */
export function kernelModuleText(variant: KernelVariant): string {
  const memory = variant.shared ? '(memory 1 65536 shared)' : '(memory 1 65536)';
  return `(module
  (import "env" "memory" ${memory})
  ${q4Int('q4s', variant.relaxed)}
  ${q4Int('q4o', variant.relaxed)}
  ${q4F32('q4s')}
  ${q4F32('q4o')}
  ${byteInt('i8', variant.relaxed)}
  ${byteInt('u8o', variant.relaxed)}
  ${byteInt('u8g16', variant.relaxed)}
  ${byteF32('i8')}
  ${byteF32('u8o')}
  ${byteF32('u8g16')}
  ${f32Product()}
  ${quantizeRows()}
  ${sumRows()}
  ${streamRead()}
  ${smallOpsText()}
  ${sampleText()}
)`;
}

/** A module using one relaxed-SIMD instruction: WebAssembly.validate on it is the feature test. */
export const RELAXED_PROBE_TEXT = `(module (func (result v128)
  (i32x4.relaxed_dot_i8x16_i7x16_add_s (v128.const i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0) (v128.const i32x4 0 0 0 0))))`;
