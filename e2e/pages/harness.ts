// Test page: exposes the public client API to Playwright as window.harness. Streams land in #out like an app would.
import { createEngine, type EngineClient } from '../../src/api/client.js';
import { EngineError } from '../../src/api/errors.js';
import type { GenerateRequest, LoadProgress } from '../../src/api/types.js';

let engine: EngineClient | undefined;
const out = document.getElementById('out')!;

const describe = (e: unknown) =>
  e instanceof EngineError ? { code: e.code, message: e.message, name: e.name } : { code: 'NOT_ENGINE_ERROR', message: String(e), name: (e as Error)?.name };

const harness = {
  async load(url: string, contextLength = 256) {
    engine ??= createEngine();
    const progress: LoadProgress[] = [];
    try {
      const info = await engine.load(url, { contextLength, onProgress: (p) => progress.push(p) });
      return { ok: true as const, info, phases: [...new Set(progress.map((p) => p.phase))] };
    } catch (e) {
      return { ok: false as const, error: describe(e) };
    }
  },
  async generate(request: GenerateRequest) {
    try {
      const it = engine!.generate(request);
      const deltas: string[] = [];
      let r = await it.next();
      while (!r.done) {
        deltas.push(r.value.text);
        out.textContent += r.value.text;
        r = await it.next();
      }
      return { ok: true as const, deltas, result: r.value };
    } catch (e) {
      return { ok: false as const, error: describe(e) };
    }
  },
};

(window as unknown as { harness: typeof harness }).harness = harness;
document.title = 'ready';
