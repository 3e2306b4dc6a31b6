// One turn of the event loop (a macrotask). The CPU forward pass computes synchronously; without this, a worker that
// decodes on the CPU never reads its messages (interrupt, cancel, a stream's consumer going away) until the answer ends.
// Browsers: a MessageChannel round trip (tens of microseconds; setTimeout(0) is clamped to >= 4 ms when nested).
// Node: setImmediate, which also keeps the process alive while it waits (an unref'd port would let it exit).

let channel: MessageChannel | undefined;
const waiting: (() => void)[] = [];

export function yieldToEvents(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (immediate) return new Promise((resolve) => void immediate(resolve));
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
  }
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel!.port2.postMessage(0);
  });
}
