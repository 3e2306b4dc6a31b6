// Reading a tensor's bytes, or a range of its rows, from a ByteSource once the GGUF header is known.
import type { ByteSource, GgufHeader, GgufTensorInfo } from './types.js';

/** Bytes of one row (dims[0] elements) of a tensor. */
export function tensorRowBytes(tensor: GgufTensorInfo): number {
  return tensor.byteSize / tensorRowCount(tensor);
}

/** Rows in a tensor: the product of all dims but the first. */
export function tensorRowCount(tensor: GgufTensorInfo): number {
  return tensor.elementCount / (tensor.dims[0] ?? 1);
}

/** Reads a whole tensor's bytes. */
export function readTensorBytes(source: ByteSource, header: GgufHeader, tensor: GgufTensorInfo): Promise<Uint8Array> {
  return source.read(header.dataOffset + tensor.offset, tensor.byteSize);
}

/**
 * Reads rows [firstRow, firstRow + rowCount) of a tensor, a row being dims[0] elements (for the per-layer
 * embedding table [P·L, V], one row is one token's embeddings for every layer).
 */
export function readTensorRows(
  source: ByteSource,
  header: GgufHeader,
  tensor: GgufTensorInfo,
  firstRow: number,
  rowCount: number,
): Promise<Uint8Array> {
  const rows = tensorRowCount(tensor);
  if (!Number.isSafeInteger(firstRow) || !Number.isSafeInteger(rowCount) || firstRow < 0 || rowCount < 0 ||
    firstRow + rowCount > rows) {
    return Promise.reject(
      new RangeError(`Rows [${firstRow}, ${firstRow + rowCount}) are outside tensor "${tensor.name}", which has ${rows} rows.`),
    );
  }
  const rowBytes = tensorRowBytes(tensor);
  return source.read(header.dataOffset + tensor.offset + firstRow * rowBytes, rowCount * rowBytes);
}
