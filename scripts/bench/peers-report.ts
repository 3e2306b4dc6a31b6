// The results of `npm run bench:peers`: one Run per engine, model, page mode and repetition; medians per group; and
// the Markdown table with ours/wllama for decode and prefill (a failed engine shows "failed: <reason>").

export type Engine = 'ours' | 'wllama';

export interface Run {
  model: string;
  engine: Engine;
  isolated: boolean;
  rep: number;
  ok: boolean;
  error?: string;
  /** What the page reported (globalThis.crossOriginIsolated), next to what was asked for. */
  pageIsolated?: boolean;
  threads?: number;
  decodeTokensPerSecond?: number;
  prefillTokensPerSecond?: number;
  loadSeconds?: number;
  promptTokens?: number;
  decodeTokens?: number;
  detail: Record<string, unknown>;
}

export interface Summary {
  model: string;
  isolated: boolean;
  engine: Engine;
  /** Runs that gave numbers (the medians are over these). */
  runs: number;
  /** Every run failed: the first one's reason. */
  failed?: string;
  /** Runs of the group that failed while others gave numbers. */
  failedRuns?: number;
  threads?: number;
  promptTokens?: number;
  decodeTokensPerSecond?: number;
  prefillTokensPerSecond?: number;
  loadSeconds?: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function summarize(runs: readonly Run[]): Summary[] {
  const out: Summary[] = [];
  for (const key of new Set(runs.map((r) => `${r.model}|${r.isolated}|${r.engine}`))) {
    const group = runs.filter((r) => `${r.model}|${r.isolated}|${r.engine}` === key);
    const ok = group.filter((r) => r.ok);
    const { model, isolated, engine } = group[0];
    if (!ok.length) {
      out.push({ model, isolated, engine, runs: group.length, failed: group[0].error });
      continue;
    }
    const m = (f: (r: Run) => number | undefined) => median(ok.map((r) => f(r) ?? NaN));
    out.push({
      model,
      isolated,
      engine,
      runs: ok.length,
      ...(ok.length < group.length ? { failedRuns: group.length - ok.length } : {}),
      threads: ok[0].threads,
      promptTokens: ok[0].promptTokens,
      decodeTokensPerSecond: m((r) => r.decodeTokensPerSecond),
      prefillTokensPerSecond: m((r) => r.prefillTokensPerSecond),
      loadSeconds: m((r) => r.loadSeconds),
    });
  }
  return out;
}

export function markdownTable(summary: readonly Summary[]): string {
  const f = (v: number | undefined, d = 2) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));
  const lines = [
    '| model | page | ours threads | wllama threads | ours decode tok/s | wllama decode tok/s | decode ours/wllama | ours prefill tok/s | wllama prefill tok/s | prefill ours/wllama | ours load s | wllama load s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const notes: string[] = [];
  for (const key of new Set(summary.map((s) => `${s.model}|${s.isolated}`))) {
    const [model, isolated] = key.split('|');
    const ours = summary.find((s) => `${s.model}|${s.isolated}` === key && s.engine === 'ours');
    const peer = summary.find((s) => `${s.model}|${s.isolated}` === key && s.engine === 'wllama');
    // A failed engine shows its reason once, in the decode column.
    const cell = (s: Summary | undefined, v: number | undefined, d = 2) => (!s ? 'not run' : s.failed ? '-' : f(v, d));
    const decode = (s: Summary | undefined) => (s?.failed ? `failed: ${s.failed.replace(/\|/g, '/')}` : cell(s, s?.decodeTokensPerSecond));
    const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${f(a / b)}x` : '-');
    lines.push(
      `| ${model} | ${isolated === 'true' ? 'cross-origin isolated' : 'not isolated'} | ${cell(ours, ours?.threads, 0)} | ${cell(peer, peer?.threads, 0)} | ` +
        `${decode(ours)} | ${decode(peer)} | ${ratio(ours?.decodeTokensPerSecond, peer?.decodeTokensPerSecond)} | ` +
        `${cell(ours, ours?.prefillTokensPerSecond)} | ${cell(peer, peer?.prefillTokensPerSecond)} | ${ratio(ours?.prefillTokensPerSecond, peer?.prefillTokensPerSecond)} | ` +
        `${cell(ours, ours?.loadSeconds, 1)} | ${cell(peer, peer?.loadSeconds, 1)} |`,
    );
    if (ours?.promptTokens && peer?.promptTokens && ours.promptTokens !== peer.promptTokens) {
      notes.push(`${model}: prompt lengths differ (ours ${ours.promptTokens}, wllama ${peer.promptTokens} tokens).`);
    }
  }
  return [...lines, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

