// Peak memory of the browser a benchmark drives: every process below this Node process (Chromium's browser, GPU,
// renderer and utility processes), sampled while the page runs. PSS (shared pages split between the processes
// that map them) where Linux reports it, else RSS. WebGPU buffers on SwiftShader and the wasm memory of the CPU path
// both show up here (the model file itself is read over HTTP, not mapped).
import { readFileSync, readdirSync } from 'node:fs';

function children(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = byParent.get(ppid) ?? [];
      list.push(Number(name));
      byParent.set(ppid, list);
    } catch {
      /* the process ended while we looked */
    }
  }
  return byParent;
}

function processBytes(pid: number): number {
  try {
    const pss = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    if (pss) return Number(pss[1]) * 1024;
  } catch {
    /* no smaps_rollup (old kernel) or the process ended */
  }
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096;
  } catch {
    return 0;
  }
}

/** Memory of all processes descending from this one, now. NaN where /proc is missing (not Linux). */
export function descendantBytes(root = process.pid): number {
  try {
    const tree = children();
    let total = 0;
    const stack = [...(tree.get(root) ?? [])];
    while (stack.length) {
      const pid = stack.pop()!;
      total += processBytes(pid);
      stack.push(...(tree.get(pid) ?? []));
    }
    return total;
  } catch {
    return NaN;
  }
}

/** Samples descendantBytes() every `everyMs` until stopped; returns the largest sum seen. */
export function startPeakSampler(everyMs = 250): { stop(): number } {
  let peak = descendantBytes();
  const timer = setInterval(() => {
    peak = Math.max(peak, descendantBytes());
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, descendantBytes());
    },
  };
}
