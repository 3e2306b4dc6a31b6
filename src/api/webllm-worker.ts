// The worker side of web-llm's worker engine under its name: a web-llm worker file
//   const handler = new WebWorkerMLCEngineHandler(); self.onmessage = (msg) => { handler.onmessage(msg); };
// works unchanged. The constructor builds the engine and exposes it with comlink on the worker's global scope;
// comlink listens with addEventListener, so the app's onmessage forwarding is a harmless no-op.
import * as Comlink from 'comlink';
import { Engine, toEngineError } from '../engine/engine.js';
import { installErrorTransfer } from './errors.js';

export class WebWorkerMLCEngineHandler {
  readonly engine = new Engine();
  constructor() {
    installErrorTransfer(toEngineError);
    Comlink.expose(this.engine, globalThis as unknown as Comlink.Endpoint);
  }
  /** web-llm's message entry point; comlink already receives every message. */
  onmessage(_event: unknown, _onComplete?: (value: unknown) => void, _onError?: () => void): void {}
}
