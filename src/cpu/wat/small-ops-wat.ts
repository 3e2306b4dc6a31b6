// WebAssembly text of the CPU forward's small per-row operations (spec gemma4-architecture.md §2-3): RMSNorm
// (weighted, weightless, fused residual add), half-split RoPE from a cos/sin table, attention over the KV cache,
// GeGLU / gelu, softcap and a scale. They join the product kernels in one module (kernels-wat.ts), so the helper
// threads can run attention heads too. References: src/reference/math.ts, attention.ts (tests: small-ops.test.ts).
//
// exp and tanh are polynomials (wasm has neither). exp: x = n ln2 + r with n = nearest(x log2 e), ln2 split in two
// so n ln2 is exact, a degree-6 polynomial for e^r on |r| <= ln2/2 and 2^n through the exponent bits, x clamped to
// [-87, 88] so 2^n stays a normal float (exp(-87) ~ 1.6e-38 stands in for anything smaller). tanh: an odd
// polynomial below |u| = 0.625 (no cancellation near 0), 1 - 2 / (e^{2|u|} + 1) above, the sign copied back.
// gelu needs no tanh: 0.5 (1 + tanh v) = 1 / (1 + e^{-2v}) exactly, so gelu(x) = x / (1 + e^{-2v}) keeps its
// relative accuracy where 1 + tanh v would cancel (large negative x). The polynomial coefficients are the classic
// single-precision minimax fits (Cephes expf / tanhf). Measured errors and the derived tolerances:
// small-ops.test.ts (EXP_REL_ERROR, TANH_REL_ERROR below are the bounds the tests hold the kernels to).

/** Bound on |exp_wasm(x) / e^x - 1| over the clamp range (a few f32 ulps; the tests measure it on a dense grid). */
export const EXP_REL_ERROR = 2e-7;
/** Bound on |tanh_wasm(u) - tanh u| / |tanh u| for every finite u (a few f32 ulps). */
export const TANH_REL_ERROR = 3e-7;

const lit = (v: number) => (v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v));
const f4 = (v: number) => `(v128.const f32x4 ${lit(v)} ${lit(v)} ${lit(v)} ${lit(v)})`;
const get = (n: string) => `(local.get ${n})`;

/** Locals the exp / tanh / gelu expansions use; every function that expands one declares these. */
const MATH_LOCALS = '(local $e_x v128) (local $e_n v128) (local $e_p v128) (local $t_a v128) (local $t_s v128)';

/** Statements: dst = exp(src) lane-wise (src is any v128 expression, evaluated once). */
function expInto(dst: string, src: string): string {
  const poly = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
  const horner = poly
    .slice(1)
    .map((c) => `(local.set $e_p (f32x4.add (f32x4.mul ${get('$e_p')} ${get('$e_x')}) ${f4(c)}))`)
    .join('\n      ');
  return `(local.set $e_x (f32x4.max (f32x4.min ${src} ${f4(88)}) ${f4(-87)}))
      (local.set $e_n (f32x4.nearest (f32x4.mul ${get('$e_x')} ${f4(Math.LOG2E)})))
      (local.set $e_x (f32x4.sub (f32x4.sub ${get('$e_x')} (f32x4.mul ${get('$e_n')} ${f4(0.693359375)})) (f32x4.mul ${get('$e_n')} ${f4(-2.12194440e-4)})))
      (local.set $e_p ${f4(poly[0])})
      ${horner}
      (local.set $e_p (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul ${get('$e_p')} ${get('$e_x')}) ${get('$e_x')}) ${get('$e_x')}) ${f4(1)}))
      (local.set ${dst} (f32x4.mul ${get('$e_p')}
        (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s ${get('$e_n')}) (v128.const i32x4 127 127 127 127)) (i32.const 23))))`;
}

/** Statements: dst = tanh(src) lane-wise (NaN stays NaN, +-inf give +-1). */
function tanhInto(dst: string, src: string): string {
  const poly = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];
  // $t_s = |u| < 0.625 ? small : big; then the sign of u.
  const horner = poly
    .slice(1)
    .map((c) => `(local.set $t_s (f32x4.add (f32x4.mul ${get('$t_s')} ${get('$e_n')}) ${f4(c)}))`)
    .join('\n      ');
  return `(local.set ${dst} ${src})
      (local.set $t_a (f32x4.abs ${get(dst)}))
      ${expInto('$e_p', `(f32x4.add ${get('$t_a')} ${get('$t_a')})`)}
      (local.set $e_p (f32x4.sub ${f4(1)} (f32x4.div ${f4(2)} (f32x4.add ${get('$e_p')} ${f4(1)}))))
      (local.set $e_n (f32x4.mul ${get('$t_a')} ${get('$t_a')}))
      (local.set $t_s ${f4(poly[0])})
      ${horner}
      (local.set $t_s (f32x4.add (f32x4.mul (f32x4.mul ${get('$t_s')} ${get('$e_n')}) ${get('$t_a')}) ${get('$t_a')}))
      (local.set $t_s (v128.bitselect ${get('$t_s')} ${get('$e_p')} (f32x4.lt ${get('$t_a')} ${f4(0.625)})))
      (local.set ${dst} (v128.or ${get('$t_s')} (v128.and ${get(dst)} (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))`;
}

/** Statements: dst = gelu_tanh(src) = x / (1 + exp(-2 sqrt(2/pi) (x + 0.044715 x^3))). */
function geluInto(dst: string, src: string): string {
  const k = -2 * Math.sqrt(2 / Math.PI);
  return `(local.set $t_a ${src})
      ${expInto('$t_s', `(f32x4.mul ${get('$t_a')} (f32x4.add ${f4(k)} (f32x4.mul ${f4(k * 0.044715)} (f32x4.mul ${get('$t_a')} ${get('$t_a')}))))`)}
      (local.set ${dst} (f32x4.div ${get('$t_a')} (f32x4.add ${f4(1)} ${get('$t_s')})))`;
}

/**
 * An element-wise loop over n values: 4 at a time, then the tail one lane at a time (load32_zero / store of lane
 * 0). `body(v)` gets the loads of each named pointer (byte offsets advance by 4 per element) and returns
 * statements ending in `(local.set $out ...)`; the result is stored at `store`.
 */
function elementwise(ptrs: string[], store: string, body: (load: (p: string) => string) => string): string {
  const vec = body((p) => `(v128.load ${get(p)})`);
  const one = body((p) => `(v128.load32_zero ${get(p)})`);
  const step = (by: number) => ptrs.map((p) => `(local.set ${p} (i32.add ${get(p)} (i32.const ${by})))`).join(' ');
  return `(local.set $i (i32.const 0))
    (block $vd (loop $vl
      (br_if $vd (i32.gt_s (i32.add ${get('$i')} (i32.const 4)) ${get('$n')}))
      ${vec}
      (v128.store ${get(store)} ${get('$out')})
      ${step(16)}
      (local.set $i (i32.add ${get('$i')} (i32.const 4)))
      (br $vl)))
    (block $td (loop $tl
      (br_if $td (i32.ge_s ${get('$i')} ${get('$n')}))
      ${one}
      (f32.store ${get(store)} (f32x4.extract_lane 0 ${get('$out')}))
      ${step(4)}
      (local.set $i (i32.add ${get('$i')} (i32.const 1)))
      (br $tl)))`;
}

/** Statements: $inv = splat(1 / sqrt(mean(row^2) + eps)) for the row at $ps ($n values), summed in f64. */
function rmsInverse(): string {
  const sq = (v: string) => `(f64x2.mul ${v} ${v})`;
  return `(local.set $a0 (v128.const i64x2 0 0)) (local.set $a1 (v128.const i64x2 0 0))
    (local.set $p (local.get $ps)) (local.set $i (i32.const 0))
    (block $sd (loop $sl
      (br_if $sd (i32.gt_s (i32.add ${get('$i')} (i32.const 4)) ${get('$n')}))
      (local.set $v (v128.load ${get('$p')}))
      (local.set $a0 (f64x2.add ${get('$a0')} ${sq(`(f64x2.promote_low_f32x4 ${get('$v')})`)}))
      (local.set $a1 (f64x2.add ${get('$a1')} ${sq(`(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${get('$v')} ${get('$v')}))`)}))
      (local.set $p (i32.add ${get('$p')} (i32.const 16)))
      (local.set $i (i32.add ${get('$i')} (i32.const 4)))
      (br $sl)))
    (local.set $a0 (f64x2.add ${get('$a0')} ${get('$a1')}))
    (local.set $ss (f64.add (f64x2.extract_lane 0 ${get('$a0')}) (f64x2.extract_lane 1 ${get('$a0')})))
    (block $td (loop $tl
      (br_if $td (i32.ge_s ${get('$i')} ${get('$n')}))
      (local.set $sq (f64.promote_f32 (f32.load ${get('$p')})))
      (local.set $ss (f64.add ${get('$ss')} (f64.mul ${get('$sq')} ${get('$sq')})))
      (local.set $p (i32.add ${get('$p')} (i32.const 4)))
      (local.set $i (i32.add ${get('$i')} (i32.const 1)))
      (br $tl)))
    (local.set $inv (f32x4.splat (f32.demote_f64 (f64.div (f64.const 1)
      (f64.sqrt (f64.add (f64.div ${get('$ss')} (f64.convert_i32_s ${get('$n')})) ${get('$eps')}))))))`;
}

const NORM_LOCALS =
  '(local $r i32) (local $i i32) (local $p i32) (local $ps i32) (local $pd i32) (local $pw i32) (local $rowb i32) ' +
  '(local $a0 v128) (local $a1 v128) (local $v v128) (local $inv v128) (local $out v128) (local $ss f64) (local $sq f64)';

/** rms_norm_rows(dst, src, rows, n, w, eps): dst row = src row * rms^-1 (* w when w != 0); dst may equal src. */
function rmsNormRows(): string {
  const weighted = elementwise(['$ps', '$pd', '$pw'], '$pd', (ld) => `(local.set $out (f32x4.mul (f32x4.mul ${ld('$ps')} ${get('$inv')}) ${ld('$pw')}))`);
  const plain = elementwise(['$ps', '$pd'], '$pd', (ld) => `(local.set $out (f32x4.mul ${ld('$ps')} ${get('$inv')}))`);
  return `
  (func (export "rms_norm_rows") (param $dst i32) (param $src i32) (param $rows i32) (param $n i32) (param $w i32) (param $eps f64)
    ${NORM_LOCALS}
    (local.set $rowb (i32.shl ${get('$n')} (i32.const 2)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u ${get('$r')} ${get('$rows')}))
      (local.set $ps (i32.add ${get('$src')} (i32.mul ${get('$r')} ${get('$rowb')})))
      ${rmsInverse()}
      (local.set $ps (i32.add ${get('$src')} (i32.mul ${get('$r')} ${get('$rowb')})))
      (local.set $pd (i32.add ${get('$dst')} (i32.mul ${get('$r')} ${get('$rowb')})))
      (local.set $pw ${get('$w')})
      (if ${get('$w')} (then ${weighted}) (else ${plain}))
      (local.set $r (i32.add ${get('$r')} (i32.const 1)))
      (br $rl)))
  )`;
}

/** add_rms_norm_rows(x, y, rows, n, w, eps, scale): x row = (x row + y row * rms(y)^-1 * w) * scale. */
function addRmsNormRows(): string {
  const body = elementwise(['$ps', '$pd', '$pw'], '$pd', (ld) =>
    `(local.set $out (f32x4.mul (f32x4.add ${ld('$pd')} (f32x4.mul (f32x4.mul ${ld('$ps')} ${get('$inv')}) ${ld('$pw')})) ${get('$sc')}))`,
  );
  return `
  (func (export "add_rms_norm_rows") (param $x i32) (param $y i32) (param $rows i32) (param $n i32) (param $w i32) (param $eps f64) (param $scale f32)
    ${NORM_LOCALS} (local $sc v128)
    (local.set $sc (f32x4.splat ${get('$scale')}))
    (local.set $rowb (i32.shl ${get('$n')} (i32.const 2)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u ${get('$r')} ${get('$rows')}))
      (local.set $ps (i32.add ${get('$y')} (i32.mul ${get('$r')} ${get('$rowb')})))
      ${rmsInverse()}
      (local.set $ps (i32.add ${get('$y')} (i32.mul ${get('$r')} ${get('$rowb')})))
      (local.set $pd (i32.add ${get('$x')} (i32.mul ${get('$r')} ${get('$rowb')})))
      (local.set $pw ${get('$w')})
      ${body}
      (local.set $r (i32.add ${get('$r')} (i32.const 1)))
      (br $rl)))
  )`;
}

/**
 * rope_rows(x, rows, heads, hd, cos, sin): half-split RoPE of every head of every row of x ([rows, heads * hd]);
 * cos / sin are [rows, hd / 2] tables (the caller fills them per position; hd a multiple of 8).
 */
function ropeRows(): string {
  return `
  (func (export "rope_rows") (param $x i32) (param $rows i32) (param $heads i32) (param $hd i32) (param $cos i32) (param $sin i32)
    (local $r i32) (local $h i32) (local $j i32) (local $half i32) (local $pa i32) (local $pb i32) (local $pc i32) (local $psn i32)
    (local $a v128) (local $b v128) (local $c v128) (local $s v128)
    (local.set $half (i32.shr_u ${get('$hd')} (i32.const 1)))
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u ${get('$r')} ${get('$rows')}))
      (local.set $h (i32.const 0))
      (block $hd_ (loop $hl
        (br_if $hd_ (i32.ge_u ${get('$h')} ${get('$heads')}))
        (local.set $pa (i32.add ${get('$x')} (i32.shl (i32.mul (i32.add (i32.mul ${get('$r')} ${get('$heads')}) ${get('$h')}) ${get('$hd')}) (i32.const 2))))
        (local.set $pb (i32.add ${get('$pa')} (i32.shl ${get('$half')} (i32.const 2))))
        (local.set $pc (i32.add ${get('$cos')} (i32.shl (i32.mul ${get('$r')} ${get('$half')}) (i32.const 2))))
        (local.set $psn (i32.add ${get('$sin')} (i32.shl (i32.mul ${get('$r')} ${get('$half')}) (i32.const 2))))
        (local.set $j (i32.const 0))
        (block $jd (loop $jl
          (br_if $jd (i32.ge_u ${get('$j')} ${get('$half')}))
          (local.set $a (v128.load ${get('$pa')})) (local.set $b (v128.load ${get('$pb')}))
          (local.set $c (v128.load ${get('$pc')})) (local.set $s (v128.load ${get('$psn')}))
          (v128.store ${get('$pa')} (f32x4.sub (f32x4.mul ${get('$a')} ${get('$c')}) (f32x4.mul ${get('$b')} ${get('$s')})))
          (v128.store ${get('$pb')} (f32x4.add (f32x4.mul ${get('$b')} ${get('$c')}) (f32x4.mul ${get('$a')} ${get('$s')})))
          (local.set $pa (i32.add ${get('$pa')} (i32.const 16))) (local.set $pb (i32.add ${get('$pb')} (i32.const 16)))
          (local.set $pc (i32.add ${get('$pc')} (i32.const 16))) (local.set $psn (i32.add ${get('$psn')} (i32.const 16)))
          (local.set $j (i32.add ${get('$j')} (i32.const 4)))
          (br $jl)))
        (local.set $h (i32.add ${get('$h')} (i32.const 1)))
        (br $hl)))
      (local.set $r (i32.add ${get('$r')} (i32.const 1)))
      (br $rl)))
  )`;
}

/** Slots of attention's parameter block (i32 each), written by cpu/wasm-small-ops.ts. */
export const ATTEND_PARAMS = {
  out: 0,
  q: 1,
  rows: 2,
  pos0: 3,
  keys: 4,
  values: 5,
  width: 6,
  heads: 7,
  kvHeads: 8,
  headDim: 9,
  window: 10,
  scores: 11,
  scoreStride: 12,
} as const;
export const ATTEND_PARAM_INTS = 13;

/**
 * attend_job(pb, _, _, _, _, _, h0, h1, _, _): attention of query heads [h0, h1) of every row (the product
 * kernels' argument shape, so threads.ts hands heads out like row groups). Row r (position pos0 + r) of q
 * ([rows, heads * hd]) attends to cached positions max(0, pos - window + 1) .. pos (window 0: from 0), scale 1,
 * GQA head h reads kv head h / (heads / kvHeads); the cache holds position p at row p ([capacity, width]).
 * Head h's scores use scores + 4 h scoreStride (so heads run concurrently). hd a multiple of 8.
 */
function attend(): string {
  const P = ATTEND_PARAMS;
  const ld = (slot: number) => `(i32.load offset=${4 * slot} ${get('$pb')})`;
  const dot = `(local.set $acc0 (v128.const i32x4 0 0 0 0)) (local.set $acc1 (v128.const i32x4 0 0 0 0))
          (local.set $d (i32.const 0))
          (block $dd (loop $dl
            (br_if $dd (i32.ge_u ${get('$d')} ${get('$hdb')}))
            (local.set $acc0 (f32x4.add ${get('$acc0')} (f32x4.mul (v128.load (i32.add ${get('$qh')} ${get('$d')})) (v128.load (i32.add ${get('$kp')} ${get('$d')})))))
            (local.set $acc1 (f32x4.add ${get('$acc1')} (f32x4.mul (v128.load offset=16 (i32.add ${get('$qh')} ${get('$d')})) (v128.load offset=16 (i32.add ${get('$kp')} ${get('$d')})))))
            (local.set $d (i32.add ${get('$d')} (i32.const 32)))
            (br $dl)))
          (local.set $acc0 (f32x4.add ${get('$acc0')} ${get('$acc1')}))
          (local.set $acc0 (f32x4.add ${get('$acc0')} (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${get('$acc0')} ${get('$acc0')})))
          (local.set $s (f32.add (f32x4.extract_lane 0 ${get('$acc0')}) (f32x4.extract_lane 1 ${get('$acc0')})))`;
  // Two positions per pass: the q loads serve both, and four independent add chains hide the add latency.
  const dot2 = `(local.set $acc0 (v128.const i32x4 0 0 0 0)) (local.set $acc1 (v128.const i32x4 0 0 0 0))
          (local.set $acc2 (v128.const i32x4 0 0 0 0)) (local.set $acc3 (v128.const i32x4 0 0 0 0))
          (local.set $k1 (i32.add ${get('$kp')} ${get('$rowb')}))
          (local.set $d (i32.const 0))
          (block $dd (loop $dl
            (br_if $dd (i32.ge_u ${get('$d')} ${get('$hdb')}))
            (local.set $w1 (v128.load (i32.add ${get('$qh')} ${get('$d')})))
            (local.set $w2 (v128.load offset=16 (i32.add ${get('$qh')} ${get('$d')})))
            (local.set $acc0 (f32x4.add ${get('$acc0')} (f32x4.mul ${get('$w1')} (v128.load (i32.add ${get('$kp')} ${get('$d')})))))
            (local.set $acc1 (f32x4.add ${get('$acc1')} (f32x4.mul ${get('$w2')} (v128.load offset=16 (i32.add ${get('$kp')} ${get('$d')})))))
            (local.set $acc2 (f32x4.add ${get('$acc2')} (f32x4.mul ${get('$w1')} (v128.load (i32.add ${get('$k1')} ${get('$d')})))))
            (local.set $acc3 (f32x4.add ${get('$acc3')} (f32x4.mul ${get('$w2')} (v128.load offset=16 (i32.add ${get('$k1')} ${get('$d')})))))
            (local.set $d (i32.add ${get('$d')} (i32.const 32)))
            (br $dl)))
          (local.set $acc0 (f32x4.add ${get('$acc0')} ${get('$acc1')}))
          (local.set $acc2 (f32x4.add ${get('$acc2')} ${get('$acc3')}))
          ;; lanes [a0+a2, a1+a3 | b0+b2, b1+b3], then the pair sums: s_j in lane 0, s_j+1 in lane 2
          (local.set $acc1 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 ${get('$acc0')} ${get('$acc2')}))
          (local.set $acc3 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 ${get('$acc0')} ${get('$acc2')}))
          (local.set $acc1 (f32x4.add ${get('$acc1')} ${get('$acc3')}))
          (local.set $s (f32.add (f32x4.extract_lane 0 ${get('$acc1')}) (f32x4.extract_lane 1 ${get('$acc1')})))
          (local.set $s2 (f32.add (f32x4.extract_lane 2 ${get('$acc1')}) (f32x4.extract_lane 3 ${get('$acc1')})))`;
  return `
  (func (export "attend_job") (param $pb i32) (param i32) (param i32) (param i32) (param i32) (param i32) (param $h0 i32) (param $h1 i32) (param i32) (param i32)
    (local $out i32) (local $q i32) (local $rows i32) (local $pos0 i32) (local $keys i32) (local $values i32) (local $rowb i32)
    (local $heads i32) (local $group i32) (local $hd i32) (local $hdb i32) (local $window i32) (local $sc i32)
    (local $h i32) (local $r i32) (local $pos i32) (local $first i32) (local $cnt i32) (local $j i32) (local $d i32)
    (local $qh i32) (local $oh i32) (local $kp i32) (local $k1 i32) (local $k2 i32) (local $k3 i32) (local $kvo i32) (local $sp i32)
    (local $s f32) (local $s2 f32) (local $mx f32) (local $den f32)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $a v128) (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $sum v128) (local $out_v v128)
    ${MATH_LOCALS}
    (local.set $out ${ld(P.out)}) (local.set $q ${ld(P.q)}) (local.set $rows ${ld(P.rows)}) (local.set $pos0 ${ld(P.pos0)})
    (local.set $keys ${ld(P.keys)}) (local.set $values ${ld(P.values)}) (local.set $rowb (i32.shl ${ld(P.width)} (i32.const 2)))
    (local.set $heads ${ld(P.heads)}) (local.set $group (i32.div_u ${ld(P.heads)} ${ld(P.kvHeads)}))
    (local.set $hd ${ld(P.headDim)}) (local.set $hdb (i32.shl ${ld(P.headDim)} (i32.const 2))) (local.set $window ${ld(P.window)})
    (local.set $h ${get('$h0')})
    (block $hdone (loop $hl
      (br_if $hdone (i32.ge_u ${get('$h')} ${get('$h1')}))
      (local.set $kvo (i32.mul (i32.div_u ${get('$h')} ${get('$group')}) ${get('$hdb')}))
      (local.set $sc (i32.add ${ld(P.scores)} (i32.shl (i32.mul ${get('$h')} ${ld(P.scoreStride)}) (i32.const 2))))
      (local.set $r (i32.const 0))
      (block $rdone (loop $rl
        (br_if $rdone (i32.ge_u ${get('$r')} ${get('$rows')}))
        (local.set $pos (i32.add ${get('$pos0')} ${get('$r')}))
        (local.set $first (i32.const 0))
        (if (i32.and (i32.ne ${get('$window')} (i32.const 0)) (i32.ge_s (i32.sub ${get('$pos')} ${get('$window')}) (i32.const 0)))
          (then (local.set $first (i32.add (i32.sub ${get('$pos')} ${get('$window')}) (i32.const 1)))))
        (local.set $cnt (i32.add (i32.sub ${get('$pos')} ${get('$first')}) (i32.const 1)))
        (local.set $qh (i32.add ${get('$q')} (i32.mul (i32.add (i32.mul ${get('$r')} ${get('$heads')}) ${get('$h')}) ${get('$hdb')})))
        (local.set $oh (i32.add ${get('$out')} (i32.mul (i32.add (i32.mul ${get('$r')} ${get('$heads')}) ${get('$h')}) ${get('$hdb')})))
        ;; scores q . k_j and their max
        (local.set $mx (f32.const -inf))
        (local.set $kp (i32.add (i32.add ${get('$keys')} (i32.mul ${get('$first')} ${get('$rowb')})) ${get('$kvo')}))
        (local.set $sp ${get('$sc')}) (local.set $j (i32.const 0))
        (block $jd2 (loop $jl2
          (br_if $jd2 (i32.gt_s (i32.add ${get('$j')} (i32.const 2)) ${get('$cnt')}))
          ${dot2}
          (f32.store ${get('$sp')} ${get('$s')})
          (f32.store offset=4 ${get('$sp')} ${get('$s2')})
          (local.set $mx (f32.max ${get('$mx')} (f32.max ${get('$s')} ${get('$s2')})))
          (local.set $kp (i32.add ${get('$k1')} ${get('$rowb')}))
          (local.set $sp (i32.add ${get('$sp')} (i32.const 8)))
          (local.set $j (i32.add ${get('$j')} (i32.const 2)))
          (br $jl2)))
        (block $jd (loop $jl
          (br_if $jd (i32.ge_s ${get('$j')} ${get('$cnt')}))
          ${dot}
          (f32.store ${get('$sp')} ${get('$s')})
          (local.set $mx (f32.max ${get('$mx')} ${get('$s')}))
          (local.set $kp (i32.add ${get('$kp')} ${get('$rowb')}))
          (local.set $sp (i32.add ${get('$sp')} (i32.const 4)))
          (local.set $j (i32.add ${get('$j')} (i32.const 1)))
          (br $jl)))
        ;; e_j = exp(s_j - max), 4 at a time then one by one; their sum
        (local.set $a (f32x4.splat ${get('$mx')})) (local.set $sum (v128.const i32x4 0 0 0 0))
        (local.set $sp ${get('$sc')}) (local.set $j (i32.const 0))
        (block $ed (loop $el
          (br_if $ed (i32.gt_s (i32.add ${get('$j')} (i32.const 4)) ${get('$cnt')}))
          ${expInto('$out_v', `(f32x4.sub (v128.load ${get('$sp')}) ${get('$a')})`)}
          (v128.store ${get('$sp')} ${get('$out_v')})
          (local.set $sum (f32x4.add ${get('$sum')} ${get('$out_v')}))
          (local.set $sp (i32.add ${get('$sp')} (i32.const 16)))
          (local.set $j (i32.add ${get('$j')} (i32.const 4)))
          (br $el)))
        (local.set $sum (f32x4.add ${get('$sum')} (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${get('$sum')} ${get('$sum')})))
        (local.set $den (f32.add (f32x4.extract_lane 0 ${get('$sum')}) (f32x4.extract_lane 1 ${get('$sum')})))
        (block $td (loop $tl
          (br_if $td (i32.ge_s ${get('$j')} ${get('$cnt')}))
          ${expInto('$out_v', `(f32x4.sub (v128.load32_zero ${get('$sp')}) ${get('$a')})`)}
          (f32.store ${get('$sp')} (f32x4.extract_lane 0 ${get('$out_v')}))
          (local.set $den (f32.add ${get('$den')} (f32x4.extract_lane 0 ${get('$out_v')})))
          (local.set $sp (i32.add ${get('$sp')} (i32.const 4)))
          (local.set $j (i32.add ${get('$j')} (i32.const 1)))
          (br $tl)))
        ;; out = (sum_j e_j v_j) / sum_j e_j
        (local.set $d (i32.const 0))
        (block $zd (loop $zl
          (br_if $zd (i32.ge_u ${get('$d')} ${get('$hdb')}))
          (v128.store (i32.add ${get('$oh')} ${get('$d')}) (v128.const i32x4 0 0 0 0))
          (local.set $d (i32.add ${get('$d')} (i32.const 16)))
          (br $zl)))
        (local.set $kp (i32.add (i32.add ${get('$values')} (i32.mul ${get('$first')} ${get('$rowb')})) ${get('$kvo')}))
        (local.set $sp ${get('$sc')}) (local.set $j (i32.const 0))
        ;; four positions per pass over the output row (a quarter of the read-modify-writes), then one at a time
        (block $vd (loop $vl
          (br_if $vd (i32.gt_s (i32.add ${get('$j')} (i32.const 4)) ${get('$cnt')}))
          (local.set $a (v128.load32_splat ${get('$sp')})) (local.set $w1 (v128.load32_splat offset=4 ${get('$sp')}))
          (local.set $w2 (v128.load32_splat offset=8 ${get('$sp')})) (local.set $w3 (v128.load32_splat offset=12 ${get('$sp')}))
          (local.set $k1 (i32.add ${get('$kp')} ${get('$rowb')}))
          (local.set $k2 (i32.add ${get('$k1')} ${get('$rowb')}))
          (local.set $k3 (i32.add ${get('$k2')} ${get('$rowb')}))
          (local.set $d (i32.const 0))
          (block $dd4 (loop $dl4
            (br_if $dd4 (i32.ge_u ${get('$d')} ${get('$hdb')}))
            (v128.store (i32.add ${get('$oh')} ${get('$d')})
              (f32x4.add (f32x4.add (v128.load (i32.add ${get('$oh')} ${get('$d')}))
                                    (f32x4.add (f32x4.mul ${get('$a')} (v128.load (i32.add ${get('$kp')} ${get('$d')})))
                                               (f32x4.mul ${get('$w1')} (v128.load (i32.add ${get('$k1')} ${get('$d')})))))
                         (f32x4.add (f32x4.mul ${get('$w2')} (v128.load (i32.add ${get('$k2')} ${get('$d')})))
                                    (f32x4.mul ${get('$w3')} (v128.load (i32.add ${get('$k3')} ${get('$d')}))))))
            (local.set $d (i32.add ${get('$d')} (i32.const 16)))
            (br $dl4)))
          (local.set $kp (i32.add ${get('$k3')} ${get('$rowb')}))
          (local.set $sp (i32.add ${get('$sp')} (i32.const 16)))
          (local.set $j (i32.add ${get('$j')} (i32.const 4)))
          (br $vl)))
        (block $v1d (loop $v1l
          (br_if $v1d (i32.ge_s ${get('$j')} ${get('$cnt')}))
          (local.set $a (v128.load32_splat ${get('$sp')}))
          (local.set $d (i32.const 0))
          (block $dd2 (loop $dl2
            (br_if $dd2 (i32.ge_u ${get('$d')} ${get('$hdb')}))
            (v128.store (i32.add ${get('$oh')} ${get('$d')})
              (f32x4.add (v128.load (i32.add ${get('$oh')} ${get('$d')})) (f32x4.mul ${get('$a')} (v128.load (i32.add ${get('$kp')} ${get('$d')})))))
            (local.set $d (i32.add ${get('$d')} (i32.const 16)))
            (br $dl2)))
          (local.set $kp (i32.add ${get('$kp')} ${get('$rowb')}))
          (local.set $sp (i32.add ${get('$sp')} (i32.const 4)))
          (local.set $j (i32.add ${get('$j')} (i32.const 1)))
          (br $v1l)))
        (local.set $a (f32x4.splat (f32.div (f32.const 1) ${get('$den')})))
        (local.set $d (i32.const 0))
        (block $nd (loop $nl
          (br_if $nd (i32.ge_u ${get('$d')} ${get('$hdb')}))
          (v128.store (i32.add ${get('$oh')} ${get('$d')}) (f32x4.mul (v128.load (i32.add ${get('$oh')} ${get('$d')})) ${get('$a')}))
          (local.set $d (i32.add ${get('$d')} (i32.const 16)))
          (br $nl)))
        (local.set $r (i32.add ${get('$r')} (i32.const 1)))
        (br $rl)))
      (local.set $h (i32.add ${get('$h')} (i32.const 1)))
      (br $hl)))
  )`;
}

/** geglu_rows(g, u, rows, n, ustride): g[r, k] = gelu(g[r, k]) * u[r * ustride + k] (g is [rows, n]). */
function gegluRows(): string {
  const body = elementwise(['$pg', '$pu'], '$pg', (ld) => `${geluInto('$out', ld('$pg'))}
      (local.set $out (f32x4.mul ${get('$out')} ${ld('$pu')}))`);
  return `
  (func (export "geglu_rows") (param $g i32) (param $u i32) (param $rows i32) (param $n i32) (param $ustride i32)
    (local $r i32) (local $i i32) (local $pg i32) (local $pu i32) (local $out v128) ${MATH_LOCALS}
    (block $rd (loop $rl
      (br_if $rd (i32.ge_u ${get('$r')} ${get('$rows')}))
      (local.set $pg (i32.add ${get('$g')} (i32.shl (i32.mul ${get('$r')} ${get('$n')}) (i32.const 2))))
      (local.set $pu (i32.add ${get('$u')} (i32.shl (i32.mul ${get('$r')} ${get('$ustride')}) (i32.const 2))))
      ${body}
      (local.set $r (i32.add ${get('$r')} (i32.const 1)))
      (br $rl)))
  )`;
}

/** softcap(z, n, cap): z = cap * tanh(z / cap) in place; NaN and +-inf stay as they are (like the reference). */
function softcap(): string {
  const body = elementwise(['$p'], '$p', (ld) => `(local.set $v ${ld('$p')})
      ${tanhInto('$out', `(f32x4.div ${get('$v')} ${get('$c')})`)}
      (local.set $out (v128.bitselect ${get('$v')} (f32x4.mul ${get('$out')} ${get('$c')})
        (v128.or (f32x4.ne ${get('$v')} ${get('$v')}) (f32x4.eq (f32x4.abs ${get('$v')}) ${f4(Infinity)}))))`);
  return `
  (func (export "softcap") (param $z i32) (param $n i32) (param $cap f32)
    (local $i i32) (local $p i32) (local $v v128) (local $c v128) (local $out v128) ${MATH_LOCALS}
    (local.set $c (f32x4.splat ${get('$cap')})) (local.set $p ${get('$z')})
    ${body}
  )`;
}

/** scale(x, n, s): x *= s. */
function scale(): string {
  const body = elementwise(['$p'], '$p', (ld) => `(local.set $out (f32x4.mul ${ld('$p')} ${get('$c')}))`);
  return `
  (func (export "scale") (param $x i32) (param $n i32) (param $s f32)
    (local $i i32) (local $p i32) (local $c v128) (local $out v128)
    (local.set $c (f32x4.splat ${get('$s')})) (local.set $p ${get('$x')})
    ${body}
  )`;
}

/** Test hooks: exp / tanh / gelu of n values in place (small-ops.test.ts measures their error on dense grids). */
function mathProbes(): string {
  const probe = (name: string, into: (dst: string, src: string) => string) => {
    const body = elementwise(['$p'], '$p', (ld) => into('$out', ld('$p')));
    return `
  (func (export "${name}") (param $x i32) (param $n i32)
    (local $i i32) (local $p i32) (local $out v128) ${MATH_LOCALS}
    (local.set $p ${get('$x')})
    ${body}
  )`;
  };
  return probe('exp_probe', expInto) + probe('tanh_probe', tanhInto) + probe('gelu_probe', geluInto);
}

/** Every small op's function text, for kernelModuleText. */
export function smallOpsText(): string {
  return [rmsNormRows(), addRmsNormRows(), ropeRows(), attend(), gegluRows(), softcap(), scale(), mathProbes()].join('\n');
}
