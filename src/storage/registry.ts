// The curated list of Gemma 4 E2B / E4B instruction-tuned GGUF files on Hugging Face, each pinned to an exact
// size and SHA-256 (and a commit where one is known). To update: change revision, size and sha256 together,
// taken from https://huggingface.co/api/models/{repo}/tree/{revision} (`size`, `lfs.oid`); see docs/storage.md.

export interface ModelEntry {
  /** Stable cache key, lower-case, unique in the registry. */
  readonly id: string;
  /** Shown to people. */
  readonly name: string;
  readonly family: 'E2B' | 'E4B';
  /** Quantisation as the publisher names it (Q4_0, Q4_K_M, Q8_0, ...). */
  readonly quant: string;
  readonly publisher: string;
  /** Hugging Face repository, `owner/name`. */
  readonly repo: string;
  /** File path inside the repository (case-sensitive). */
  readonly file: string;
  /** Git revision: a 40-hex commit when `revisionPinned`, else a branch name (the hash still pins the bytes). */
  readonly revision: string;
  readonly revisionPinned: boolean;
  /** Exact file size in bytes. */
  readonly size: number;
  /** SHA-256 of the whole file, 64 lower-case hex digits (the LFS oid). */
  readonly sha256: string;
  /** Google's own upload. */
  readonly official: boolean;
  /** Optional download URL; default is the Hub's `resolve/` URL built from repo, revision and file. */
  readonly url?: string;
}

const HUB = 'https://huggingface.co';

/** The Hub's download URL for an entry: `https://huggingface.co/{repo}/resolve/{revision}/{file}`. */
export function modelUrl(entry: Pick<ModelEntry, 'repo' | 'revision' | 'file' | 'url'>): string {
  if (entry.url) return entry.url;
  const file = entry.file.split('/').map(encodeURIComponent).join('/');
  return `${HUB}/${entry.repo}/resolve/${encodeURIComponent(entry.revision)}/${file}`;
}

export const MODEL_REGISTRY: readonly ModelEntry[] = Object.freeze([
  {
    id: 'gemma-4-e2b-it-qat-q4_0',
    name: 'Gemma 4 E2B it (Google QAT Q4_0)',
    family: 'E2B',
    quant: 'Q4_0',
    publisher: 'Google',
    repo: 'google/gemma-4-E2B-it-qat-q4_0-gguf',
    file: 'gemma-4-E2B_q4_0-it.gguf',
    revision: '675cff42a74c774d6cb76f76d8eacb49b48c9b93',
    revisionPinned: true,
    size: 3_349_516_256,
    sha256: 'fa401b55b07ee70a54c6dae3903c783a6e65064312529ea57175cb5f8dec6634',
    official: true,
  },
  {
    id: 'gemma-4-e4b-it-qat-q4_0',
    name: 'Gemma 4 E4B it (Google QAT Q4_0)',
    family: 'E4B',
    quant: 'Q4_0',
    publisher: 'Google',
    repo: 'google/gemma-4-E4B-it-qat-q4_0-gguf',
    file: 'gemma-4-E4B_q4_0-it.gguf',
    revision: '4b4a2c1d584be7264f87aac328a1bc739ce81b6c',
    revisionPinned: true,
    size: 5_154_941_280,
    sha256: '676c35070db6dbe52f93e9c864ee0fba4eddea94b9c875d9cb10daff453fbaee',
    official: true,
  },
  {
    id: 'ggml-org-gemma-4-e2b-it-q4_0',
    name: 'Gemma 4 E2B it (ggml-org Q4_0)',
    family: 'E2B',
    quant: 'Q4_0',
    publisher: 'ggml-org',
    repo: 'ggml-org/gemma-4-E2B-it-GGUF',
    file: 'gemma-4-E2B-it-Q4_0.gguf',
    revision: 'b4243c156154b6dca9324415f8c7ccc098b4aed1',
    revisionPinned: true,
    size: 2_841_481_184,
    sha256: '8e30dff3ac4c8434c49a7036fa15564bdbb6044e42bf04550bf1a096ad7e6a52',
    official: false,
  },
  {
    id: 'ggml-org-gemma-4-e4b-it-q4_0',
    name: 'Gemma 4 E4B it (ggml-org Q4_0)',
    family: 'E4B',
    quant: 'Q4_0',
    publisher: 'ggml-org',
    repo: 'ggml-org/gemma-4-E4B-it-GGUF',
    file: 'gemma-4-E4B-it-Q4_0.gguf',
    revision: 'b8093469224f83f5c38f691eb906c380e9e63114',
    revisionPinned: true,
    size: 4_590_807_392,
    sha256: 'a555b900214b477d8880e7832e0b8925e139b0159640036b09fe472b6f2097f2',
    official: false,
  },
  {
    // No commit was recorded for this file; the size and SHA-256 still pin its bytes exactly (a re-upload
    // fails with SIZE_MISMATCH or INTEGRITY instead of caching different weights). Pin the commit when online.
    id: 'unsloth-gemma-4-e2b-it-q4_k_m',
    name: 'Gemma 4 E2B it (unsloth Q4_K_M)',
    family: 'E2B',
    quant: 'Q4_K_M',
    publisher: 'unsloth',
    repo: 'unsloth/gemma-4-E2B-it-GGUF',
    file: 'gemma-4-E2B-it-Q4_K_M.gguf',
    revision: 'main',
    revisionPinned: false,
    size: 3_106_736_256,
    sha256: '9378bc471710229ef165709b62e34bfb62231420ddaf6d729e727305b5b8672d',
    official: false,
  },
  {
    id: 'unsloth-gemma-4-e4b-it-q4_k_m',
    name: 'Gemma 4 E4B it (unsloth Q4_K_M)',
    family: 'E4B',
    quant: 'Q4_K_M',
    publisher: 'unsloth',
    repo: 'unsloth/gemma-4-E4B-it-GGUF',
    file: 'gemma-4-E4B-it-Q4_K_M.gguf',
    revision: '653803f092503c04a65164346f3208a36e707693',
    revisionPinned: true,
    size: 4_977_169_568,
    sha256: '519b9793ed6ce0ff530f1b7c96e848e08e49e7af4d57bb97f76215963a54146d',
    official: false,
  },
  {
    id: 'unsloth-gemma-4-e4b-it-q8_0',
    name: 'Gemma 4 E4B it (unsloth Q8_0)',
    family: 'E4B',
    quant: 'Q8_0',
    publisher: 'unsloth',
    repo: 'unsloth/gemma-4-E4B-it-GGUF',
    file: 'gemma-4-E4B-it-Q8_0.gguf',
    revision: '653803f092503c04a65164346f3208a36e707693',
    revisionPinned: true,
    size: 8_192_951_456,
    sha256: 'a2232a649523c36bf530f1dc3614eb8c800645c4227390381c8b05d4d6eee05a',
    official: false,
  },
] satisfies ModelEntry[]);

/** The registry entry with this id, or undefined. */
export function findModelEntry(id: string): ModelEntry | undefined {
  return MODEL_REGISTRY.find((e) => e.id === id);
}
