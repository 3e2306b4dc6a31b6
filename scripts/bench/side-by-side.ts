// One table for `npm run bench -- --backend both`: each model on WebGPU and on the CPU path, the same columns.
// Effective GB/s is the bytes a decode token reads divided by its time; the kernel column is a streaming kernel
// measured in the same run on the same backend (WebGPU: a buffer copy; CPU: a wasm SIMD read of the packed weights),
// so the ratio says how far decode is from what that backend can stream.

export interface SideBySideRow {
  readonly name: string;
  readonly backend: string;
  readonly decodeTokensPerSecond: number;
  readonly prefillTokensPerSecond: number;
  readonly promptTokens: number;
  readonly ttftMs: number;
  readonly loadMs: number;
  /** Peak memory of the browser's processes during the run (scripts/bench/peak-memory.ts). */
  readonly peakBytes: number;
  /** GPU buffers (WebGPU) or wasm memory (CPU). */
  readonly backendBytes: number;
  readonly fileBytes: number;
  readonly effectiveGBps: number;
  readonly kernelGBps: number;
  readonly kernel: string;
}

const fmt = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : '-');
const percent = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : '-');

export function sideBySideReport(rows: readonly SideBySideRow[]): string {
  const out = [
    '| model | backend | decode tok/s | prefill tok/s (prompt) | TTFT s | load s | peak MB (browser) | GPU / wasm MB | file MB | effective GB/s | kernel GB/s | ratio |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.name} | ${r.backend} | ${fmt(r.decodeTokensPerSecond, 3)} | ${fmt(r.prefillTokensPerSecond)} (${r.promptTokens}) | ${fmt(r.ttftMs / 1000, 1)} | ${fmt(r.loadMs / 1000, 1)} | ${fmt(r.peakBytes / 1e6, 0)} | ${fmt(r.backendBytes / 1e6, 0)} | ${fmt(r.fileBytes / 1e6, 0)} | ${fmt(r.effectiveGBps)} | ${fmt(r.kernelGBps)} (${r.kernel}) | ${percent(r.effectiveGBps / r.kernelGBps)} |`,
    );
  }
  out.push('', 'peak MB: the largest sum of PSS over the browser processes, sampled every 250 ms from before the load to the last decode step.');
  return out.join('\n');
}
