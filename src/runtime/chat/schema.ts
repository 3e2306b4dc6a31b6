// Tool schemas to the subset Gemma 4's declaration syntax renders (spec §3.1): one upper-case type plus nullable,
// type always present, anyOf/oneOf/allOf flattened, local $refs resolved, unknown keys dropped. This is what keeps
// the official template from throwing (list-valued types) or writing malformed declarations (missing type).
import { RuntimeError } from '../errors.js';
import type { ToolDeclaration, ToolSchema } from './types.js';

type Json = Record<string, unknown>;
const TYPES = ['string', 'integer', 'number', 'boolean', 'array', 'object'] as const;
type LowerType = (typeof TYPES)[number];
const MAX_DEPTH = 32;
/** Names the model can write after `call:` and that stay one word in the prompt. */
const TOOL_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function normalizeTool(fn: { name: unknown; description?: unknown; parameters?: unknown }): ToolDeclaration {
  const name = fn.name;
  if (typeof name !== 'string' || !TOOL_NAME.test(name)) {
    throw new RuntimeError('BAD_TOOL', `Tool name ${JSON.stringify(name)} is not usable: use 1-64 letters, digits, "_", "-" or ".", starting with a letter or "_".`, { name });
  }
  const description = typeof fn.description === 'string' ? fn.description : undefined;
  if (fn.parameters === undefined || fn.parameters === null) return { name, description };
  if (!isObject(fn.parameters)) throw new RuntimeError('BAD_TOOL', `Tool "${name}": parameters must be a JSON-schema object.`, { name });
  const root = fn.parameters;
  const params = normalizeSchema(root, root, 0);
  if (params.type !== 'OBJECT') {
    throw new RuntimeError('BAD_TOOL', `Tool "${name}": parameters must describe an object (type "object"), got ${params.type.toLowerCase()}.`, { name });
  }
  return { name, description, parameters: params };
}

/** One schema node to ToolSchema; `root` resolves `#/...` references. */
export function normalizeSchema(node: unknown, root: Json = {}, depth = 0): ToolSchema {
  if (depth > MAX_DEPTH) return { type: 'OBJECT' };
  if (node === true || !isObject(node)) return { type: 'STRING' };
  let s: Json = node;
  // Local references: inline the target (cycles end at MAX_DEPTH).
  if (typeof s.$ref === 'string') {
    const target = resolveRef(root, s.$ref);
    s = { ...(isObject(target) ? target : { type: 'object' }), ...withoutKey(s, '$ref') };
  }
  let nullable = false;
  // allOf: merge the branches' properties and required lists.
  if (Array.isArray(s.allOf)) {
    const merged: Json = { ...withoutKey(s, 'allOf') };
    for (const b of s.allOf) {
      if (!isObject(b)) continue;
      const nb = isObject(b) && typeof b.$ref === 'string' ? resolveRef(root, b.$ref) : b;
      if (!isObject(nb)) continue;
      merged.type ??= nb.type;
      if (isObject(nb.properties)) merged.properties = { ...(merged.properties as Json), ...nb.properties };
      if (Array.isArray(nb.required)) merged.required = [...((merged.required as unknown[]) ?? []), ...nb.required];
      merged.description ??= nb.description;
    }
    s = merged;
  }
  // anyOf / oneOf: null branches make it nullable; the first other branch gives the shape.
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = s[key];
    if (!Array.isArray(branches)) continue;
    const rest = branches.filter((b) => !(isObject(b) && (b.type === 'null' || (Array.isArray(b.type) && b.type.every((t) => t === 'null')))));
    if (rest.length < branches.length) nullable = true;
    const first = rest[0];
    const resolved = isObject(first) && typeof first.$ref === 'string' ? resolveRef(root, first.$ref) : first;
    s = { ...(isObject(resolved) ? resolved : {}), ...withoutKey(withoutKey(s, 'anyOf'), 'oneOf') };
    if (s.description === undefined && isObject(resolved) && typeof resolved.description === 'string') s.description = resolved.description;
  }
  let type: LowerType | undefined;
  const rawType = s.type;
  const types = (Array.isArray(rawType) ? rawType : rawType === undefined ? [] : [rawType]).filter((t): t is string => typeof t === 'string');
  if (types.includes('null')) nullable = true;
  type = types.map((t) => t.toLowerCase()).find((t): t is LowerType => (TYPES as readonly string[]).includes(t));
  if (s.nullable === true) nullable = true;
  const enumValues = Array.isArray(s.enum) ? s.enum : s.const !== undefined ? [s.const] : undefined;
  if (enumValues?.includes(null)) nullable = true;
  if (!type) {
    if (isObject(s.properties)) type = 'object';
    else if (s.items !== undefined) type = 'array';
    else if (enumValues && enumValues.every((v) => typeof v === 'number')) type = 'number';
    else if (enumValues && enumValues.every((v) => typeof v === 'boolean')) type = 'boolean';
    else type = 'string';
  }
  const out: {
    type: ToolSchema['type'];
    description?: string;
    enum?: string[];
    items?: ToolSchema;
    properties?: Record<string, ToolSchema>;
    required?: string[];
    nullable?: true;
  } = { type: type.toUpperCase() as ToolSchema['type'] };
  if (typeof s.description === 'string' && s.description !== '') out.description = s.description;
  if (type === 'string' && enumValues) {
    const strings = enumValues.filter((v): v is string => typeof v === 'string');
    if (strings.length > 0) out.enum = strings;
  }
  if (type === 'array' && s.items !== undefined && s.items !== false) {
    const items = Array.isArray(s.items) ? s.items[0] : s.items;
    if (items !== undefined) out.items = normalizeSchema(items, root, depth + 1);
  }
  if (type === 'object') {
    const props = isObject(s.properties) ? s.properties : {};
    const properties: Record<string, ToolSchema> = {};
    for (const [k, v] of Object.entries(props)) properties[k] = normalizeSchema(v, root, depth + 1);
    out.properties = properties;
    if (Array.isArray(s.required)) {
      const required = [...new Set(s.required.filter((r): r is string => typeof r === 'string'))];
      if (required.length > 0) out.required = required;
    }
  }
  if (nullable) out.nullable = true;
  return out;
}

function withoutKey(o: Json, key: string): Json {
  const { [key]: _drop, ...rest } = o;
  return rest;
}

function resolveRef(root: Json, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let cur: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}
