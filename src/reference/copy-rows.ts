// Reference of the copy-rows kernel.
export function copyRowsReference(src: ArrayLike<number>, dst: Float32Array, n: number, srcOffset: number, dstOffset: number): void {
  for (let i = 0; i < n; i++) dst[dstOffset + i] = src[srcOffset + i];
}
