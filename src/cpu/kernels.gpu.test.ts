// The CPU kernels' table-driven tests again, in headless Chromium (the gpu project is the browser one): the same
// cases as kernels.test.ts, small-ops.test.ts and sample.test.ts in Node, so both engines' wasm SIMD (relaxed and
// plain) are checked against the references.
import './kernels.test.js';
import './small-ops.test.js';
import './sample.test.js';
