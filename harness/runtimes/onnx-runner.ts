// Runs .onnx artifacts in onnxruntime-node, the way a JavaScript consumer would: loaded from the
// file path (so the .onnx_data sidecar resolves), fed typed arrays, outputs read back by name.
// No concurrency bound here (p-limit bounds hub downloads, hub-download.ts): onnxruntime-node 1.30
// creates a session and runs it synchronously on the main thread (its backend.js defers each call
// with setImmediate and the binding returns no promise), so runs never overlap, and the sessions alive
// at once are the running jobs' own, released when each job ends (run-job.ts).
import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import ort from 'onnxruntime-node';
import type { DType, NamedTensors, Tensor, TensorData } from '../tensors/tensor.js';

const ORT_TYPE: Partial<Record<DType, ort.Tensor.Type>> = {
  float64: 'float64', float32: 'float32', float16: 'float16',
  int64: 'int64', int32: 'int32', int16: 'int16', int8: 'int8', uint8: 'uint8', bool: 'bool',
};
const DTYPE_OF = Object.fromEntries(Object.entries(ORT_TYPE).map(([dtype, type]) => [type, dtype])) as Record<string, DType>;

export class OnnxRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxRunError';
  }
}

function toOrt(name: string, tensor: Tensor, model: string): ort.Tensor {
  const type = ORT_TYPE[tensor.dtype];
  if (!type) throw new OnnxRunError(`${model}: input '${name}' is ${tensor.dtype}, which onnxruntime-node cannot take; export with float32 or float16 inputs.`);
  return new ort.Tensor(type, tensor.data as ort.Tensor.DataType, tensor.shape);
}

function fromOrt(tensor: ort.Tensor): Tensor {
  const dtype = DTYPE_OF[tensor.type];
  if (!dtype) throw new OnnxRunError(`onnxruntime-node returned a ${tensor.type} output, which the harness cannot compare`);
  // Uint8Array for bool and the bits for float16 are what ORT hands back already.
  return { dtype, shape: [...tensor.dims], data: tensor.data as TensorData };
}

export interface OnnxRunnerOptions {
  /** Threads per session; 1 keeps parallel workers from oversubscribing the cores. */
  intraOpNumThreads?: number;
}

export class OnnxRunner {
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  constructor(private readonly options: OnnxRunnerOptions = {}) {}

  /** The cached session for ``path``, created from the file path on first use. */
  session(path: string): Promise<ort.InferenceSession> {
    let session = this.sessions.get(path);
    if (!session) {
      session = this.create(path);
      this.sessions.set(path, session);
      session.catch(() => this.sessions.delete(path));
    }
    return session;
  }

  private async create(path: string): Promise<ort.InferenceSession> {
    if (!existsSync(path)) throw new OnnxRunError(`ONNX model '${path}' does not exist; export it first.`);
    try {
      return await ort.InferenceSession.create(path, { intraOpNumThreads: this.options.intraOpNumThreads ?? 1, graphOptimizationLevel: 'all' });
    } catch (error) {
      const message = (error as Error).message;
      const missing = /External data path does not exist: "?([^"\n]+)"?/.exec(message);
      if (missing) {
        throw new OnnxRunError(
          `${path}: its external data file '${basename(missing[1])}' is missing from ${dirname(path)}; keep the .onnx_data file next to the .onnx (copy it, or export again).`,
        );
      }
      throw new OnnxRunError(`${path}: onnxruntime-node cannot load it: ${message}`);
    }
  }

  /** Run ``path`` on ``feeds`` (by input name); returns the requested outputs (default: all) by name. */
  async run(path: string, feeds: NamedTensors, outputNames?: string[]): Promise<NamedTensors> {
    const session = await this.session(path);
    const model = basename(path);
    const wanted = outputNames ?? [...session.outputNames];
    const unknownOutputs = wanted.filter((name) => !session.outputNames.includes(name));
    if (unknownOutputs.length) {
      throw new OnnxRunError(`${model} has no output ${unknownOutputs.map((n) => `'${n}'`).join(', ')}; its outputs are ${session.outputNames.join(', ')}.`);
    }
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const meta of session.inputMetadata) {
      const tensor = feeds[meta.name];
      if (!tensor) throw new OnnxRunError(`${model} needs input '${meta.name}', which was not given; given: ${Object.keys(feeds).join(', ') || 'none'}.`);
      if (meta.isTensor && ORT_TYPE[tensor.dtype] !== meta.type) {
        throw new OnnxRunError(`${model}: input '${meta.name}' must be ${meta.type}, got ${tensor.dtype}; convert it before running.`);
      }
      ortFeeds[meta.name] = toOrt(meta.name, tensor, model);
    }
    const unknownInputs = Object.keys(feeds).filter((name) => !session.inputNames.includes(name));
    if (unknownInputs.length) {
      throw new OnnxRunError(`${model} has no input ${unknownInputs.map((n) => `'${n}'`).join(', ')}; its inputs are ${session.inputNames.join(', ')}.`);
    }
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await session.run(ortFeeds, wanted);
    } catch (error) {
      // The artifact rejecting its inputs (a dim exported as static) is a result of the job, not a crash of the worker.
      throw new OnnxRunError(`${model}: onnxruntime-node failed to run it: ${(error as Error).message}`);
    }
    return Object.fromEntries(wanted.map((name) => [name, fromOrt(results[name])]));
  }

  async release(path: string): Promise<void> {
    const session = this.sessions.get(path);
    this.sessions.delete(path);
    await (await session?.catch(() => undefined))?.release();
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.keys()].map((path) => this.release(path)));
  }
}

/** Rename ONNX outputs to the eager leaf paths they stand for (names may differ for caches). */
export function byLeafName(outputs: NamedTensors, onnxNames: string[], leaves: string[]): NamedTensors {
  return Object.fromEntries(onnxNames.map((name, index) => [leaves[index] ?? name, outputs[name]]));
}

