// One turn of the event loop (a macrotask). The CPU forward pass computes synchronously; without this, a worker that
// decodes on the CPU never reads its messages (interrupt, cancel, a stream's consumer going away) until the answer ends.
// A MessageChannel round trip costs tens of microseconds (setTimeout(0) is clamped to >= 4 ms when nested).

let channel: MessageChannel | undefined;
const waiting: (() => void)[] = [];

export function yieldToEvents(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
    // Node: an open port would keep the process alive; unref it where that exists.
    (channel.port1 as unknown as { unref?: () => void }).unref?.();
  }
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel!.port2.postMessage(0);
  });
}
