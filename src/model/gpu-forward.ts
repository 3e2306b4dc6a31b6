// The Gemma 4 forward pass on the GPU (spec gemma4-architecture.md §3), config-driven, built from bound ops.
// Op lists are built once per chunk size ("lanes"): decode (1 row) and prefill chunks. Per-submit values
// (positions) live in Step uniforms, so nothing is allocated or re-bound per token.
import { createStorageBuffer, writeBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import type { BoundOp } from '../gpu/kernel.js';
import { bindAttentionDecode } from '../kernels/attention-decode.js';
import { bindAttentionPrefill } from '../kernels/attention-prefill.js';
import { bindCopyRows } from '../kernels/copy-rows.js';
import { bindEmbedGather } from '../kernels/embed-gather.js';
import { bindGeglu, bindGegluPacked } from '../kernels/geglu.js';
import { bindKvWrite } from '../kernels/kv-write.js';
import { bindLinear } from '../kernels/linear.js';
import { bindPleCombine } from '../kernels/ple-combine.js';
import { bindResidualNorm } from '../kernels/residual-norm.js';
import { bindRmsNorm } from '../kernels/rms-norm.js';
import { bindNormRope } from '../kernels/rope.js';
import { bindSoftcap } from '../kernels/softcap.js';
import { createStepBuffer, writeStep } from '../kernels/step.js';
import type { GemmaConfig } from './config.js';
import type { GpuLayerWeights, GpuWeights } from './gpu-weights.js';
import type { KvCache } from './kv-cache.js';

/** Activation buffers for up to `rows` rows. */
interface Activations {
  readonly rows: number;
  readonly tokens: GPUBuffer; // u32 [rows]
  readonly x: GPUBuffer; // residual stream [rows, H]
  readonly a: GPUBuffer; // normed input of the next matmul [rows, H]
  readonly q: GPUBuffer; // [rows, maxQ]
  readonly k: GPUBuffer; // [rows, maxKv]
  readonly v: GPUBuffer; // [rows, maxKv]
  readonly attn: GPUBuffer; // [rows, maxQ]
  readonly branch: GPUBuffer; // [rows, H]
  readonly gate: GPUBuffer; // [rows, 2 maxFfn]: a fused gate/up product's rows [gate | up], or the gate product
  readonly up: GPUBuffer; // [rows, maxFfn] (layers whose gate and up are separate weights)
  readonly pleC: GPUBuffer; // [rows, L*P]: W_plm e, then combined pl
  readonly pleRows: GPUBuffer; // [rows, L*P] CPU-gathered per-layer-embedding rows
  readonly pleGate: GPUBuffer; // [rows, P]
  readonly y: GPUBuffer; // final-normed hidden [rows, H]
}

export interface Lane {
  readonly rows: number;
  readonly step: GPUBuffer;
  readonly act: Activations;
  /** Embedding, PLE inputs, layer 0's input norm. */
  readonly input: BoundOp[];
  /** Per layer, all its ops. */
  readonly layers: BoundOp[][];
  /** Final norm + LM head on `rows` rows into logits (not softcapped). */
  readonly head: BoundOp[];
}

export interface GpuForwardOptions {
  /** Chunk sizes of prefill lanes (largest first); decode is always a 1-row lane. */
  readonly chunkSizes: readonly number[];
  /** Allocate logits for every row of a chunk (the logits command); otherwise one row (generation). */
  readonly allRowLogits?: boolean;
}

export class GpuForward {
  readonly decode: Lane;
  readonly prefill: ReadonlyMap<number, Lane>;
  /** Logits of the last computed head rows: [logitRows, V] f32. */
  readonly logits: GPUBuffer;
  readonly logitRows: number;
  /** Copies the last prompt row from a prefill lane into the decode lane, per chunk size. */
  private readonly tailCopies = new Map<number, BoundOp[]>();
  private readonly pleScratch: Float32Array;

  constructor(
    private readonly ctx: GpuContext,
    readonly config: GemmaConfig,
    readonly weights: GpuWeights,
    readonly kv: KvCache,
    readonly options: GpuForwardOptions,
  ) {
    const maxChunk = Math.max(1, ...options.chunkSizes);
    this.logitRows = options.allRowLogits ? maxChunk : 1;
    this.logits = createStorageBuffer(ctx, this.logitRows * config.vocabSize * 4, 'logits');
    this.decode = this.buildLane(this.createActivations(1), 1);
    const prefillAct = this.createActivations(maxChunk);
    this.prefill = new Map(options.chunkSizes.map((m) => [m, this.buildLane(prefillAct, m)]));
    for (const m of options.chunkSizes) this.tailCopies.set(m, this.buildTailCopy(prefillAct, m));
    this.pleScratch = new Float32Array(maxChunk * config.numLayers * config.pleWidth);
  }

  /** Ops of layers [from, to) of a lane. */
  layerOps(lane: Lane, from: number, to: number): BoundOp[] {
    return lane.layers.slice(from, to).flat();
  }

  /** Copies the last row of a prefill lane of `rows` rows into the decode lane (x, a and the PLE inputs). */
  tailCopy(rows: number): BoundOp[] {
    return this.tailCopies.get(rows)!;
  }

  /** Softcaps `rows` rows of logits in place (for reading logits out; the sampler applies the cap itself). */
  softcapOps(rows: number): BoundOp[] {
    const cap = this.config.finalLogitSoftcap;
    return cap === 0 ? [] : [bindSoftcap(this.ctx, { z: this.logits, n: rows * this.config.vocabSize, cap })];
  }

  /** Uploads a lane's tokens and per-layer-embedding rows, and writes its Step. */
  writeInputs(lane: Lane, tokens: readonly number[], pleRows: Float32Array | undefined, startPos: number, step = 0, seed = 0): void {
    writeBuffer(this.ctx, lane.act.tokens, 0, Uint32Array.from(tokens));
    if (pleRows) writeBuffer(this.ctx, lane.act.pleRows, 0, pleRows);
    writeStep(this.ctx, lane.step, { startPos, step, seed });
  }

  /** Step uniform of the decode lane (used for the prefill tail too: its row sits at the last prompt position). */
  writeDecodeStep(startPos: number, step = 0, seed = 0): void {
    writeStep(this.ctx, this.decode.step, { startPos, step, seed });
  }

  get pleBuffer(): Float32Array {
    return this.pleScratch;
  }

  /** gate and up products (one fused product when the weights allow), GeGLU, down product into act.branch. */
  private bindFfn(act: Activations, rows: number, lw: GpuLayerWeights, F: number): BoundOp[] {
    const ctx = this.ctx;
    if (lw.ffnIn.fused) {
      return [
        ...bindLinear(ctx, { weight: lw.ffnIn.gateUp, x: act.a, y: act.gate, m: rows }),
        bindGegluPacked(ctx, { gateUp: act.gate, rows, n: F }),
        ...bindLinear(ctx, { weight: lw.down, x: act.gate, y: act.branch, m: rows, xStride: 2 * F }),
      ];
    }
    return [
      ...bindLinear(ctx, { weight: lw.ffnIn.gate, x: act.a, y: act.gate, m: rows }),
      ...bindLinear(ctx, { weight: lw.ffnIn.up, x: act.a, y: act.up, m: rows }),
      bindGeglu(ctx, { gate: act.gate, up: act.up, out: act.gate, rows, n: F }),
      ...bindLinear(ctx, { weight: lw.down, x: act.gate, y: act.branch, m: rows }),
    ];
  }

  private createActivations(rows: number): Activations {
    const c = this.config;
    const H = c.hiddenSize;
    const maxQ = Math.max(...c.layers.map((l) => l.numHeads * l.headDim));
    const maxKv = Math.max(...c.layers.map((l) => l.numKvHeads * l.headDim));
    const maxFfn = Math.max(...c.layers.map((l) => l.ffnWidth));
    const LP = c.numLayers * c.pleWidth;
    const buf = (n: number, name: string) => createStorageBuffer(this.ctx, Math.max(1, n) * 4, `${name}[${rows}]`);
    return {
      rows,
      tokens: buf(rows, 'tokens'),
      x: buf(rows * H, 'x'),
      a: buf(rows * H, 'a'),
      q: buf(rows * maxQ, 'q'),
      k: buf(rows * maxKv, 'k'),
      v: buf(rows * maxKv, 'v'),
      attn: buf(rows * maxQ, 'attn'),
      branch: buf(rows * H, 'branch'),
      gate: buf(rows * 2 * maxFfn, 'gate'),
      up: buf(this.weights.layers.some((l) => !l.ffnIn.fused) ? rows * maxFfn : 1, 'up'),
      pleC: buf(rows * LP, 'ple.c'),
      pleRows: buf(rows * LP, 'ple.rows'),
      pleGate: buf(rows * c.pleWidth, 'ple.gate'),
      y: buf(rows * H, 'y'),
    };
  }

  private buildLane(act: Activations, rows: number): Lane {
    const ctx = this.ctx;
    const c = this.config;
    const w = this.weights;
    const H = c.hiddenSize;
    const P = c.pleWidth;
    const L = c.numLayers;
    const eps = c.rmsNormEps;
    const step = createStepBuffer(ctx);

    const input: BoundOp[] = [
      ...bindEmbedGather(ctx, { table: w.tokenEmbd, tokens: act.tokens, out: act.x, m: rows, scale: c.embedScale }),
    ];
    if (P > 0) {
      input.push(
        ...bindLinear(ctx, { weight: w.pleModelProj!, x: act.x, y: act.pleC, m: rows }),
        bindPleCombine(ctx, {
          c: act.pleC,
          r: act.pleRows,
          normWeight: w.pleProjNorm!,
          out: act.pleC,
          rows,
          layers: L,
          width: P,
          hiddenSize: H,
          eps,
        }),
      );
    }
    input.push(bindRmsNorm(ctx, { x: act.x, weight: w.layers[0].attnNorm, y: act.a, rows, n: H, eps }));

    const layers: BoundOp[][] = [];
    for (const layer of c.layers) {
      const lw = w.layers[layer.index];
      const hd = layer.headDim;
      const cache = this.kv.layers[layer.index];
      const ops: BoundOp[] = [];
      ops.push(
        ...bindLinear(ctx, { weight: lw.q, x: act.a, y: act.q, m: rows }),
        bindNormRope(ctx, { x: act.q, rows, heads: layer.numHeads, headDim: hd, weight: lw.qNorm, invFreq: lw.ropeInvFreq, eps, step }),
      );
      if (layer.ownsKv) {
        ops.push(
          ...bindLinear(ctx, { weight: lw.k!, x: act.a, y: act.k, m: rows }),
          // No attn_v (gguf-gemma4.md, "optional everywhere"): V is the K projection before k_norm, which the
          // KV write reads as both (it normalises its own copies; both bindings are read-only).
          ...(lw.v ? bindLinear(ctx, { weight: lw.v, x: act.a, y: act.v, m: rows }) : []),
          bindKvWrite(ctx, {
            k: act.k,
            v: lw.v ? act.v : act.k,
            kCache: cache.k,
            vCache: cache.v,
            rows,
            numKvHeads: layer.numKvHeads,
            headDim: hd,
            capacity: cache.capacity,
            kNormWeight: lw.kNorm!,
            invFreq: lw.ropeInvFreq,
            eps,
            step,
          }),
        );
      }
      const attnArgs = {
        q: act.q,
        kCache: cache.k,
        vCache: cache.v,
        out: act.attn,
        numHeads: layer.numHeads,
        numKvHeads: layer.numKvHeads,
        headDim: hd,
        capacity: cache.capacity,
        window: layer.window ?? 0,
        step,
      };
      ops.push(
        ...(rows === 1
          ? bindAttentionDecode(ctx, { ...attnArgs, maxKeys: cache.capacity })
          : bindAttentionPrefill(ctx, { ...attnArgs, rows })),
        ...bindLinear(ctx, { weight: lw.o, x: act.attn, y: act.branch, m: rows }),
        bindResidualNorm(ctx, {
          x: act.x,
          branch: act.branch,
          weight: lw.postAttnNorm,
          eps,
          rows,
          n: H,
          nextNorm: { weight: lw.ffnNorm, out: act.a },
        }),
        ...this.bindFfn(act, rows, lw, layer.ffnWidth),
      );
      const last = layer.index === L - 1;
      const next = last
        ? { weight: w.outputNorm, out: act.y }
        : { weight: w.layers[layer.index + 1].attnNorm, out: act.a };
      const scalar = c.layerScalars[layer.index];
      if (P > 0) {
        ops.push(
          bindResidualNorm(ctx, { x: act.x, branch: act.branch, weight: lw.postFfnNorm, eps, rows, n: H }),
          ...bindLinear(ctx, { weight: lw.pleGate!, x: act.x, y: act.pleGate, m: rows }),
          bindGeglu(ctx, {
            gate: act.pleGate,
            up: act.pleC,
            out: act.pleGate,
            rows,
            n: P,
            upRowStride: L * P,
            upOffset: layer.index * P,
          }),
          ...bindLinear(ctx, { weight: lw.pleProj!, x: act.pleGate, y: act.branch, m: rows }),
          bindResidualNorm(ctx, { x: act.x, branch: act.branch, weight: lw.plePostNorm!, eps, rows, n: H, layerScalar: scalar, nextNorm: next }),
        );
      } else {
        ops.push(bindResidualNorm(ctx, { x: act.x, branch: act.branch, weight: lw.postFfnNorm, eps, rows, n: H, layerScalar: scalar, nextNorm: next }));
      }
      layers.push(ops);
    }
    // The head of a multi-row lane exists only when every row's logits fit (the logits command).
    const head = rows <= this.logitRows ? bindLinear(ctx, { weight: w.output, x: act.y, y: this.logits, m: rows }) : [];
    return { rows, step, act, input, layers, head };
  }

  private buildTailCopy(act: Activations, rows: number): BoundOp[] {
    const c = this.config;
    const H = c.hiddenSize;
    const LP = c.numLayers * c.pleWidth;
    const d = this.decode.act;
    const ops = [
      bindCopyRows(this.ctx, { src: act.x, dst: d.x, n: H, srcOffset: (rows - 1) * H, dstOffset: 0 }),
      bindCopyRows(this.ctx, { src: act.a, dst: d.a, n: H, srcOffset: (rows - 1) * H, dstOffset: 0 }),
    ];
    if (LP > 0) ops.push(bindCopyRows(this.ctx, { src: act.pleC, dst: d.pleC, n: LP, srcOffset: (rows - 1) * LP, dstOffset: 0 }));
    return ops;
  }
}
