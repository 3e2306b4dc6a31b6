// Starts the engine worker from any page. A page of another origin may not start a worker from our URL
// (SecurityError), so there the worker is a blob: module that dynamically imports ours: it runs with the page's
// origin (its IndexedDB is the host site's), and loads our chunks from import.meta.url, which is our URL.
// The dynamic import (not a static one) lets a host CSP of `worker-src blob:` suffice (../shared/notes/embed-pwa.md §1f).
import workerUrl from '../../workers/engine.worker.ts?worker&url';

export function engineWorkerUrl(): string {
  return new URL(workerUrl, import.meta.url).href;
}

export function startEngineWorker(): Worker {
  const url = engineWorkerUrl();
  if (new URL(url).origin === location.origin) return new Worker(url, { type: 'module', name: 'gemma-engine' });
  // Messages that arrive while the import is loading are held and replayed once the engine listens.
  const source = [
    'const held = []; const hold = (e) => held.push(e); self.addEventListener("message", hold);',
    `import(${JSON.stringify(url)}).then(() => {`,
    '  self.removeEventListener("message", hold);',
    '  for (const e of held) self.dispatchEvent(new MessageEvent("message", { data: e.data, ports: [...e.ports] }));',
    '}, (e) => { setTimeout(() => { throw e; }); });',
  ].join('\n');
  const blobUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(blobUrl, { type: 'module', name: 'gemma-engine' });
  // The import has started once the worker runs; the blob URL is only needed for the first fetch.
  setTimeout(() => URL.revokeObjectURL(blobUrl), 60_000);
  return worker;
}
