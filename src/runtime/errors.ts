// Typed errors of the runtime (prompts, templates, tools, sessions); the engine maps them by code.

export type RuntimeErrorCode =
  | 'EMPTY_PROMPT'
  /** The rendered prompt does not fit the KV cache (details: promptTokens, contextWindowSize). */
  | 'CONTEXT_WINDOW_EXCEEDED'
  /** A request value the runtime cannot use (the API validates most things before). */
  | 'BAD_REQUEST'
  /** A tool declaration that cannot be rendered (bad name, schema that is not an object). */
  | 'BAD_TOOL'
  /** The model file's chat template failed to render this conversation. */
  | 'TEMPLATE_ERROR';

export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
