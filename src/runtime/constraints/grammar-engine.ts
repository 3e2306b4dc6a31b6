// Compiles constraints with XGrammar and hands out per-request matchers. One engine per loaded vocabulary: the
// TokenizerInfo (XGrammar's preprocessed vocabulary, ~0.5 s for 262,144 tokens) is built on the first constrained
// request, and compiled grammars are cached per tool set / schema / grammar, so a repeated request compiles nothing.
import type { CompiledGrammar, GrammarCompiler, TokenizerInfo } from '@mlc-ai/web-xgrammar';
import { badRequest } from './errors.js';
import { toolCallGrammar, TOOL_CALL_OPEN, type ToolDefinition } from './gemma-tool-grammar.js';
import { substituteSpecials, type GrammarVocabulary } from './grammar-vocabulary.js';
import { TokenConstraint, type TokenConstraintOptions } from './token-constraint.js';
import type { XGrammarLoader, XGrammarModule } from './xgrammar-loader.js';

/** What a request constrains its output to (built and validated by constraintFromRequest). */
export type ConstraintSpec =
  | {
      readonly kind: 'tool_calls';
      readonly tools: readonly ToolDefinition[];
      /** tool_choice named: only this tool. */
      readonly onlyTool?: string;
      readonly parallel: boolean;
      /** tool_choice auto: free text until the model writes <|tool_call>, then the call grammar. */
      readonly triggered: boolean;
    }
  | { readonly kind: 'json'; /** JSON schema as a JSON string (web-llm's form); absent = any JSON. */ readonly schema?: string }
  | { readonly kind: 'ebnf'; readonly grammar: string }
  | { readonly kind: 'structural_tag'; readonly tag: Record<string, unknown> };

export interface CompiledConstraint {
  readonly key: string;
  readonly grammar: CompiledGrammar;
  /** Special tokens the grammar names; every other special token is removed from its masks. */
  readonly allowedSpecials: ReadonlySet<number>;
  /** For triggered constraints: the token that starts the constrained part (fed to the matcher). */
  readonly triggerId?: number;
}

export interface CompileResult {
  readonly constraint: CompiledConstraint;
  /** Seconds spent in this call (loading, vocabulary preprocessing, compiling); ~0 when cached. */
  readonly seconds: number;
  readonly cached: boolean;
}

const CACHE_LIMIT = 32;
/** Whitespace run between JSON elements, and digits of a number part: bounded, so output always ends. */
const JSON_MAX_WHITESPACE = 12;
const JSON_MAX_DIGITS = 16;

/**
 * EBNF for JSON (any object without a schema, as json_object means, or the schema's), from XGrammar's own converter
 * with three repairs found by the validity tests (@mlc-ai/web-xgrammar 0.1.27): strings with maxLength admitted raw
 * control characters, which JSON forbids; some whitespace runs and number digit runs were unbounded (random
 * weights then never finish). Any whitespace (one line or pretty-printed); strict (no keys beyond the schema).
 */
async function jsonGrammar(mod: XGrammarModule, schema: string | undefined): Promise<string> {
  const strict = schema !== undefined;
  const ebnf = await mod.Testings._jsonSchemaToEBNF(schema ?? '{"type": "object"}', true, undefined, undefined, strict, JSON_MAX_WHITESPACE);
  return ebnf
    .split(String.raw`[^"\\\r\n]`).join(String.raw`[^\0-\x1f"\\]`)
    .split(String.raw`[ \n\t]*`).join(String.raw`[ \n\t]{0,` + JSON_MAX_WHITESPACE + '}')
    .split('[0-9]*').join(`[0-9]{0,${JSON_MAX_DIGITS - 1}}`)
    .split('[0-9]+').join(`[0-9]{1,${JSON_MAX_DIGITS}}`);
}
const now = () => performance.now() / 1000;

export class GrammarEngine {
  private xg?: Promise<{ mod: XGrammarModule; info: TokenizerInfo; compiler: GrammarCompiler }>;
  private readonly cache = new Map<string, Promise<CompiledConstraint>>();

  constructor(
    readonly vocab: GrammarVocabulary,
    private readonly loader: XGrammarLoader,
  ) {}

  /** Loads XGrammar and preprocesses the vocabulary (once). */
  private ready() {
    this.xg ??= (async () => {
      const mod = await this.loader();
      const info = await mod.TokenizerInfo.createTokenizerInfo(this.vocab.encoded, 'byte_fallback', false, this.vocab.vocabSize, [...this.vocab.stopIds]);
      const compiler = await mod.GrammarCompiler.createGrammarCompiler(info, true);
      return { mod, info, compiler };
    })();
    return this.xg;
  }

  /** Compiles `spec` (or returns the cached result). BAD_REQUEST for a spec XGrammar cannot compile. */
  async compile(spec: ConstraintSpec): Promise<CompileResult> {
    const t0 = now();
    const key = JSON.stringify(spec);
    const hit = this.cache.get(key);
    if (hit) {
      // Most recently used last, so eviction drops the oldest.
      this.cache.delete(key);
      this.cache.set(key, hit);
      return { constraint: await hit, seconds: now() - t0, cached: true };
    }
    const pending = this.compileUncached(key, spec);
    this.cache.set(key, pending);
    pending.catch(() => this.cache.delete(key));
    while (this.cache.size > CACHE_LIMIT) {
      const [oldest, value] = this.cache.entries().next().value!;
      this.cache.delete(oldest);
      value.then((c) => c.grammar.dispose(), () => {});
    }
    return { constraint: await pending, seconds: now() - t0, cached: false };
  }

  private async compileUncached(key: string, spec: ConstraintSpec): Promise<CompiledConstraint> {
    const source = this.source(spec); // throws BAD_REQUEST before any wasm is loaded
    const { mod, compiler } = await this.ready();
    try {
      let grammar: CompiledGrammar;
      if (source.kind === 'ebnf') grammar = await compiler.compileGrammar(source.text ?? '');
      else if (source.kind === 'json') grammar = await compiler.compileGrammar(await jsonGrammar(mod, source.text));
      else grammar = await compiler.compileStructuralTag(source.text ?? '');
      return { key, grammar, allowedSpecials: source.specials, triggerId: source.triggerId };
    } catch (e) {
      throw badRequest(`${source.field}: XGrammar cannot compile it: ${errorText(e)}`, { field: source.field, reason: errorText(e), name: source.webllmName });
    }
  }

  /** The XGrammar input for a spec, with special-token text mapped to the tokens. */
  private source(spec: ConstraintSpec): {
    kind: 'ebnf' | 'json' | 'structural_tag';
    text: string | undefined;
    specials: Set<number>;
    field: string;
    triggerId?: number;
    webllmName?: string;
  } {
    switch (spec.kind) {
      case 'tool_calls': {
        const text = toolCallGrammar(this.vocab, spec.tools, { onlyTool: spec.onlyTool, parallel: spec.parallel });
        return { kind: 'ebnf', text, specials: new Set([48, 49, 52]), field: 'tools', triggerId: spec.triggered ? TOOL_CALL_OPEN : undefined };
      }
      case 'json':
        if (spec.schema !== undefined) {
          try {
            JSON.parse(spec.schema);
          } catch (e) {
            throw badRequest(`response_format.schema is not valid JSON: ${errorText(e)}`, { field: 'response_format.schema', reason: errorText(e), name: 'InvalidResponseFormatError' });
          }
        }
        return { kind: 'json', text: spec.schema, specials: new Set(), field: 'response_format.schema', webllmName: 'InvalidResponseFormatError' };
      case 'ebnf': {
        const { text, ids } = substituteSpecials(this.vocab, spec.grammar, true);
        return { kind: 'ebnf', text, specials: ids, field: 'response_format.grammar', webllmName: 'InvalidResponseFormatGrammarError' };
      }
      case 'structural_tag': {
        const ids = new Set<number>();
        const tag = mapStrings(spec.tag, (s, key) => {
          const r = substituteSpecials(this.vocab, s, key === 'grammar');
          r.ids.forEach((id) => ids.add(id));
          return r.text;
        });
        return { kind: 'structural_tag', text: JSON.stringify(tag), specials: ids, field: 'response_format.structural_tag', webllmName: 'InvalidResponseFormatStructuralTagError' };
      }
    }
  }

  /** A fresh matcher state for one request. */
  async start(c: CompiledConstraint, options: TokenConstraintOptions = {}): Promise<TokenConstraint> {
    const { mod } = await this.ready();
    const matcher = await mod.GrammarMatcher.createGrammarMatcher(c.grammar);
    return new TokenConstraint(matcher, this.vocab, c, options);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Copies a JSON value, mapping every string (with the key it sits under; array items take the array's key). */
function mapStrings<T>(value: T, f: (s: string, key: string | undefined) => string, key?: string): T {
  if (typeof value === 'string') return f(value, key) as T;
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, f, key)) as T;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    // json_schema values are data, not tags: left as they are.
    for (const [k, v] of Object.entries(value)) out[k] = k === 'json_schema' ? v : mapStrings(v, f, k);
    return out as T;
  }
  return value;
}
