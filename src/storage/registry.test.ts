import { describe, expect, it } from 'vitest';
import { StorageError, formatBytes } from './errors.js';
import { fetchHubFileInfo, parseHubUrl, parseLfsPointer } from './hub.js';
import { createProgressReporter, type StorageProgress } from './progress.js';
import { parseContentRange, parseUnsatisfiedRange, isRetryableStatus } from './range-response.js';
import { MODEL_REGISTRY, findModelEntry, modelUrl } from './registry.js';

describe('model registry', () => {
  it('pins every entry to an exact size and SHA-256, and a commit unless marked otherwise', () => {
    expect(MODEL_REGISTRY.length).toBeGreaterThanOrEqual(6);
    expect(new Set(MODEL_REGISTRY.map((e) => e.id)).size).toBe(MODEL_REGISTRY.length);
    for (const e of MODEL_REGISTRY) {
      expect(e.sha256, e.id).toMatch(/^[0-9a-f]{64}$/);
      expect(Number.isSafeInteger(e.size) && e.size > 2e9, e.id).toBe(true);
      if (e.revisionPinned) expect(e.revision, e.id).toMatch(/^[0-9a-f]{40}$/);
      expect(e.file, e.id).toMatch(/\.gguf$/);
      expect(e.id).toMatch(/^[a-z0-9._-]+$/);
      expect(parseHubUrl(modelUrl(e))).toEqual({ origin: 'https://huggingface.co', repo: e.repo, revision: e.revision, path: e.file });
    }
    for (const family of ['E2B', 'E4B'] as const) {
      expect(MODEL_REGISTRY.some((e) => e.family === family && e.official)).toBe(true);
    }
  });

  it('builds Hub resolve URLs', () => {
    const e = findModelEntry('gemma-4-e2b-it-qat-q4_0')!;
    expect(modelUrl(e)).toBe(
      'https://huggingface.co/google/gemma-4-E2B-it-qat-q4_0-gguf/resolve/675cff42a74c774d6cb76f76d8eacb49b48c9b93/gemma-4-E2B_q4_0-it.gguf',
    );
    expect(findModelEntry('nope')).toBeUndefined();
  });
});

describe('Hub lookups', () => {
  it('parses Hub URLs and ignores others', () => {
    expect(parseHubUrl('https://hf.co/a/b/resolve/refs%2Fpr%2F1/x/y.gguf')).toEqual({
      origin: 'https://hf.co',
      repo: 'a/b',
      revision: 'refs/pr/1',
      path: 'x/y.gguf',
    });
    expect(parseHubUrl('https://example.com/a/b/resolve/main/y.gguf')).toBeUndefined();
    expect(parseHubUrl('https://huggingface.co/a/b/blob/main/y.gguf')).toBeUndefined();
    expect(parseHubUrl('not a url')).toBeUndefined();
  });

  it('reads size and sha from the tree API (following pages) or the LFS pointer', async () => {
    const sha = 'a'.repeat(64);
    const file = parseHubUrl('https://huggingface.co/o/r/resolve/main/f.gguf')!;
    const pages: Record<string, Response> = {
      'https://huggingface.co/api/models/o/r/tree/main': new Response(JSON.stringify([{ type: 'file', path: 'README.md', size: 5 }]), {
        headers: { Link: '<https://huggingface.co/api/models/o/r/tree/main?cursor=2>; rel="next"' },
      }),
      'https://huggingface.co/api/models/o/r/tree/main?cursor=2': new Response(
        JSON.stringify([{ type: 'file', path: 'f.gguf', size: 134, lfs: { oid: sha, size: 3_000_000_000 } }]),
      ),
    };
    const f: typeof fetch = async (u) => pages[String(u)] ?? new Response('no', { status: 404 });
    expect(await fetchHubFileInfo(file, f)).toEqual({ size: 3_000_000_000, sha256: sha });
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\nsize 42\n`;
    const g: typeof fetch = async (u) => (String(u).includes('/raw/main/f.gguf') ? new Response(pointer) : new Response('x', { status: 500 }));
    expect(await fetchHubFileInfo(file, g)).toEqual({ size: 42, sha256: sha });
    expect(parseLfsPointer('hello')).toBeUndefined();
    const offline: typeof fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    expect(await fetchHubFileInfo(file, offline)).toBeUndefined();
  });
});

describe('HTTP range answers', () => {
  it('parses Content-Range strictly', () => {
    expect(parseContentRange('bytes 0-99/1000')).toEqual({ start: 0, end: 99, total: 1000 });
    expect(parseContentRange('bytes 5-9/*')).toEqual({ start: 5, end: 9, total: undefined });
    expect(parseContentRange('bytes 9-5/100')).toBeUndefined();
    expect(parseContentRange('bytes 0-100/100')).toBeUndefined();
    expect(parseContentRange(null)).toBeUndefined();
    expect(parseUnsatisfiedRange('bytes */1234')).toBe(1234);
    expect([408, 429, 500, 503].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 410, 416].some(isRetryableStatus)).toBe(false);
  });
});

describe('progress and errors', () => {
  it('throttles byte updates, always sends phase changes, and computes rate and ETA', () => {
    let t = 0;
    const seen: StorageProgress[] = [];
    const r = createProgressReporter((p) => seen.push(p), { intervalMs: 200, now: () => t });
    r.phase('downloading', 0, 10_000_000);
    for (let i = 1; i <= 20; i++) {
      t += 50;
      r.bytes(i * 100_000, 10_000_000, i * 100_000);
    }
    // 1 s at 2 MB/s: 1 phase event + about 5 byte events, not 20.
    expect(seen.length).toBeGreaterThanOrEqual(5);
    expect(seen.length).toBeLessThanOrEqual(7);
    const last = seen.at(-1)!;
    expect(last.rate).toBeCloseTo(2_000_000, -4);
    expect(last.etaSeconds).toBeGreaterThan(3);
    r.bytes(2_050_000, 10_000_000, 2_050_000);
    r.flush();
    expect(seen.at(-1)!.bytesDone).toBe(2_050_000);
    r.phase('verifying', 0, 10_000_000);
    expect(seen.at(-1)).toEqual({ phase: 'verifying', bytesDone: 0, bytesTotal: 10_000_000 });
  });

  it('formats sizes and serialises errors', () => {
    expect(formatBytes(3_349_516_256)).toBe('3.3 GB');
    expect(formatBytes(512)).toBe('512 bytes');
    expect(new StorageError('QUOTA', 'm', { a: 1 }).toJSON()).toEqual({ code: 'QUOTA', message: 'm', details: { a: 1 } });
  });
});
