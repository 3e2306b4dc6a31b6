// WebAssembly text of the CPU sampler's one pass over the logits (joins the kernel module, kernels-wat.ts): it counts
// non-finite logits and keeps the best K tokens that an eligibility mask allows, ranked exactly like the reference's
// topKIndices (value desc, index asc). Everything else of sampling (bias, penalties, softmax, top-p, min-p, the
// draw) runs in TypeScript over these <= K candidates (model/cpu-sampler.ts; reference: reference/sample.ts).
//
// Ranking: each candidate is one i64 whose high half is the f32's bits made order-preserving as a signed i32
// (negative floats get their low 31 bits flipped; -0 is turned into +0 first, as the reference's f64 compare sees
// them equal) and whose low half is ~index (lower index = larger), so i64.gt_s is "ranks before". A min-heap of K
// such keys holds the best seen; a token can only enter when its f32 value is strictly above the root's (an equal
// value comes later, i.e. with a larger index, so it ranks after the root): that is the SIMD prefilter, 4 lanes
// compared with the root's value, lanes that pass walked one by one with i32x4.bitmask.

/** Most candidates one scan keeps (= reference MAX_SAMPLING_CANDIDATES, checked by model/cpu-sampler.ts). */
export const SCAN_MAX_CANDIDATES = 1024;

/** i32 slots of the scan's result block: non-finite logits among all tokens, and among the eligible ones. */
export const SCAN_RESULT = { nonFinite: 0, nonFiniteEligible: 1 } as const;

const get = (n: string) => `(local.get ${n})`;
const EXP_BITS = '(v128.const i32x4 0x7f800000 0x7f800000 0x7f800000 0x7f800000)';

/** Expression: the rank key (i64) of f32 value `x` (an f32 expression) at index `idx` (an i32 expression). */
function rankKey(x: string, idx: string): string {
  return `(i64.or
      (i64.shl (i64.extend_i32_s (call $order_bits (i32.reinterpret_f32 (f32.add ${x} (f32.const 0))))) (i64.const 32))
      (i64.extend_i32_u (i32.xor ${idx} (i32.const -1))))`;
}

/** Statements: offer token $idx (value $x) to the heap; refresh the threshold once the heap is full. */
const offer = `(local.set $size (call $heap_offer ${get('$heap')} ${get('$size')} ${get('$K')} ${rankKey(get('$x'), get('$idx'))}))
          (if (i32.eq ${get('$size')} ${get('$K')}) (then
            (local.set $thr (f32.reinterpret_i32 (call $order_bits (i32.wrap_i64 (i64.shr_s (i64.load ${get('$heap')}) (i64.const 32))))))
            (local.set $thrv (f32x4.splat ${get('$thr')}))))`;

/** Statements for vector q (0..7) of the 32-token block at $base whose eligibility word is $word. */
function blockVector(q: number): string {
  return `(local.set $v (v128.load offset=${16 * q} ${get('$base')}))
      (local.set $nf (i32x4.eq (v128.and ${get('$v')} ${EXP_BITS}) ${EXP_BITS}))
      (local.set $accNF (i32x4.sub ${get('$accNF')} ${get('$nf')}))
      (local.set $m (i32x4.ne (v128.and (i32x4.splat (i32.shr_u ${get('$word')} (i32.const ${4 * q}))) (v128.const i32x4 1 2 4 8))
        (v128.const i32x4 0 0 0 0)))
      (local.set $accNFE (i32x4.sub ${get('$accNFE')} (v128.and ${get('$nf')} ${get('$m')})))
      (local.set $bits (i32x4.bitmask (v128.and ${get('$m')} (f32x4.gt ${get('$v')} ${get('$thrv')}))))
      (block $q${q}done (loop $q${q}
        (br_if $q${q}done (i32.eqz ${get('$bits')}))
        (local.set $l (i32.ctz ${get('$bits')}))
        (local.set $idx (i32.add (i32.shl ${get('$w')} (i32.const 5)) (i32.add (i32.const ${4 * q}) ${get('$l')})))
        (local.set $x (f32.load offset=${16 * q} (i32.add ${get('$base')} (i32.shl ${get('$l')} (i32.const 2)))))
        (if (f32.gt ${get('$x')} ${get('$thr')}) (then
          ${offer}))
        (local.set $bits (i32.and ${get('$bits')} (i32.sub ${get('$bits')} (i32.const 1))))
        (br $q${q})))`;
}

/** Helpers: the order-preserving bit map (its own inverse) and the min-heap of rank keys. */
function heapFunctions(): string {
  return `
  (func $order_bits (param $b i32) (result i32)
    (i32.xor ${get('$b')} (i32.shr_u (i32.shr_s ${get('$b')} (i32.const 31)) (i32.const 1))))

  ;; Moves key c down from the root of the min-heap h[0 .. size) (h[0] is being replaced by c).
  (func $sift_down (param $h i32) (param $size i32) (param $c i64)
    (local $i i32) (local $l i32) (local $m i32) (local $hm i64)
    (block $done (loop $down
      (local.set $l (i32.add (i32.shl ${get('$i')} (i32.const 1)) (i32.const 1)))
      (br_if $done (i32.ge_u ${get('$l')} ${get('$size')}))
      (local.set $m ${get('$l')})
      (local.set $hm (i64.load (i32.add ${get('$h')} (i32.shl ${get('$l')} (i32.const 3)))))
      (if (i32.lt_u (i32.add ${get('$l')} (i32.const 1)) ${get('$size')}) (then
        (if (i64.lt_s (i64.load offset=8 (i32.add ${get('$h')} (i32.shl ${get('$l')} (i32.const 3)))) ${get('$hm')}) (then
          (local.set $m (i32.add ${get('$l')} (i32.const 1)))
          (local.set $hm (i64.load (i32.add ${get('$h')} (i32.shl ${get('$m')} (i32.const 3)))))))))
      (br_if $done (i64.ge_s ${get('$hm')} ${get('$c')}))
      (i64.store (i32.add ${get('$h')} (i32.shl ${get('$i')} (i32.const 3))) ${get('$hm')})
      (local.set $i ${get('$m')})
      (br $down)))
    (i64.store (i32.add ${get('$h')} (i32.shl ${get('$i')} (i32.const 3))) ${get('$c')}))

  ;; Offers key c to the min-heap h of capacity K holding size keys; returns the new size.
  (func $heap_offer (param $h i32) (param $size i32) (param $K i32) (param $c i64) (result i32)
    (local $j i32) (local $p i32) (local $hp i64)
    (if (i32.lt_u ${get('$size')} ${get('$K')}) (then
      (local.set $j ${get('$size')})
      (block $done (loop $up
        (br_if $done (i32.eqz ${get('$j')}))
        (local.set $p (i32.shr_u (i32.sub ${get('$j')} (i32.const 1)) (i32.const 1)))
        (local.set $hp (i64.load (i32.add ${get('$h')} (i32.shl ${get('$p')} (i32.const 3)))))
        (br_if $done (i64.le_s ${get('$hp')} ${get('$c')}))
        (i64.store (i32.add ${get('$h')} (i32.shl ${get('$j')} (i32.const 3))) ${get('$hp')})
        (local.set $j ${get('$p')})
        (br $up)))
      (i64.store (i32.add ${get('$h')} (i32.shl ${get('$j')} (i32.const 3))) ${get('$c')})
      (return (i32.add ${get('$size')} (i32.const 1)))))
    (if (i64.gt_s ${get('$c')} (i64.load ${get('$h')})) (then (call $sift_down ${get('$h')} ${get('$size')} ${get('$c')})))
    ${get('$size')})`;
}

/**
 * sample_scan(z, n, eligible, K, heap, out, result) -> count: over the n f32 logits at z, with the packed eligibility
 * bits at `eligible` (XGrammar layout; bits >= n are never read), writes to `out` the indices of the best min(K, eligible
 * finite-or-+inf tokens) in rank order and returns how many; `heap` is K i64 of scratch; result[SCAN_RESULT.*] get
 * the non-finite counts. NaN and -inf never become candidates (callers treat any eligible non-finite as an error).
 */
function sampleScan(): string {
  const vectors = Array.from({ length: 8 }, (_, q) => blockVector(q)).join('\n      ');
  const lanesSum = (v: string) =>
    `(i32.add (i32.add (i32x4.extract_lane 0 ${v}) (i32x4.extract_lane 1 ${v})) (i32.add (i32x4.extract_lane 2 ${v}) (i32x4.extract_lane 3 ${v})))`;
  return `
  (func (export "sample_scan") (param $z i32) (param $n i32) (param $elig i32) (param $K i32) (param $heap i32) (param $out i32) (param $res i32) (result i32)
    (local $w i32) (local $nw i32) (local $word i32) (local $base i32) (local $bits i32) (local $l i32) (local $idx i32)
    (local $size i32) (local $i i32) (local $nfTail i32) (local $nfeTail i32) (local $isNf i32) (local $e i32) (local $t i64)
    (local $x f32) (local $thr f32) (local $thrv v128) (local $v v128) (local $nf v128) (local $m v128) (local $accNF v128) (local $accNFE v128)
    (local.set $thr (f32.const -inf))
    (local.set $thrv (f32x4.splat ${get('$thr')}))
    (local.set $nw (i32.shr_u ${get('$n')} (i32.const 5)))
    (block $wd (loop $wl
      (br_if $wd (i32.ge_u ${get('$w')} ${get('$nw')}))
      (local.set $word (i32.load (i32.add ${get('$elig')} (i32.shl ${get('$w')} (i32.const 2)))))
      (local.set $base (i32.add ${get('$z')} (i32.shl ${get('$w')} (i32.const 7))))
      ${vectors}
      (local.set $w (i32.add ${get('$w')} (i32.const 1)))
      (br $wl)))
    ;; The last n % 32 tokens one at a time.
    (local.set $i (i32.shl ${get('$nw')} (i32.const 5)))
    (block $td (loop $tl
      (br_if $td (i32.ge_u ${get('$i')} ${get('$n')}))
      (local.set $x (f32.load (i32.add ${get('$z')} (i32.shl ${get('$i')} (i32.const 2)))))
      (local.set $isNf (i32.eq (i32.and (i32.reinterpret_f32 ${get('$x')}) (i32.const 0x7f800000)) (i32.const 0x7f800000)))
      (local.set $e (i32.and (i32.shr_u (i32.load (i32.add ${get('$elig')} (i32.shl (i32.shr_u ${get('$i')} (i32.const 5)) (i32.const 2))))
        (i32.and ${get('$i')} (i32.const 31))) (i32.const 1)))
      (local.set $nfTail (i32.add ${get('$nfTail')} ${get('$isNf')}))
      (local.set $nfeTail (i32.add ${get('$nfeTail')} (i32.and ${get('$isNf')} ${get('$e')})))
      (local.set $idx ${get('$i')})
      (if (i32.and ${get('$e')} (f32.gt ${get('$x')} ${get('$thr')})) (then
        ${offer}))
      (local.set $i (i32.add ${get('$i')} (i32.const 1)))
      (br $tl)))
    (i32.store offset=${4 * SCAN_RESULT.nonFinite} ${get('$res')} (i32.add ${lanesSum(get('$accNF'))} ${get('$nfTail')}))
    (i32.store offset=${4 * SCAN_RESULT.nonFiniteEligible} ${get('$res')} (i32.add ${lanesSum(get('$accNFE'))} ${get('$nfeTail')}))
    ;; Heap sort: popping the minimum to the end leaves the keys in descending order, i.e. rank order.
    (local.set $i ${get('$size')})
    (block $sd (loop $sl
      (br_if $sd (i32.le_u ${get('$i')} (i32.const 1)))
      (local.set $i (i32.sub ${get('$i')} (i32.const 1)))
      (local.set $t (i64.load (i32.add ${get('$heap')} (i32.shl ${get('$i')} (i32.const 3)))))
      (i64.store (i32.add ${get('$heap')} (i32.shl ${get('$i')} (i32.const 3))) (i64.load ${get('$heap')}))
      (call $sift_down ${get('$heap')} ${get('$i')} ${get('$t')})
      (br $sl)))
    (local.set $i (i32.const 0))
    (block $od (loop $ol
      (br_if $od (i32.ge_u ${get('$i')} ${get('$size')}))
      (i32.store (i32.add ${get('$out')} (i32.shl ${get('$i')} (i32.const 2)))
        (i32.xor (i32.wrap_i64 (i64.load (i32.add ${get('$heap')} (i32.shl ${get('$i')} (i32.const 3))))) (i32.const -1)))
      (local.set $i (i32.add ${get('$i')} (i32.const 1)))
      (br $ol)))
    ${get('$size')}
  )`;
}

/** The sampler's function text, for kernelModuleText. */
export function sampleText(): string {
  return heapFunctions() + sampleScan();
}
