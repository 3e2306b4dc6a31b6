// Errors that cross the worker boundary as { code, message, details } and are re-thrown as EngineError on the page.
import * as Comlink from 'comlink';

export type EngineErrorCode =
  | 'NO_WEBGPU'
  | 'NO_ADAPTER'
  | 'DEVICE_LOST'
  | 'OUT_OF_MEMORY'
  | 'BAD_MODEL_FILE'
  | 'UNSUPPORTED_MODEL'
  | 'NETWORK'
  | 'QUOTA'
  | 'INTEGRITY'
  | 'STORAGE'
  | 'NOT_LOADED'
  | 'BUSY'
  | 'BAD_REQUEST'
  /** The prompt does not fit the context window (web-llm: ContextWindowSizeExceededError). */
  | 'CONTEXT_FULL'
  | 'ABORTED'
  /** The model produced NaN/Inf logits: broken weights or a kernel fault. */
  | 'NON_FINITE_LOGITS'
  /** A request option this engine does not implement (yet). */
  | 'UNSUPPORTED'
  /** An invariant of the engine itself broke: a bug; please report it. */
  | 'INTERNAL';

export interface SerializedError {
  readonly name?: string;
  readonly code: EngineErrorCode;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/**
 * Every error the engine reports. `name` is 'EngineError', or web-llm's error class name where web-llm has one
 * (SystemMessageOrderError, ContextWindowSizeExceededError, ...), so apps that test err.name keep working.
 */
export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    name = 'EngineError',
  ) {
    super(message);
    this.name = name;
  }
  toJSON(): SerializedError {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

const isSerialized = (v: unknown): v is { __engineError: SerializedError } =>
  typeof v === 'object' && v !== null && '__engineError' in v;

/** Installs a comlink 'throw' handler that keeps code and details; call once on each side of the boundary. */
export function installErrorTransfer(toEngineError: (e: unknown) => EngineError = defaultToEngineError): void {
  Comlink.transferHandlers.set('throw', {
    canHandle: (v: unknown): v is { value: unknown } => typeof v === 'object' && v !== null && 'value' in v,
    serialize: ({ value }: { value: unknown }) => [{ __engineError: toEngineError(value).toJSON() }, []],
    deserialize: (v: unknown) => {
      if (isSerialized(v)) {
        const s = v.__engineError;
        throw new EngineError(s.code, s.message, s.details ?? {}, s.name);
      }
      throw v;
    },
  } as Comlink.TransferHandler<{ value: unknown }, unknown>);
}

export function defaultToEngineError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  const err = e as { name?: string; code?: string; message?: string; details?: Record<string, unknown> };
  return new EngineError('INTERNAL', err?.message ?? String(e), { name: err?.name, code: err?.code, ...(err?.details ?? {}) });
}
