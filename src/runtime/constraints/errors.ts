// Typed errors of constrained decoding. BAD_REQUEST: a tool schema, response_format or grammar that cannot be
// turned into a constraint (raised by create() before any token; `details` names the tool or field and the reason,
// and `details.name` the web-llm error class where web-llm has one). DEAD_END: the constraint allows no token.

export type ConstraintErrorCode = 'BAD_REQUEST' | 'DEAD_END';

export interface ConstraintErrorDetails {
  /** web-llm's error class name for the same mistake (InvalidResponseFormatError, ...), when it has one. */
  readonly name?: string;
  /** The tool whose schema is at fault. */
  readonly tool?: string;
  /** Where in the request: `tools[0].function.parameters.properties.city`, `response_format.schema`, ... */
  readonly field?: string;
  readonly reason?: string;
  readonly [key: string]: unknown;
}

export class ConstraintError extends Error {
  override readonly name = 'ConstraintError';
  constructor(
    readonly code: ConstraintErrorCode,
    message: string,
    readonly details: ConstraintErrorDetails = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details: ConstraintErrorDetails = {}): ConstraintError =>
  new ConstraintError('BAD_REQUEST', message, details);
