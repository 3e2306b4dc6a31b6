// Loads @mlc-ai/web-xgrammar in Node. The package ships a UMD file under "type": "module", so Node's ESM loader
// runs it without `require`/`exports` and it fails; evaluated as CommonJS (its UMD branch) it works. Tests and
// benchmarks only; the browser imports it normally (src/runtime/constraints/xgrammar-loader.ts).
import { readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { XGrammarLoader, XGrammarModule } from '../src/runtime/constraints/xgrammar-loader.js';

let loaded: XGrammarModule | undefined;

export const nodeXGrammarLoader: XGrammarLoader = async () => {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const path = require.resolve('@mlc-ai/web-xgrammar');
  // Its one dynamic import (`await import('module')`, for createRequire) is handed in: code evaluated this way has
  // no dynamic-import loader under vitest.
  const source = readFileSync(path, 'utf8').replace("await import('module')", '__nodeModule');
  const run = new Function('exports', 'module', 'require', '__filename', '__dirname', '__nodeModule', source);
  const module = { exports: {} as XGrammarModule };
  run(module.exports, module, require, path, dirname(path), nodeModule);
  loaded = module.exports;
  return loaded;
};
