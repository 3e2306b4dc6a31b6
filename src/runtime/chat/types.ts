// Neutral conversation types of the runtime (the engine maps OpenAI messages onto them; runtime never imports api/).

export interface TextPart {
  readonly type: 'text';
  readonly text: string;
}

export type MessageContent = string | readonly TextPart[];

export interface ToolCall {
  readonly id?: string;
  readonly name: string;
  /** Parsed arguments (an object); the template renders them in Gemma's value syntax. */
  readonly arguments: Record<string, unknown> | null;
}

export interface ToolResponse {
  readonly name: string;
  /** A parsed JSON value: an object renders as response:NAME{k:v,…}, anything else as response:NAME{value:…}. */
  readonly response: unknown;
}

export type ChatMessage =
  | { readonly role: 'system' | 'developer'; readonly content: MessageContent }
  | { readonly role: 'user'; readonly content: MessageContent }
  | {
      readonly role: 'assistant';
      readonly content?: MessageContent | null;
      /** The thought of this message (rendered only after the last user message, as the template does). */
      readonly reasoning?: string | null;
      readonly toolCalls?: readonly ToolCall[];
      /** Gemma-native results on the assistant message itself. */
      readonly toolResponses?: readonly ToolResponse[];
    }
  | {
      readonly role: 'tool';
      /** A JSON string is parsed into an object by the engine before rendering (spec §3.3); other text stays text. */
      readonly content: MessageContent | Record<string, unknown> | unknown;
      readonly toolCallId?: string;
      readonly name?: string;
    };

/** A JSON schema after normalisation (schema.ts): only the keys Gemma's declaration syntax keeps. */
export interface ToolSchema {
  readonly type: 'STRING' | 'INTEGER' | 'NUMBER' | 'BOOLEAN' | 'ARRAY' | 'OBJECT';
  readonly description?: string;
  readonly enum?: readonly string[];
  readonly items?: ToolSchema;
  readonly properties?: Readonly<Record<string, ToolSchema>>;
  readonly required?: readonly string[];
  readonly nullable?: true;
}

export interface ToolDeclaration {
  readonly name: string;
  readonly description?: string;
  /** Normalised; always type OBJECT when present. */
  readonly parameters?: ToolSchema;
}

export interface RenderOptions {
  readonly tools?: readonly ToolDeclaration[];
  readonly enableThinking?: boolean;
  /** Keep the thoughts of earlier tool-calling turns (the template's preserve_thinking). Default false. */
  readonly preserveThinking?: boolean;
  /** End with the cue for the model's answer (default true). */
  readonly addGenerationPrompt?: boolean;
}

/**
 * A piece of a rendered prompt. Structure (`special: true`) comes from the template and is tokenized with control
 * tokens recognised; text from users, tools and the system prompt (`special: false`) is tokenized as plain text, so
 * a `<|turn>` typed by a user stays text.
 */
export interface PromptSegment {
  readonly text: string;
  readonly special: boolean;
}
