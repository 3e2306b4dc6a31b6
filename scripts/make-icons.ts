// Renders public/icons/*.svg to the PNG sizes the web manifest lists, in headless Chromium (no image tools needed).
// Run: npx tsx scripts/make-icons.ts (the PNGs are committed; rerun after changing an SVG).
import { readFile, writeFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/chromium.js';

const jobs: Array<[string, string, number]> = [
  ['icon.svg', 'icon-192.png', 192],
  ['icon.svg', 'icon-512.png', 512],
  ['maskable.svg', 'maskable-512.png', 512],
];

const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  for (const [svg, png, size] of jobs) {
    const page = await browser.newPage({ viewport: { width: size, height: size } });
    const src = await readFile(`public/icons/${svg}`, 'utf8');
    await page.setContent(`<style>html,body{margin:0;background:transparent}svg{display:block;width:${size}px;height:${size}px}</style>${src}`);
    await writeFile(`public/icons/${png}`, await page.screenshot({ omitBackground: true }));
    await page.close();
    console.log(`public/icons/${png}`);
  }
} finally {
  await browser.close();
}
