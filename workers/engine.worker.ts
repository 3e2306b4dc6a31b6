// The engine worker: builds the Engine and exposes it to the page with comlink.
import * as Comlink from 'comlink';
import { installErrorTransfer } from '../src/api/errors.js';
import { Engine, toEngineError } from '../src/engine/engine.js';

installErrorTransfer(toEngineError);
Comlink.expose(new Engine());
