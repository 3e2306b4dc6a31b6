// Resident memory of a browser's processes from /proc (Linux): the harness side of peak-memory figures, since a
// page cannot see its own process's RSS (performance.measureUserAgentSpecificMemory leaves out wasm memory
// commitments and needs isolation). Samples the process tree under Chromium's browser process.
import { readFileSync, readdirSync } from 'node:fs';

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.push({ pid: Number(name), ppid, cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ') });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Kilobytes of VmRSS of `pid` (0 when it is gone). */
function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * The pid of the Chromium browser process this Node process launched (Playwright gives no process handle), the
 * newest when there are several.
 */
export function launchedBrowserPid(parent = process.pid): number | undefined {
  const mine = processes().filter((p) => p.ppid === parent && /chrom/i.test(p.cmdline) && !p.cmdline.includes('--type='));
  return mine.at(-1)?.pid;
}

export interface MemoryPeaks {
  /** Largest RSS of one renderer process (the page and its workers, wasm memory included). */
  readonly rendererMB: number;
  /** Largest sum of RSS over the browser's whole process tree (shared pages counted in each process). */
  readonly totalMB: number;
}

/** Samples the tree under `browserPid` every `intervalMs` until stop(). */
export function sampleBrowserMemory(browserPid: number, intervalMs = 200): { stop(): MemoryPeaks } {
  let renderer = 0;
  let total = 0;
  const sample = () => {
    const all = processes();
    const tree = new Set([browserPid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of all) {
        if (tree.has(p.ppid) && !tree.has(p.pid)) {
          tree.add(p.pid);
          grew = true;
        }
      }
    }
    let sum = 0;
    for (const p of all) {
      if (!tree.has(p.pid)) continue;
      const kb = rssKb(p.pid);
      sum += kb;
      if (p.cmdline.includes('--type=renderer')) renderer = Math.max(renderer, kb);
    }
    total = Math.max(total, sum);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { rendererMB: (renderer * 1024) / 1e6, totalMB: (total * 1024) / 1e6 };
    },
  };
}
