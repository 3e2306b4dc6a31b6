// Lazy loading of @mlc-ai/web-xgrammar (1.1 MB of JS with the wasm inlined): imported only when a request needs a
// constraint, once per worker. Node cannot import the package as published (a UMD file in a "type": "module"
// package); tests and scripts pass their own loader (scripts/xgrammar-node.ts).
import type * as XGrammar from '@mlc-ai/web-xgrammar';

export type XGrammarModule = Pick<typeof XGrammar, 'TokenizerInfo' | 'GrammarCompiler' | 'GrammarMatcher' | 'Testings'>;
export type XGrammarLoader = () => Promise<XGrammarModule>;

/** The bundler path (browser, worker): a dynamic import, split into its own chunk. */
export const browserXGrammarLoader: XGrammarLoader = async () => {
  const mod = (await import('@mlc-ai/web-xgrammar')) as unknown as XGrammarModule & { default?: XGrammarModule };
  // The UMD bundle may arrive as named exports or as a CommonJS default, depending on the bundler's interop.
  return mod.GrammarCompiler ? mod : mod.default!;
};
