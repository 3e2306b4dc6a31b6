// Reference of the bandwidth-copy kernel.
export function bandwidthCopyReference(src: Uint32Array): Uint32Array {
  return src.slice();
}
