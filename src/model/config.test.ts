// GemmaConfig from the real E2B / E4B metadata values (spec gguf-gemma4.md §3.1), reproducing the
// per-layer schedule tables of gemma4-architecture.md §1.3, and clear errors for missing or inconsistent keys.
import { describe, expect, it } from 'vitest';
import { GgufError } from '../gguf/errors.js';
import { GgmlType, GgufValueType, type GgufHeader, type GgufMetadataEntry, type GgufValue } from '../gguf/types.js';
import { createGemmaConfig, type GemmaConfig } from './config.js';
import { planGemmaTensors } from './tensor-plan.js';

type Meta = Record<string, GgufMetadataEntry>;
const u32 = (value: number): GgufMetadataEntry => ({ type: GgufValueType.UINT32, value });
const f32 = (value: number): GgufMetadataEntry => ({ type: GgufValueType.FLOAT32, value: Math.fround(value) });
const array = (elementType: GgufValueType, values: GgufValue[]): GgufMetadataEntry => ({
  type: GgufValueType.ARRAY,
  value: { kind: 'array', elementType, values },
});

function realMetadata(model: 'E2B' | 'E4B'): Meta {
  const e2b = model === 'E2B';
  const L = e2b ? 35 : 42;
  const period = e2b ? 5 : 6;
  return {
    'general.architecture': { type: GgufValueType.STRING, value: 'gemma4' },
    'gemma4.context_length': u32(131072),
    'gemma4.embedding_length': u32(e2b ? 1536 : 2560),
    'gemma4.block_count': u32(L),
    'gemma4.feed_forward_length': e2b
      ? array(GgufValueType.INT32, Array.from({ length: 35 }, (_, i) => (i < 15 ? 6144 : 12288)))
      : u32(10240),
    'gemma4.attention.head_count': u32(8),
    'gemma4.attention.head_count_kv': u32(e2b ? 1 : 2),
    'gemma4.attention.key_length': u32(512),
    'gemma4.attention.value_length': u32(512),
    'gemma4.attention.key_length_swa': u32(256),
    'gemma4.attention.value_length_swa': u32(256),
    'gemma4.attention.layer_norm_rms_epsilon': f32(1e-6),
    'gemma4.attention.sliding_window': u32(512),
    'gemma4.attention.sliding_window_pattern': array(
      GgufValueType.BOOL,
      Array.from({ length: L }, (_, i) => i % period !== period - 1),
    ),
    'gemma4.attention.shared_kv_layers': u32(e2b ? 20 : 18),
    'gemma4.embedding_length_per_layer_input': u32(256),
    'gemma4.rope.freq_base': f32(1e6),
    'gemma4.rope.freq_base_swa': f32(1e4),
    'gemma4.rope.dimension_count': u32(512),
    'gemma4.rope.dimension_count_swa': u32(256),
    'gemma4.final_logit_softcapping': f32(30),
  };
}

function header(meta: Meta, hidden: number): GgufHeader {
  return {
    version: 3,
    metadata: new Map(Object.entries(meta)),
    tensors: [
      { name: 'token_embd.weight', dims: [hidden, 262144], type: GgmlType.Q6_K, offset: 0, byteSize: 0, elementCount: 0 },
    ],
    alignment: 32,
    dataOffset: 0,
    fileSize: 0,
  };
}

const realRopeFreqs = () => Float32Array.from({ length: 256 }, (_, j) => (j < 64 ? 1 : 1e30));

function config(model: 'E2B' | 'E4B', edit: (m: Meta) => void = () => {}): GemmaConfig {
  const meta = realMetadata(model);
  edit(meta);
  return createGemmaConfig(header(meta, model === 'E2B' ? 1536 : 2560), { ropeFreqs: realRopeFreqs() });
}

/** Layer schedule rows: [indices, type, headDim, q width, k width (0 = none), ffn, kv source]. */
type Row = [number[], 'sliding' | 'full', number, number, number, number, number | 'own'];
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

function expectSchedule(c: GemmaConfig, rows: Row[]) {
  const seen = new Set<number>();
  for (const [indices, type, hd, q, k, ffn, src] of rows) {
    for (const i of indices) {
      seen.add(i);
      const l = c.layers[i];
      expect({ i, type: l.type, hd: l.headDim, q: l.headDim * l.numHeads, ffn: l.ffnWidth }).toEqual({ i, type, hd, q, ffn });
      if (src === 'own') {
        expect(l.ownsKv).toBe(true);
        expect(l.kvSourceLayer).toBe(i);
        expect(l.headDim * l.numKvHeads).toBe(k);
      } else {
        expect(l.ownsKv).toBe(false);
        expect(l.kvSourceLayer).toBe(src);
      }
    }
  }
  expect(seen.size).toBe(c.numLayers);
}

describe('GemmaConfig from real metadata', () => {
  it('reproduces the E2B per-layer schedule (§1.3)', () => {
    const c = config('E2B');
    expect(c.hiddenSize).toBe(1536);
    expect(c.numLayers).toBe(35);
    expect(c.firstSharedLayer).toBe(15);
    expect(c.vocabSize).toBe(262144);
    expect(c.pleWidth).toBe(256);
    expect(c.finalLogitSoftcap).toBe(30);
    expect(c.embedScale).toBeCloseTo(39.19183588, 5);
    expectSchedule(c, [
      [[0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13], 'sliding', 256, 2048, 256, 6144, 'own'],
      [[4, 9, 14], 'full', 512, 4096, 512, 6144, 'own'],
      [[...range(15, 18), ...range(20, 23), ...range(25, 28), ...range(30, 33)], 'sliding', 256, 2048, 0, 12288, 13],
      [[19, 24, 29, 34], 'full', 512, 4096, 0, 12288, 14],
    ]);
    expect(c.layers.filter((l) => l.type === 'sliding').length).toBe(28);
    expect(c.layers[0].window).toBe(512);
    expect(c.layers[4].window).toBeUndefined();
  });

  it('reproduces the E4B per-layer schedule (§1.3)', () => {
    const c = config('E4B');
    expect(c.hiddenSize).toBe(2560);
    expect(c.firstSharedLayer).toBe(24);
    expect(c.embedScale).toBeCloseTo(50.59644256, 5);
    expectSchedule(c, [
      [[...range(0, 4), ...range(6, 10), ...range(12, 16), ...range(18, 22)], 'sliding', 256, 2048, 512, 10240, 'own'],
      [[5, 11, 17, 23], 'full', 512, 4096, 1024, 10240, 'own'],
      [[...range(24, 28), ...range(30, 34), ...range(36, 40)], 'sliding', 256, 2048, 0, 10240, 22],
      [[29, 35, 41], 'full', 512, 4096, 0, 10240, 23],
    ]);
    expect(c.layers.every((l) => l.numHeads / l.numKvHeads === 4)).toBe(true);
  });

  it('derives the RoPE frequencies of §9, with partial rotation from rope_freqs', () => {
    const c = config('E2B');
    const full = c.layers[4].ropeInvFreq;
    expect(full.length).toBe(256);
    expect(full[0]).toBe(1);
    expect(full[1]).toBeCloseTo(0.9474635, 6);
    expect(full[63]).toBeCloseTo(0.0333762, 6);
    for (let j = 64; j < 256; j++) expect(full[j]).toBeLessThan(1e-29);
    const sliding = c.layers[0].ropeInvFreq;
    expect(sliding.length).toBe(128);
    expect(sliding[127]).toBeCloseTo(1.0746e-4, 7);
    expect(c.layers[0].ropeBase).toBe(10000);
    expect(c.layers[4].ropeBase).toBe(1e6);
  });

  it('plans the real tensor table: E2B has 2 + 3 + 35 layers of tensors, sizes per §6', () => {
    const c = config('E2B');
    const plan = planGemmaTensors(c).filter((p) => p.use !== 'ignored');
    const params = plan.filter((p) => p.use === 'required').reduce((n, p) => n + p.dims.reduce((a, b) => a * b, 1), 0);
    // §6: text total 4,628,569,379 minus 20 layers' unused k/v/k_norm is not counted there; layer scalars (35) are optional here.
    expect(params + 35).toBe(4_628_569_379 + 256 /* rope_freqs */);
  });

  it('uses the documented defaults: softcap 30, rope bases 10000, head_count_kv = head_count', () => {
    const c = config('E4B', (m) => {
      delete m['gemma4.final_logit_softcapping'];
      delete m['gemma4.rope.freq_base_swa'];
      delete m['gemma4.attention.head_count_kv'];
    });
    expect(c.finalLogitSoftcap).toBe(30);
    expect(c.layers[0].ropeBase).toBe(10000);
    expect(c.layers[0].numKvHeads).toBe(8);
  });

  it('accepts per-layer head counts as arrays and layer scalars from tensors', () => {
    const meta = realMetadata('E2B');
    meta['gemma4.attention.head_count'] = array(GgufValueType.UINT32, Array(35).fill(8));
    const c = createGemmaConfig(header(meta, 1536), {
      ropeFreqs: realRopeFreqs(),
      layerScalars: Array.from({ length: 35 }, (_, i) => (i === 3 ? undefined : i / 100)),
    });
    expect(c.layers[7].numHeads).toBe(8);
    expect(c.layerScalars[2]).toBeCloseTo(0.02);
    expect(c.layerScalars[3]).toBe(1);
  });
});

describe('GemmaConfig errors', () => {
  const expectCode = (fn: () => unknown, code: string, text: RegExp) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(GgufError);
      expect((e as GgufError).code).toBe(code);
      expect((e as Error).message).toMatch(text);
      return;
    }
    throw new Error('expected an error');
  };

  it('names a missing required key', () => {
    expectCode(() => config('E2B', (m) => delete m['gemma4.attention.key_length_swa']), 'MISSING_KEY', /key_length_swa/);
    expectCode(() => config('E2B', (m) => delete m['gemma4.embedding_length_per_layer_input']), 'MISSING_KEY', /per_layer_input/);
  });
  it('rejects a key of the wrong type', () => {
    expectCode(() => config('E2B', (m) => (m['gemma4.block_count'] = f32(35))), 'WRONG_KEY_TYPE', /block_count/);
  });
  it('rejects a per-layer array of the wrong length', () => {
    expectCode(
      () => config('E2B', (m) => (m['gemma4.feed_forward_length'] = array(GgufValueType.INT32, [6144, 6144]))),
      'WRONG_ARRAY_LENGTH',
      /feed_forward_length/,
    );
    expectCode(
      () => config('E2B', (m) => (m['gemma4.attention.sliding_window_pattern'] = array(GgufValueType.BOOL, [true]))),
      'BAD_CONFIG',
      /sliding_window_pattern/,
    );
  });
  it('rejects another architecture, inconsistent head counts, an impossible KV sharing', () => {
    expectCode(
      () => config('E2B', (m) => (m['general.architecture'] = { type: GgufValueType.STRING, value: 'llama' })),
      'UNSUPPORTED_ARCHITECTURE',
      /llama/,
    );
    expectCode(() => config('E4B', (m) => (m['gemma4.attention.head_count_kv'] = u32(3))), 'BAD_CONFIG', /head_count_kv/);
    expectCode(() => config('E2B', (m) => (m['gemma4.attention.shared_kv_layers'] = u32(35))), 'BAD_CONFIG', /shared_kv_layers/);
    expectCode(
      () =>
        config('E2B', (m) => {
          m['gemma4.attention.shared_kv_layers'] = u32(34); // only layer 0 owns KV, and it is sliding
        }),
      'BAD_CONFIG',
      /no earlier layer/,
    );
    expectCode(() => config('E2B', (m) => (m['gemma4.attention.value_length'] = u32(256))), 'BAD_CONFIG', /differ/);
  });
  it('requires rope_freqs when full layers exist', () => {
    expectCode(() => createGemmaConfig(header(realMetadata('E2B'), 1536)), 'MISSING_TENSOR', /rope_freqs/);
  });
});
