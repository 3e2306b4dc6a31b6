// Conversation -> prompt ids: the GGUF's chat template when it has one (template.ts), else the built-in renderer
// (gemma-format.ts); then tokenized by segment (Tokenizer.encodeSegments), so control tokens come only from the
// template's structure and `<bos>` appears exactly once.
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { RuntimeError } from '../errors.js';
import { renderGemmaPrompt, segmentsText } from './gemma-format.js';
import { ChatTemplate } from './template.js';
import type { ChatMessage, PromptSegment, RenderOptions } from './types.js';

export interface RenderedPrompt {
  readonly ids: number[];
  readonly segments: PromptSegment[];
  /** Which renderer produced it; 'builtin-fallback' when the file's template failed on this conversation. */
  readonly renderer: 'template' | 'builtin' | 'builtin-fallback';
  readonly warning?: string;
}

export class PromptBuilder {
  private readonly template: ChatTemplate | undefined;
  private readonly templateError: string | undefined;

  constructor(
    private readonly tokenizer: Tokenizer,
    templateSource: string | undefined,
  ) {
    if (templateSource) {
      try {
        this.template = new ChatTemplate(templateSource);
      } catch (e) {
        this.templateError = (e as Error).message;
      }
    }
  }

  get hasTemplate(): boolean {
    return this.template !== undefined;
  }

  build(messages: readonly ChatMessage[], options: RenderOptions = {}): RenderedPrompt {
    let segments: PromptSegment[];
    let renderer: RenderedPrompt['renderer'] = 'builtin';
    let warning = this.templateError;
    if (this.template) {
      try {
        segments = this.template.render(messages, options);
        renderer = 'template';
      } catch (e) {
        if (!(e instanceof RuntimeError)) throw e;
        warning = `${e.message} The built-in Gemma 4 renderer was used instead.`;
        segments = renderGemmaPrompt(messages, options);
        renderer = 'builtin-fallback';
      }
    } else {
      segments = renderGemmaPrompt(messages, options);
    }
    const ids = this.tokenizer.encodeSegments(segments);
    const bos = this.tokenizer.bosId;
    if (bos !== undefined && ids.filter((id) => id === bos).length > 1) {
      throw new RuntimeError('TEMPLATE_ERROR', 'The rendered prompt holds more than one <bos>; the chat template is not a Gemma 4 template.');
    }
    return { ids, segments, renderer, warning };
  }

  /** The prompt as one string (for tests and debugging). */
  text(messages: readonly ChatMessage[], options: RenderOptions = {}): string {
    return segmentsText(this.build(messages, options).segments);
  }
}
