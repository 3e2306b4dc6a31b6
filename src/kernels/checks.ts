// Argument checks shared by kernel binders: shapes must be positive integers and buffers large enough.

/** Throws RangeError unless `value` is an integer >= min. */
export function requireInt(kernel: string, name: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${kernel}: ${name} must be an integer >= ${min}, got ${value}`);
  }
}

/** Throws RangeError when `buffer` holds fewer than `elements` 4-byte values. */
export function requireElements(kernel: string, name: string, buffer: GPUBuffer, elements: number): void {
  if (buffer.size < elements * 4) {
    throw new RangeError(`${kernel}: ${name} needs ${elements} 4-byte elements (${elements * 4} bytes), the buffer has ${buffer.size}`);
  }
}
