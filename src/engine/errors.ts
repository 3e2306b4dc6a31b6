// Maps the typed errors of every layer to EngineError codes, by their code (never by message text). Anything
// without a known type is an engine bug and becomes INTERNAL; request validation happens at the API boundary.
import { EngineError, type EngineErrorCode } from '../api/errors.js';
import { GgufError } from '../gguf/errors.js';
import { GpuError } from '../gpu/errors.js';
import { ModelError } from '../model/errors.js';
import { RuntimeError } from '../runtime/errors.js';
import { SamplingParamsError } from '../runtime/sampling-params.js';
import { TokenizerError } from '../runtime/tokenizer/tokenizer-errors.js';
import { HttpSourceError } from '../storage/http-source.js';
import { StorageError } from '../storage/index.js';

const BY_STORAGE_CODE: Partial<Record<string, EngineErrorCode>> = {
  QUOTA: 'QUOTA',
  INTEGRITY: 'INTEGRITY',
  SIZE_MISMATCH: 'INTEGRITY',
  ABORTED: 'ABORTED',
  NETWORK: 'NETWORK',
  HTTP_STATUS: 'NETWORK',
  BAD_RESPONSE: 'NETWORK',
  NOT_GGUF: 'BAD_MODEL_FILE',
  BUSY: 'BUSY',
};

const BY_GPU_CODE: Partial<Record<string, EngineErrorCode>> = {
  NO_WEBGPU: 'NO_WEBGPU',
  NO_ADAPTER: 'NO_ADAPTER',
  DEVICE_LOST: 'DEVICE_LOST',
  OUT_OF_MEMORY: 'OUT_OF_MEMORY',
};

const BY_MODEL_CODE: Partial<Record<string, EngineErrorCode>> = {
  NON_FINITE_LOGITS: 'NON_FINITE_LOGITS',
  UNSUPPORTED_OPTION: 'UNSUPPORTED',
};

const BY_RUNTIME_CODE: Record<string, EngineErrorCode> = {
  EMPTY_PROMPT: 'BAD_REQUEST',
  CONTEXT_WINDOW_EXCEEDED: 'CONTEXT_FULL',
  BAD_REQUEST: 'BAD_REQUEST',
  BAD_TOOL: 'BAD_REQUEST',
  TEMPLATE_ERROR: 'BAD_MODEL_FILE',
};

/** web-llm's error class names for the codes it has one for (apps test err.name). */
const WEBLLM_NAMES: Partial<Record<string, string>> = {
  CONTEXT_WINDOW_EXCEEDED: 'ContextWindowSizeExceededError',
  NO_WEBGPU: 'WebGPUNotAvailableError',
  DEVICE_LOST: 'DeviceLostError',
};

export function toEngineError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  if (e instanceof GgufError) {
    const unsupported = e.code === 'UNSUPPORTED_TENSOR_TYPE' || e.code === 'UNSUPPORTED_ARCHITECTURE';
    return new EngineError(unsupported ? 'UNSUPPORTED_MODEL' : 'BAD_MODEL_FILE', e.message, { ggufCode: e.code, ...e.details });
  }
  if (e instanceof TokenizerError) return new EngineError('BAD_MODEL_FILE', e.message, { tokenizerCode: e.code });
  if (e instanceof HttpSourceError) return new EngineError('NETWORK', e.message, { httpCode: e.code, ...e.details });
  if (e instanceof StorageError) return new EngineError(BY_STORAGE_CODE[e.code] ?? 'STORAGE', e.message, { storageCode: e.code, ...e.details });
  if (e instanceof GpuError) {
    return new EngineError(BY_GPU_CODE[e.code] ?? 'INTERNAL', e.message, { gpuCode: e.code, ...e.details }, WEBLLM_NAMES[e.code]);
  }
  if (e instanceof ModelError) return new EngineError(BY_MODEL_CODE[e.code] ?? 'INTERNAL', e.message, { modelCode: e.code, ...e.details });
  if (e instanceof RuntimeError) {
    return new EngineError(BY_RUNTIME_CODE[e.code], e.message, { runtimeCode: e.code, ...e.details }, WEBLLM_NAMES[e.code]);
  }
  if (e instanceof SamplingParamsError) return new EngineError('BAD_REQUEST', e.message, { field: e.field });
  const err = e as Error;
  return new EngineError('INTERNAL', `Internal error (please report it): ${err?.message ?? String(e)}`, { name: err?.name });
}
