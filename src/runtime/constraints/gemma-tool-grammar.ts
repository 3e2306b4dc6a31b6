// EBNF (XGrammar dialect) for Gemma 4's native tool calls (gemma4-io.md §3.2):
//   <|tool_call>call:NAME{key:value,...}<tool_call|>
// with only the declared names, each tool's own argument grammar from its JSON schema (declared keys in the
// template's alphabetical order, required keys present, optional ones skippable, enums and const, strings between
// <|"|> tokens honouring minLength/maxLength, integers vs numbers, booleans, null/nullable, nested objects and arrays
// with minItems/maxItems, anyOf/oneOf, local $ref), no whitespace (as the model writes it).
// XGrammar's own JSON-schema converter cannot be used here: the argument syntax is not JSON (bare keys, <|"|>
// strings). Keywords that do not change the syntax (description, title, default, examples, format, pattern,
// minimum/maximum, multipleOf, uniqueItems) are accepted and not enforced; anything that would, and cannot be
// expressed, is a BAD_REQUEST naming the tool and the field.
import { badRequest } from './errors.js';
import { SENTINEL_LEAD, ebnfLiteral, specialLiteral, type GrammarVocabulary } from './grammar-vocabulary.js';

/** The OpenAI / web-llm tool shape. */
export interface ToolDefinition {
  readonly type: 'function';
  readonly function: { readonly name: string; readonly description?: string; readonly parameters?: Record<string, unknown> };
}

export interface ToolGrammarOptions {
  /** Only this tool may be called (tool_choice {type:"function", function:{name}}). */
  readonly onlyTool?: string;
  /** false: exactly one call; true: one or more back to back (parallel_tool_calls, default true). */
  readonly parallel: boolean;
}

/** Gemma 4 special token ids the grammar names (gemma4-io.md §1.2). */
export const TOOL_CALL_OPEN = 48;
export const TOOL_CALL_CLOSE = 49;
export const STRING_DELIMITER = 52;

type Schema = Record<string, unknown> | boolean;

/** Keywords that constrain values in ways this grammar does not express; accepted, documented as not enforced. */
const IGNORED = new Set([
  'description', 'title', 'default', 'examples', 'example', 'format', 'pattern', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'uniqueItems', 'minProperties', 'maxProperties', '$schema',
  '$id', '$comment', 'readOnly', 'writeOnly', 'deprecated', 'contentEncoding', 'contentMediaType', 'strict',
]);
const HANDLED = new Set([
  'type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'maxItems',
  'minLength', 'maxLength', 'nullable', 'anyOf', 'oneOf', 'allOf', '$ref', '$defs', 'definitions',
]);
/** Longest integer / fraction / exponent digit runs: bounded so that a number always ends. */
const MAX_DIGITS = 16;
const MAX_FREE_KEY = 32;
const BAD_KEY_CHARS = /[:,{}[\]\s\x00-\x1f]/;
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

class ToolGrammarBuilder {
  private readonly rules = new Map<string, string>();
  private readonly refRules = new Map<string, string>();
  private counter = 0;
  readonly str: string;

  constructor(readonly v: GrammarVocabulary) {
    this.str = specialLiteral(v, STRING_DELIMITER);
  }

  rule(prefix: string, body: string): string {
    const name = `${prefix}_${this.counter++}`;
    this.rules.set(name, body);
    return name;
  }

  text(): string {
    return [...this.rules].map(([n, b]) => `${n} ::= ${b}`).join('\n');
  }

  /** Generic Gemma value (schema `true` / `{}`): shared rules. */
  anyValue(): string {
    if (!this.rules.has('any_value')) {
      this.rules.set('any_value', `${this.str} free_char* ${this.str} | number | "true" | "false" | "null" | any_object | any_array`);
      this.rules.set('free_char', `[^${escapeClass(SENTINEL_LEAD)}]`);
      this.rules.set('number', numberBody(false));
      this.rules.set('free_key', `[A-Za-z_] [A-Za-z0-9_]{0,${MAX_FREE_KEY - 1}}`);
      this.rules.set('any_object', `"{" (free_key ":" any_value ("," free_key ":" any_value)*)? "}"`);
      this.rules.set('any_array', `"[" (any_value ("," any_value)*)? "]"`);
    }
    return 'any_value';
  }

  /** An EBNF expression for values of `schema` at `field` (tool named for errors). */
  value(schema: Schema, field: string, tool: string, root: Record<string, unknown>): string {
    const fail = (reason: string) =>
      badRequest(`tool "${tool}": ${field}: ${reason}`, { tool, field, reason });
    if (schema === true) return this.anyValue();
    if (schema === false) throw fail('schema false allows no value');
    if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw fail('a schema must be an object');
    for (const key of Object.keys(schema)) {
      if (!HANDLED.has(key) && !IGNORED.has(key)) throw fail(`unsupported keyword "${key}"`);
    }
    const s = schema;
    const nullable = s.nullable === true;
    const orNull = (expr: string) => (nullable ? `(${expr} | "null")` : expr);

    if (typeof s.$ref === 'string') return orNull(this.ref(s.$ref, field, tool, root));
    if ('const' in s) return orNull(this.literal(s.const, `${field}.const`, tool));
    if (Array.isArray(s.enum)) {
      if (s.enum.length === 0) throw fail('enum is empty');
      return orNull(`(${s.enum.map((e, i) => this.literal(e, `${field}.enum[${i}]`, tool)).join(' | ')})`);
    }
    if ('enum' in s) throw fail('enum must be an array');
    for (const key of ['anyOf', 'oneOf'] as const) {
      if (key in s) {
        const list = s[key];
        if (!Array.isArray(list) || list.length === 0) throw fail(`${key} must be a non-empty array`);
        return orNull(`(${list.map((b, i) => this.value(b as Schema, `${field}.${key}[${i}]`, tool, root)).join(' | ')})`);
      }
    }
    if ('allOf' in s) {
      const list = s.allOf;
      if (!Array.isArray(list) || list.length !== 1) throw fail('allOf with more than one schema is not supported');
      return orNull(this.value(list[0] as Schema, `${field}.allOf[0]`, tool, root));
    }
    const type = s.type;
    if (Array.isArray(type)) {
      if (type.length === 0) throw fail('type list is empty');
      return `(${type.map((t) => this.typed(String(t), s, field, tool, root)).join(' | ')})`;
    }
    if (type === undefined) {
      // No type: infer from the structural keywords, otherwise any value.
      if ('properties' in s || 'required' in s || 'additionalProperties' in s) return orNull(this.typed('object', s, field, tool, root));
      if ('items' in s) return orNull(this.typed('array', s, field, tool, root));
      if ('minLength' in s || 'maxLength' in s) return orNull(this.typed('string', s, field, tool, root));
      return this.anyValue();
    }
    if (typeof type !== 'string') throw fail('type must be a string or a list of strings');
    return orNull(this.typed(type, s, field, tool, root));
  }

  private typed(type: string, s: Record<string, unknown>, field: string, tool: string, root: Record<string, unknown>): string {
    const fail = (reason: string) => badRequest(`tool "${tool}": ${field}: ${reason}`, { tool, field, reason });
    switch (type) {
      case 'string': {
        const min = count(s.minLength, 0, `${field}.minLength`, tool);
        const max = s.maxLength === undefined ? undefined : count(s.maxLength, 0, `${field}.maxLength`, tool);
        if (max !== undefined && max < min) throw fail(`maxLength ${max} < minLength ${min}`);
        return `${this.str} ${repeat(`[^${escapeClass(SENTINEL_LEAD)}]`, min, max)} ${this.str}`;
      }
      case 'integer':
        return numberBody(true);
      case 'number':
        return numberBody(false);
      case 'boolean':
        return '("true" | "false")';
      case 'null':
        return '"null"';
      case 'array': {
        const item = s.items === undefined ? this.anyValue() : this.value(s.items as Schema, `${field}.items`, tool, root);
        if (Array.isArray(s.items)) throw fail('tuple items (an array of schemas) are not supported');
        const itemRule = this.rule('item', item);
        const min = count(s.minItems, 0, `${field}.minItems`, tool);
        const max = s.maxItems === undefined ? undefined : count(s.maxItems, 0, `${field}.maxItems`, tool);
        if (max !== undefined && max < min) throw fail(`maxItems ${max} < minItems ${min}`);
        if (max === 0) return '"[" "]"';
        const rest = repeat(`"," ${itemRule}`, Math.max(0, min - 1), max === undefined ? undefined : max - 1);
        return min === 0 ? `"[" (${itemRule} ${rest})? "]"` : `"[" ${itemRule} ${rest} "]"`;
      }
      case 'object':
        return this.object(s, field, tool, root);
      default:
        throw fail(`unsupported type "${type}"`);
    }
  }

  private object(s: Record<string, unknown>, field: string, tool: string, root: Record<string, unknown>): string {
    const fail = (reason: string) => badRequest(`tool "${tool}": ${field}: ${reason}`, { tool, field, reason });
    const props = s.properties ?? {};
    if (typeof props !== 'object' || props === null || Array.isArray(props)) throw fail('properties must be an object');
    const required = s.required ?? [];
    if (!Array.isArray(required) || required.some((r) => typeof r !== 'string')) throw fail('required must be an array of strings');
    const keys = Object.keys(props).sort();
    for (const r of required as string[]) if (!keys.includes(r)) throw fail(`required key "${r}" is not in properties`);
    if (keys.length === 0) {
      const extra = s.additionalProperties;
      if (extra === false || (Array.isArray(required) && required.length > 0 && extra === false)) return '"{" "}"';
      const val = extra === undefined || extra === true ? this.anyValue() : this.value(extra as Schema, `${field}.additionalProperties`, tool, root);
      this.anyValue(); // defines free_key
      const kv = this.rule('kv', `free_key ":" ${val}`);
      return `"{" (${kv} ("," ${kv})*)? "}"`;
    }
    const req = new Set(required as string[]);
    const kvs = keys.map((k) => {
      if (k === '' || BAD_KEY_CHARS.test(k) || k.includes(SENTINEL_LEAD)) throw fail(`key "${k}" cannot be written bare in a Gemma call (no spaces, ':', ',', brackets)`);
      const val = this.value((props as Record<string, Schema>)[k], `${field}.properties.${k}`, tool, root);
      return this.rule('kv', `${ebnfLiteral(k + ':')} ${val}`);
    });
    // after[i]: keys i.. when something was already written (each needs a leading comma); first[i]: nothing yet.
    const n = keys.length;
    const after: string[] = new Array(n + 1);
    const first: string[] = new Array(n + 1);
    after[n] = '""';
    first[n] = '""';
    for (let i = n - 1; i >= 0; i--) {
      const a = req.has(keys[i]) ? `"," ${kvs[i]} ${after[i + 1]}` : `"," ${kvs[i]} ${after[i + 1]} | ${after[i + 1]}`;
      after[i] = this.rule('after', a);
      const f = req.has(keys[i]) ? `${kvs[i]} ${after[i + 1]}` : `${kvs[i]} ${after[i + 1]} | ${first[i + 1]}`;
      first[i] = this.rule('first', f);
    }
    return `"{" ${first[0]} "}"`;
  }

  private ref(ref: string, field: string, tool: string, root: Record<string, unknown>): string {
    const m = /^#\/(\$defs|definitions)\/([^/]+)$/.exec(ref);
    const fail = (reason: string) => badRequest(`tool "${tool}": ${field}: ${reason}`, { tool, field, reason });
    if (!m) throw fail(`only local "#/$defs/NAME" references are supported, got "${ref}"`);
    const defs = root[m[1]] as Record<string, Schema> | undefined;
    const target = defs?.[m[2]];
    if (target === undefined) throw fail(`reference "${ref}" is not defined`);
    let name = this.refRules.get(ref);
    if (!name) {
      name = `ref_${this.counter++}`;
      this.refRules.set(ref, name);
      this.rules.set(name, '""'); // placeholder so recursive references resolve to the rule name
      this.rules.set(name, this.value(target, `${m[1]}.${m[2]}`, tool, root));
    }
    return name;
  }

  /** A JSON literal (enum / const value) in Gemma syntax. */
  private literal(value: unknown, field: string, tool: string): string {
    if (typeof value === 'string') {
      if (value.includes(SENTINEL_LEAD)) throw badRequest(`tool "${tool}": ${field}: control character U+000E`, { tool, field });
      return value === '' ? `${this.str} ${this.str}` : `${this.str} ${ebnfLiteral(value)} ${this.str}`;
    }
    if (typeof value === 'number' && Number.isFinite(value)) return ebnfLiteral(String(value));
    if (typeof value === 'boolean' || value === null) return ebnfLiteral(String(value));
    if (Array.isArray(value)) return `"[" ${value.map((v, i) => this.literal(v, `${field}[${i}]`, tool)).join(' "," ')} "]"`;
    if (typeof value === 'object') {
      const keys = Object.keys(value as object).sort();
      const parts = keys.map((k) => `${ebnfLiteral(k + ':')} ${this.literal((value as Record<string, unknown>)[k], `${field}.${k}`, tool)}`);
      return `"{" ${parts.join(' "," ')} "}"`;
    }
    throw badRequest(`tool "${tool}": ${field}: unsupported literal ${String(value)}`, { tool, field });
  }
}

function count(v: unknown, dflt: number, field: string, tool: string): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw badRequest(`tool "${tool}": ${field} must be a non-negative integer`, { tool, field });
  return v;
}

/** `item` repeated min..max times (max undefined = unbounded). */
function repeat(item: string, min: number, max: number | undefined): string {
  if (max === undefined) return min === 0 ? `(${item})*` : `(${item}){${min},${min}} (${item})*`;
  if (max === 0) return '""';
  return `(${item}){${min},${max}}`;
}

function numberBody(integer: boolean): string {
  const int = `"-"? ("0" | [1-9] [0-9]{0,${MAX_DIGITS - 1}})`;
  // Two exponent digits: 1e999 would parse as Infinity, which no JSON-schema number accepts.
  return integer ? `(${int})` : `(${int} ("." [0-9]{1,${MAX_DIGITS}})? ([eE] [-+]? [0-9]{1,2})?)`;
}

const escapeClass = (ch: string) => '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0');

/** Validates the tools and returns the EBNF for their calls (root: one call, or several back to back). */
export function toolCallGrammar(v: GrammarVocabulary, tools: readonly ToolDefinition[], o: ToolGrammarOptions): string {
  if (!Array.isArray(tools) || tools.length === 0) throw badRequest('tools must be a non-empty array when a tool call is constrained', { field: 'tools' });
  const b = new ToolGrammarBuilder(v);
  const seen = new Set<string>();
  const alternatives: string[] = [];
  tools.forEach((t, i) => {
    const field = `tools[${i}]`;
    const name = t?.function?.name;
    if (t?.type !== 'function' || typeof name !== 'string') throw badRequest(`${field}: expected {type:"function", function:{name, parameters}}`, { field });
    if (!NAME.test(name)) throw badRequest(`${field}.function.name "${name}": a Gemma call name is letters, digits, "_", "-", "."`, { field: `${field}.function.name`, tool: name });
    if (seen.has(name)) throw badRequest(`${field}.function.name "${name}" is declared twice`, { field: `${field}.function.name`, tool: name });
    seen.add(name);
    if (o.onlyTool !== undefined && name !== o.onlyTool) return;
    const params = t.function.parameters;
    let args: string;
    if (params === undefined) args = '"{" "}"';
    else {
      if (typeof params !== 'object' || params === null) throw badRequest(`${field}.function.parameters must be an object`, { field: `${field}.function.parameters`, tool: name });
      const type = (params as Record<string, unknown>).type;
      if (type !== undefined && type !== 'object') throw badRequest(`${field}.function.parameters: the arguments must be an object schema (type "object"), got ${JSON.stringify(type)}`, { field: `${field}.function.parameters`, tool: name });
      args = b.value({ ...params, type: 'object' }, `${field}.function.parameters`, name, params as Record<string, unknown>);
    }
    alternatives.push(`${ebnfLiteral(name)} ${b.rule('args', args)}`);
  });
  if (o.onlyTool !== undefined && alternatives.length === 0) {
    throw badRequest(`tool_choice names "${o.onlyTool}", which is not in tools`, { field: 'tool_choice.function.name', tool: o.onlyTool });
  }
  const call = `${specialLiteral(v, TOOL_CALL_OPEN)} "call:" (${alternatives.join(' | ')}) ${specialLiteral(v, TOOL_CALL_CLOSE)}`;
  return `root ::= ${o.parallel ? 'call+' : 'call'}\ncall ::= ${call}\n${b.text()}`;
}
