// web-llm's AppConfig and prebuiltAppConfig for this engine: the model registry's E2B and E4B GGUF files, plus
// web-llm's own Gemma 4 ids resolving to our E2B file, so an app that names them needs no change. An app adds any
// GGUF by URL with { model: url, model_id, model_lib: '' }.
import { MODEL_REGISTRY, modelUrl } from '../storage/registry.js';
import { EngineError } from './errors.js';

export interface InitProgressReport {
  progress: number;
  /** Seconds since reload() started. */
  timeElapsed: number;
  text: string;
}
export type InitProgressCallback = (report: InitProgressReport) => void;

export interface ModelRecord {
  /** The GGUF URL (web-llm: the MLC weights URL). */
  model: string;
  model_id: string;
  /** Unused here (web-llm: the compiled model library); any string. */
  model_lib: string;
  overrides?: Record<string, unknown>;
  vram_required_MB?: number;
  low_resource_required?: boolean;
  buffer_size_required_bytes?: number;
  required_features?: string[];
  model_type?: number;
}

export interface AppConfig {
  model_list: Array<ModelRecord>;
  cacheBackend?: 'cache' | 'indexeddb' | 'cross-origin' | 'opfs';
}

/** web-llm 0.2.86's Gemma 4 ids (MLC builds of E2B): they load our default E2B GGUF. */
export const WEBLLM_GEMMA4_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  'gemma-4-E2B-it-q4f16_1-MLC': 'gemma-4-e2b-it-qat-q4_0',
  'gemma-4-E2B-it-q4f32_1-MLC': 'gemma-4-e2b-it-qat-q4_0',
});

const record = (id: string, url: string, size: number, family: string): ModelRecord => ({
  model: url,
  model_id: id,
  model_lib: 'gguf',
  // Weights plus a 4096-token f32 KV cache and activations: a planning figure, not a measurement.
  vram_required_MB: Math.round(size / 1024 / 1024) + (family === 'E4B' ? 700 : 500),
  low_resource_required: family === 'E2B',
  buffer_size_required_bytes: 134217728,
});

export const prebuiltAppConfig: AppConfig = {
  model_list: [
    ...MODEL_REGISTRY.map((e) => record(e.id, modelUrl(e), e.size, e.family)),
    ...Object.entries(WEBLLM_GEMMA4_ALIASES).map(([alias, id]) => {
      const e = MODEL_REGISTRY.find((m) => m.id === id)!;
      return record(alias, e.id, e.size, e.family);
    }),
  ],
  cacheBackend: 'indexeddb',
};

/**
 * What the worker should load for a web-llm model id: a registry id (cached, verified) when the record points at
 * one, else the record's URL. A bare URL or registry id not in the config also works.
 */
export function resolveModelId(modelId: string, appConfig: AppConfig): string {
  const alias = WEBLLM_GEMMA4_ALIASES[modelId];
  if (alias) return alias;
  if (MODEL_REGISTRY.some((e) => e.id === modelId)) return modelId;
  const rec = appConfig.model_list.find((r) => r.model_id === modelId);
  if (rec) {
    const byUrl = MODEL_REGISTRY.find((e) => modelUrl(e) === rec.model || e.id === rec.model);
    return byUrl ? byUrl.id : rec.model;
  }
  if (/^(https?:|blob:|\/|\.\.?\/)/.test(modelId) || modelId.endsWith('.gguf')) return modelId;
  throw new EngineError(
    'BAD_REQUEST',
    `Cannot find model record in appConfig for ${modelId}. Pass a GGUF URL, one of prebuiltAppConfig.model_list's model_id values, or add a record to appConfig.model_list.`,
    { modelId },
    'ModelNotFoundError',
  );
}
