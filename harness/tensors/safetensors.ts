// A small reader/writer for the safetensors format, the only way tensors cross the TS/Python
// boundary: 8-byte little-endian header length, a JSON header, then the raw little-endian data.
import { readFile, writeFile, mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DTYPES, elementCount, type DType, type NamedTensors, type Tensor } from './tensor.js';

const CODES: Record<string, DType> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16',
  I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};
const CODE_OF = Object.fromEntries(Object.entries(CODES).map(([code, dtype]) => [dtype, code])) as Record<DType, string>;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export class SafetensorsError extends Error {}

export function decodeSafetensors(bytes: Uint8Array, source = 'buffer'): NamedTensors {
  if (bytes.byteLength < 8) throw new SafetensorsError(`${source}: ${bytes.byteLength} bytes is too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.byteLength) throw new SafetensorsError(`${source}: header length ${headerLength} runs past the end of the file`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, HeaderEntry>;
  const dataStart = 8 + headerLength;
  const tensors: NamedTensors = {};
  for (const name of tensorOrder(header)) {
    const entry = header[name];
    const dtype = CODES[entry.dtype];
    if (!dtype) throw new SafetensorsError(`${source}: tensor '${name}' has unsupported dtype ${entry.dtype}`);
    const [begin, end] = entry.data_offsets;
    const expected = elementCount(entry.shape) * DTYPES[dtype].bytes;
    if (end - begin !== expected || dataStart + end > bytes.byteLength) {
      throw new SafetensorsError(`${source}: tensor '${name}' spans ${end - begin} bytes, its shape needs ${expected}`);
    }
    // Copy into a fresh buffer: typed arrays need their element alignment, file offsets do not give it.
    // (Uint8Array's slice copies; a Buffer's slice would only be a view into the file.)
    const copy = Uint8Array.prototype.slice.call(bytes, dataStart + begin, dataStart + end);
    tensors[name] = { dtype, shape: entry.shape, data: DTYPES[dtype].view(copy.buffer) };
  }
  return tensors;
}

// The format keeps no order (writers sort the header), but input order is the exported signature's
// order: it travels as a JSON list in the metadata, and readers on both sides restore it.
const ORDER_KEY = 'order';

function tensorOrder(header: Record<string, unknown>): string[] {
  const names = Object.keys(header).filter((name) => name !== '__metadata__');
  const stored = (header.__metadata__ as Record<string, string> | undefined)?.[ORDER_KEY];
  const order = stored ? (JSON.parse(stored) as string[]) : [];
  return order.length === names.length && order.every((name) => name in header) ? order : names;
}

export function encodeSafetensors(tensors: NamedTensors, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { ...metadata, [ORDER_KEY]: JSON.stringify(Object.keys(tensors)) } };
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, tensor] of Object.entries(tensors)) {
    checkTensor(name, tensor);
    const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
    header[name] = { dtype: CODE_OF[tensor.dtype], shape: tensor.shape, data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8); // keep the data 8-byte aligned
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.byteLength;
  for (const part of parts) {
    out.set(part, position);
    position += part.byteLength;
  }
  return out;
}

function checkTensor(name: string, tensor: Tensor): void {
  const expected = elementCount(tensor.shape) * DTYPES[tensor.dtype].bytes;
  if (tensor.data.byteLength !== expected) {
    throw new SafetensorsError(`tensor '${name}': ${tensor.data.byteLength} bytes of data for shape [${tensor.shape}] ${tensor.dtype} (needs ${expected})`);
  }
}

export async function readSafetensors(path: string): Promise<NamedTensors> {
  return decodeSafetensors(await readFile(path), path);
}

export async function writeSafetensors(path: string, tensors: NamedTensors, metadata?: Record<string, string>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const staging = `${path}.${process.pid}.tmp`;
  await writeFile(staging, encodeSafetensors(tensors, metadata));
  await rename(staging, path); // readers never see a half-written file
}
