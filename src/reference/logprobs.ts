// Reference for kernels/logprobs.ts: log-probabilities under softmax(softcap(logits)) in f64, with NaN and -inf
// logits floored at -3e38 (probability 0), the top k by (value desc, id asc).

const FLOOR = -3.0e38;

export function logprobsRef(logits: ArrayLike<number>, softcap: number, token: number, k: number): { logprob: number; top: { id: number; logprob: number }[] } {
  const V = logits.length;
  const x = new Float64Array(V);
  for (let i = 0; i < V; i++) {
    let v = logits[i];
    if (softcap > 0) v = softcap * Math.tanh(Math.max(-15, Math.min(15, v / softcap)));
    x[i] = v >= FLOOR ? v : FLOOR;
  }
  let m = FLOOR;
  for (let i = 0; i < V; i++) m = Math.max(m, x[i]);
  let s = 0;
  for (let i = 0; i < V; i++) s += Math.exp(x[i] - m);
  const lse = m + Math.log(s);
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => x[b] - x[a] || a - b);
  return { logprob: token < V ? x[token] - lse : FLOOR - lse, top: order.slice(0, k).map((id) => ({ id, logprob: x[id] - lse })) };
}
