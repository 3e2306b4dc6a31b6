// Renders the spec's worked examples (and the schema-shape corpus) through a Gemma 4 chat template file with the
// Jinja path and compares with the built-in renderer, byte for byte and segment for segment. The official template
// is not in the repo: pass its path, e.g. a copy of tokenizer.chat_template taken from a GGUF.
//   npx tsx scripts/check-template.ts path/to/chat_template.jinja
import { readFile } from 'node:fs/promises';
import { SCHEMA_CASES, SPEC_CASES } from '../src/runtime/chat/render-cases.js';
import { renderGemmaPrompt, segmentsText } from '../src/runtime/chat/gemma-format.js';
import { ChatTemplate } from '../src/runtime/chat/template.js';

const path = process.argv[2];
if (!path) {
  console.error('usage: tsx scripts/check-template.ts TEMPLATE.jinja');
  process.exit(2);
}
const template = new ChatTemplate(await readFile(path, 'utf8'));
let failed = 0;
const cases = [...SPEC_CASES, ...SCHEMA_CASES.map((c) => ({ name: `schema: ${c.name}`, messages: c.messages, options: c.options, expected: undefined }))];
for (const c of cases) {
  const viaTemplate = template.render(c.messages, c.options);
  const builtin = renderGemmaPrompt(c.messages, c.options);
  // Equal text is what counts (the ids are equal too: plain text is joined across segments before BPE).
  const same = segmentsText(viaTemplate) === segmentsText(builtin);
  const spec = c.expected === undefined || segmentsText(viaTemplate) === c.expected;
  if (!same || !spec) failed++;
  console.log(`${same && spec ? 'ok  ' : 'FAIL'} ${c.name}${same ? '' : ' (template != built-in)'}${spec ? '' : ' (template != spec)'}`);
  if (!same) console.log('  template:', JSON.stringify(segmentsText(viaTemplate)), '\n  builtin: ', JSON.stringify(segmentsText(builtin)));
}
console.log(`${cases.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
