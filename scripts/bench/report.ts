// Markdown tables of benchmark results (npm run bench and the real-GPU kit print the same ones).
import type { ModelMeasure, ProfileSummary } from './measure.js';

export type BenchRow = ModelMeasure & { readonly name: string; readonly mix: string };

const fmt = (v: number | undefined, d = 2) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-');

/** The summary table, one row per model, then each model's prefill lengths and per-kernel profiles. */
export function markdownReport(rows: readonly BenchRow[], options: { profileRows?: number } = {}): string {
  const out: string[] = [];
  out.push(
    '| model | decode tok/s | prefill tok/s (prompt) | warm prefill tok/s | TTFT s | load s | GPU MB | weight MB/token | dispatches/token | effective GB/s | copy GB/s | ratio |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of rows) {
    out.push(
      `| ${r.name} | ${fmt(r.decodeTokensPerSecond, 3)} | ${fmt(r.prefillTokensPerSecond)} (${r.promptTokens}) | ${fmt(r.prefillWarmTokensPerSecond)} | ${fmt(r.ttftMs / 1000, 1)} | ${fmt(r.loadMs / 1000, 1)} | ${fmt(r.gpuBytes / 1e6, 0)} | ${fmt(r.weightBytesPerToken / 1e6, 0)} | ${r.dispatchesPerToken} | ${fmt(r.effectiveGBps)} | ${fmt(r.copyGBps)} | ${fmt(r.ratioToCopy * 100, 1)} % |`,
    );
  }
  const stamped = rows.filter((r) => r.copyGBpsTimestamps !== undefined);
  if (stamped.length) {
    out.push('', `Copy kernel timed by timestamp queries (no submit overhead): ${stamped.map((r) => `${r.name} ${fmt(r.copyGBpsTimestamps)} GB/s`).join(', ')}.`);
  }
  if (rows.some((r) => r.prefill.length > 1)) {
    out.push('', 'Prefill by prompt length (cold: the first prompt of a load, pipelines compiling; warm: the same prompt again)', '');
    out.push('| model | prompt | TTFT ms | tok/s | warm TTFT ms | warm tok/s | dispatches |', '|---|---|---|---|---|---|---|');
    for (const r of rows) {
      for (const p of r.prefill) {
        out.push(`| ${r.name} | ${p.promptTokens} | ${fmt(p.ttftMs, 1)} | ${fmt(p.tokensPerSecond, 1)} | ${fmt(p.warmTtftMs, 1)} | ${fmt(p.warmTokensPerSecond, 1)} | ${p.dispatches} |`);
      }
    }
  }
  const n = options.profileRows ?? 25;
  const table = (title: string, p: ProfileSummary) => {
    out.push('', `${title}: ${fmt(p.totalMs, p.totalMs < 100 ? 3 : 0)} ms in all`, '| op | count | ms | share |', '|---|---|---|---|');
    for (const op of p.ops.slice(0, n)) out.push(`| ${op.name} | ${op.count} | ${fmt(op.ms, op.ms < 1 ? 4 : 2)} | ${fmt(op.share * 100, 1)} % |`);
  };
  for (const r of rows) {
    if (r.profile) table(`Decode step profile, ${r.name} (timestamp queries, one pass per op)`, r.profile);
    if (r.prefillProfile) table(`Prefill chunk profile, ${r.name} (${r.prefillProfile.rows} rows, layers below the first KV-shared one)`, r.prefillProfile);
  }
  return out.join('\n');
}
