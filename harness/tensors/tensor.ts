// The harness's in-memory tensor: what safetensors files, the Python worker and onnxruntime-node
// exchange. Half-precision values stay as raw bits (Node 20 has no Float16Array).

export type DType =
  | 'float64' | 'float32' | 'float16' | 'bfloat16'
  | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export type TensorData =
  | Float64Array | Float32Array | Uint16Array
  | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface Tensor {
  dtype: DType;
  shape: number[];
  data: TensorData;
}

export type NamedTensors = Record<string, Tensor>;

interface DTypeInfo {
  bytes: number;
  view: (buffer: ArrayBuffer) => TensorData;
}

export const DTYPES: Record<DType, DTypeInfo> = {
  float64: { bytes: 8, view: (b) => new Float64Array(b) },
  float32: { bytes: 4, view: (b) => new Float32Array(b) },
  float16: { bytes: 2, view: (b) => new Uint16Array(b) },
  bfloat16: { bytes: 2, view: (b) => new Uint16Array(b) },
  int64: { bytes: 8, view: (b) => new BigInt64Array(b) },
  int32: { bytes: 4, view: (b) => new Int32Array(b) },
  int16: { bytes: 2, view: (b) => new Int16Array(b) },
  int8: { bytes: 1, view: (b) => new Int8Array(b) },
  uint8: { bytes: 1, view: (b) => new Uint8Array(b) },
  bool: { bytes: 1, view: (b) => new Uint8Array(b) },
};

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

export function isFloating(dtype: DType): boolean {
  return dtype === 'float64' || dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16';
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bfloat16ToNumber(bits: number): number {
  u32[0] = bits << 16;
  return f32[0];
}

export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Element ``i`` as a JS number, decoding half-precision bits and int64. */
export function valueAt(tensor: Tensor, i: number): number {
  const raw = tensor.data[i];
  if (tensor.dtype === 'float16') return float16ToNumber(raw as number);
  if (tensor.dtype === 'bfloat16') return bfloat16ToNumber(raw as number);
  return typeof raw === 'bigint' ? Number(raw) : (raw as number);
}
