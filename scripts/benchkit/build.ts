// npm run bench:kit [-- --out .benchkit --xz-level 6]
// Builds the real-GPU benchmark kit: a folder that runs on any x86-64 Linux machine with a Vulkan GPU and no
// Node or network (docs/benchmarks.md). Contents: this Node binary and Dawn's dawn.node, both xz-compressed; one
// esbuild bundle of scripts/benchkit/runner.ts (the project's GPU code, its WGSL inlined); Debian's Vulkan
// loader and glvnd; run.sh. Compressed binaries are cached in .cache/benchkit/ (keyed by source, size, mtime and level).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';

const MAX_KIT_BYTES = 60 * 1024 * 1024;
const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const cacheDir = join(root, '.cache/benchkit');

/** Vite's `?raw` imports (the WGSL sources) as text modules, so the bundle carries every shader inline. */
const rawImports: Plugin = {
  name: 'raw-imports',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.slice(0, -'?raw'.length)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, async (a) => ({ contents: await readFile(a.path, 'utf8'), loader: 'text' }));
  },
};

/** `xz -LEVEL` of `src` into `dst`, through a cache keyed by the source's identity. */
async function xzCached(src: string, dst: string, level: number): Promise<void> {
  const s = await stat(src);
  const key = createHash('sha256').update(`${src}:${s.size}:${s.mtimeMs}:${level}`).digest('hex').slice(0, 16);
  const cached = join(cacheDir, `${key}.xz`);
  if (!existsSync(cached)) {
    await mkdir(cacheDir, { recursive: true });
    execFileSync('sh', ['-c', `xz -T0 -${level} -c "$1" > "$2.tmp" && mv "$2.tmp" "$2"`, 'sh', src, cached], { stdio: 'inherit' });
  }
  await copyFile(cached, dst);
}

/** The shared libraries (by soname, links resolved) of Debian package `pkg`, from apt-get download, cached. */
async function debLibraries(pkg: string): Promise<{ dir: string; deb: string }> {
  const dir = join(cacheDir, 'debs', pkg);
  if (!existsSync(join(dir, 'origin'))) {
    const tmp = await mkdtemp(join(tmpdir(), 'benchkit-deb-'));
    try {
      execFileSync('apt-get', ['download', pkg], { cwd: tmp, stdio: ['ignore', 'ignore', 'inherit'] });
      const deb = (await readdir(tmp)).find((f) => f.endsWith('.deb'));
      if (!deb) throw new Error(`apt-get download ${pkg} produced no .deb`);
      execFileSync('dpkg-deb', ['-x', deb, 'x'], { cwd: tmp });
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      // Each soname link (libX.so.N) copied with the link resolved: the folder needs no symbolic links.
      execFileSync('sh', ['-c', 'for f in x/usr/lib/*/lib*.so.[0-9]; do cp -L "$f" "$1/"; done', 'sh', dir], { cwd: tmp });
      await writeFile(join(dir, 'origin'), `Debian ${deb}\n`);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  return { dir, deb: (await readFile(join(dir, 'origin'), 'utf8')).trim() };
}

async function copyLibraries(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const f of await readdir(from)) if (f.includes('.so.')) await copyFile(join(from, f), join(to, f));
}

/**
 * The Vulkan loader for machines whose system has none (Debian's libvulkan1; else this machine's own loader, else
 * the one Debian's Chromium ships), and glvnd's libGLdispatch/libGLX, which NVIDIA's Vulkan driver library links
 * against. Returns where each came from (recorded in the manifest).
 */
async function carriedLibraries(kit: string): Promise<string[]> {
  const origins: string[] = [];
  try {
    const { dir, deb } = await debLibraries('libvulkan1');
    await copyLibraries(dir, join(kit, 'vulkan'));
    origins.push(deb);
  } catch (e) {
    const local = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/chromium/libvulkan.so.1'].find((f) => existsSync(f));
    if (!local) throw new Error(`no Vulkan loader to carry: apt-get download libvulkan1 failed (${(e as Error).message}) and none is installed`);
    console.error(`benchkit: apt-get download libvulkan1 failed; carrying ${local}`);
    await mkdir(join(kit, 'vulkan'), { recursive: true });
    await copyFile(local, join(kit, 'vulkan/libvulkan.so.1'));
    origins.push(local);
  }
  for (const pkg of ['libglvnd0', 'libglx0']) {
    try {
      const { dir, deb } = await debLibraries(pkg);
      await copyLibraries(dir, join(kit, 'glvnd'));
      origins.push(deb);
    } catch (e) {
      console.error(`benchkit: ${pkg} not carried (${(e as Error).message}); NVIDIA's driver then needs the system's glvnd`);
    }
  }
  return origins;
}

async function main() {
  const { values } = parseArgs({ options: { out: { type: 'string', default: '.benchkit' }, 'xz-level': { type: 'string', default: '6' } } });
  const out = resolve(root, values.out!);
  const level = Number(values['xz-level']);
  if (!(level >= 0 && level <= 9)) throw new Error(`--xz-level must be 0..9, got ${values['xz-level']}`);
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error('the kit carries this machine\'s Node: build it on x86-64 Linux');
  const t0 = performance.now();
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });

  await build({
    entryPoints: [join(root, 'scripts/benchkit/runner.ts')],
    outfile: join(out, 'runner.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    plugins: [rawImports],
    legalComments: 'none',
    logLevel: 'warning',
  });
  const require = createRequire(import.meta.url);
  const dawn = join(dirname(require.resolve('webgpu')), 'dist/linux-x64/dawn.node');
  if (!existsSync(dawn)) throw new Error(`${dawn} is missing: the webgpu package ships it (npm ci installs it without install scripts)`);
  await xzCached(process.execPath, join(out, 'node.xz'), level);
  await xzCached(dawn, join(out, 'dawn.node.xz'), level);
  const libraries = await carriedLibraries(out);
  await copyFile(join(root, 'scripts/benchkit/run.sh'), join(out, 'run.sh'));
  await chmod(join(out, 'run.sh'), 0o755);

  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout: the manifest says so
  }
  const files: Record<string, number> = {};
  const libs = async (d: string) => (existsSync(join(out, d)) ? (await readdir(join(out, d))).map((f) => `${d}/${f}`) : []);
  for (const f of ['runner.mjs', 'node.xz', 'dawn.node.xz', ...(await libs('vulkan')), ...(await libs('glvnd')), 'run.sh']) files[f] = (await stat(join(out, f))).size;
  const total = Object.values(files).reduce((a, b) => a + b, 0);
  const manifest = { built: new Date().toISOString(), commit, node: process.version, libraries, xzLevel: level, files, totalBytes: total };
  await writeFile(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  if (total > MAX_KIT_BYTES) throw new Error(`the kit is ${(total / 2 ** 20).toFixed(1)} MiB, over its 60 MiB budget`);
  console.log(`benchkit: ${out} (${(total / 2 ** 20).toFixed(1)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  for (const [f, n] of Object.entries(files)) console.log(`  ${f} ${(n / 2 ** 20).toFixed(2)} MiB`);
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
