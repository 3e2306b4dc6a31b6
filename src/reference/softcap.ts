// Reference of the softcap kernel: cap * tanh(z / cap).
export { softcapInPlace as softcapReference } from './math.js';
