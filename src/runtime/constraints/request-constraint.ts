// Turns a chat request's tools / tool_choice / parallel_tool_calls / response_format into a ConstraintSpec, with
// web-llm's validation (webllm-api.md §5 item 7, same error names in details.name) and our own for what web-llm
// does not check. Everything here runs in create(), before any token.
import { badRequest } from './errors.js';
import type { ConstraintSpec } from './grammar-engine.js';
import type { ToolDefinition } from './gemma-tool-grammar.js';

/** web-llm's ResponseFormat (schema is a JSON string; structural_tag an object or its JSON string). */
export interface ResponseFormatLike {
  readonly type?: 'text' | 'json_object' | 'grammar' | 'structural_tag' | string;
  readonly schema?: string;
  readonly grammar?: string;
  readonly structural_tag?: unknown;
}

export type ToolChoice = 'none' | 'auto' | 'required' | { readonly type: 'function'; readonly function: { readonly name: string } };

export interface ConstrainedRequestFields {
  readonly tools?: readonly ToolDefinition[] | null;
  readonly tool_choice?: ToolChoice | null;
  readonly parallel_tool_calls?: boolean | null;
  readonly response_format?: ResponseFormatLike | null;
}

/** The constraint a request asks for, or undefined for free generation. Throws BAD_REQUEST on inconsistent fields. */
export function constraintFromRequest(r: ConstrainedRequestFields): ConstraintSpec | undefined {
  const rf = r.response_format ?? undefined;
  const fromFormat = rf ? responseFormatSpec(rf) : undefined;
  const fromTools = toolSpec(r);
  if (fromFormat && fromTools) {
    throw badRequest('response_format cannot be combined with tool calls: set tool_choice "none" to get constrained text, or drop response_format', {
      field: 'response_format',
    });
  }
  return fromFormat ?? fromTools;
}

function responseFormatSpec(rf: ResponseFormatLike): ConstraintSpec | undefined {
  const type = rf.type ?? 'text';
  if (rf.schema !== undefined && rf.schema !== null && type !== 'json_object') {
    throw badRequest('JSON schema is only supported with `json_object` response format.', { field: 'response_format.schema', name: 'InvalidResponseFormatError' });
  }
  const hasGrammar = rf.grammar !== undefined && rf.grammar !== null;
  if (hasGrammar !== (type === 'grammar')) {
    throw badRequest('When ResponseFormat.type is `grammar`, ResponseFormat.grammar needs to be specified, and `grammar` may only be given with type `grammar`.', {
      field: 'response_format.grammar',
      name: 'InvalidResponseFormatGrammarError',
    });
  }
  const hasTag = rf.structural_tag !== undefined && rf.structural_tag !== null;
  if (hasTag !== (type === 'structural_tag')) {
    throw badRequest('When ResponseFormat.type is `structural_tag`, ResponseFormat.structural_tag needs to be specified, and `structural_tag` may only be given with type `structural_tag`.', {
      field: 'response_format.structural_tag',
      name: 'InvalidResponseFormatStructuralTagError',
    });
  }
  switch (type) {
    case 'text':
      return undefined;
    case 'json_object':
      if (rf.schema !== undefined && rf.schema !== null && typeof rf.schema !== 'string') {
        throw badRequest('response_format.schema must be a JSON string (JSON.stringify the schema), as web-llm takes it', {
          field: 'response_format.schema',
          name: 'InvalidResponseFormatError',
        });
      }
      return { kind: 'json', schema: rf.schema ?? undefined };
    case 'grammar':
      if (typeof rf.grammar !== 'string' || rf.grammar.trim() === '') {
        throw badRequest('response_format.grammar must be a non-empty EBNF string', { field: 'response_format.grammar', name: 'InvalidResponseFormatGrammarError' });
      }
      return { kind: 'ebnf', grammar: rf.grammar };
    case 'structural_tag': {
      let tag = rf.structural_tag;
      if (typeof tag === 'string') {
        try {
          tag = JSON.parse(tag);
        } catch (e) {
          throw badRequest(`response_format.structural_tag is not valid JSON: ${(e as Error).message}`, {
            field: 'response_format.structural_tag',
            name: 'InvalidResponseFormatStructuralTagError',
          });
        }
      }
      if (typeof tag !== 'object' || tag === null || Array.isArray(tag)) {
        throw badRequest('response_format.structural_tag must be an object ({type:"structural_tag", format:{...}} or a format)', {
          field: 'response_format.structural_tag',
          name: 'InvalidResponseFormatStructuralTagError',
        });
      }
      return { kind: 'structural_tag', tag: tag as Record<string, unknown> };
    }
    default:
      throw badRequest(`response_format.type "${type}" is not one of text, json_object, grammar, structural_tag`, { field: 'response_format.type', name: 'InvalidResponseFormatError' });
  }
}

function toolSpec(r: ConstrainedRequestFields): ConstraintSpec | undefined {
  const tools = r.tools ?? undefined;
  const choice = r.tool_choice ?? (tools && tools.length ? 'auto' : 'none');
  const parallel = r.parallel_tool_calls ?? true;
  if (typeof parallel !== 'boolean') throw badRequest('parallel_tool_calls must be a boolean', { field: 'parallel_tool_calls' });
  if (choice === 'none') return undefined;
  const named = typeof choice === 'object' && choice !== null ? choice : undefined;
  if (!named && choice !== 'auto' && choice !== 'required') {
    throw badRequest(`tool_choice must be "none", "auto", "required" or {type:"function", function:{name}}, got ${JSON.stringify(choice)}`, { field: 'tool_choice' });
  }
  if (named && (named.type !== 'function' || typeof named.function?.name !== 'string')) {
    throw badRequest('tool_choice must be {type:"function", function:{name}} to name a tool', { field: 'tool_choice' });
  }
  if (!tools || tools.length === 0) {
    if (choice === 'auto') return undefined;
    throw badRequest(`tool_choice ${JSON.stringify(choice)} needs tools`, { field: 'tool_choice' });
  }
  return { kind: 'tool_calls', tools, onlyTool: named?.function.name, parallel, triggered: choice === 'auto' };
}
