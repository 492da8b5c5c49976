import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PYTHON_LAUNCHER } from '../python/paths.js';
import { decodeSafetensors, encodeSafetensors, readSafetensors, SafetensorsError, writeSafetensors } from './safetensors.js';
import { bfloat16ToNumber, float16ToNumber, type NamedTensors } from './tensor.js';

const sample: NamedTensors = {
  f32: { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, 1e-8, -0]) },
  i64: { dtype: 'int64', shape: [3], data: new BigInt64Array([1n, -2n, 9007199254740993n]) },
  flag: { dtype: 'bool', shape: [2], data: new Uint8Array([1, 0]) },
  half: { dtype: 'float16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) },
  empty: { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
};

describe('safetensors', () => {
  it('round-trips every dtype in TypeScript', () => {
    const decoded = decodeSafetensors(encodeSafetensors(sample));
    expect(Object.keys(decoded).sort()).toEqual(Object.keys(sample).sort());
    for (const [name, tensor] of Object.entries(sample)) {
      expect(decoded[name].dtype).toBe(tensor.dtype);
      expect(decoded[name].shape).toEqual(tensor.shape);
      expect(Array.from(decoded[name].data as ArrayLike<unknown>)).toEqual(Array.from(tensor.data as ArrayLike<unknown>));
    }
  });

  it('is read and written by the Python safetensors library the same way', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'st-'));
    const input = join(dir, 'in.safetensors'), output = join(dir, 'out.safetensors');
    await writeSafetensors(input, sample);
    const script = [
      'import sys, torch',
      'from safetensors.torch import load_file, save_file',
      't = load_file(sys.argv[1])',
      'assert t["i64"].tolist() == [1, -2, 9007199254740993], t["i64"]',
      'assert t["flag"].dtype == torch.bool and t["half"].tolist() == [1.0, -2.0]',
      'save_file({"doubled": t["f32"] * 2, "bf16": torch.tensor([1.5, -3.0], dtype=torch.bfloat16), "mask": t["flag"]}, sys.argv[2])',
    ].join('\n');
    execFileSync(PYTHON_LAUNCHER, ['-c', script, input, output]);
    const back = await readSafetensors(output);
    expect(Array.from(back.doubled.data as Float32Array)).toEqual([2, -4, 7, 0, 2e-8, -0].map(Math.fround));
    expect(Array.from(back.bf16.data as Uint16Array).map(bfloat16ToNumber)).toEqual([1.5, -3]);
    expect(back.mask.dtype).toBe('bool');
  });

  it('decodes half precision bits', () => {
    expect(float16ToNumber(0x3c00)).toBe(1);
    expect(float16ToNumber(0x0001)).toBeCloseTo(5.96e-8, 10);
    expect(float16ToNumber(0x7c00)).toBe(Infinity);
    expect(Number.isNaN(float16ToNumber(0x7e00))).toBe(true);
  });

  it('rejects a truncated file and a data length that does not fit the shape', () => {
    const bytes = encodeSafetensors(sample);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 3), 'cut.safetensors')).toThrow(SafetensorsError);
    expect(() => encodeSafetensors({ bad: { dtype: 'float32', shape: [3], data: new Float32Array(2) } })).toThrow(/needs 12/);
  });
});
