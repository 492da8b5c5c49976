// Each backend is a registry entry listing the runtimes its artifact runs in. The first is compared
// with eager; every other one with the first, so two runtimes disagreeing on one file is caught
// apart from an export that is wrong everywhere.
import { join } from 'node:path';
import type { NamedTensors } from '../tensors/tensor.js';
import type { Ops } from '../worker/protocol.js';
import type { PythonWorker } from '../worker/python-worker.js';
import { byLeafName, type OnnxRunner } from './onnx-runner.js';

export type ExportInfo = Ops['export']['result'];

export interface RuntimeContext {
  worker: PythonWorker;
  onnx: OnnxRunner;
  backend: string;
  /** Reads a tensor file; the job passes one that accounts the time to its boundary cost. */
  read: (path: string) => Promise<NamedTensors>;
}

export interface Runtime {
  name: string;
  /** Runs in the harness's own process and needs only the inputs file, so a job runs it while the
   * worker computes eager and its own runtimes. */
  inHarness?: boolean;
  /** Run the artifact on the inputs file; outputs keyed by eager's leaf paths. */
  run(context: RuntimeContext, artifact: ExportInfo, inputsPath: string, outDir: string): Promise<{ outputs: NamedTensors; ms: number }>;
}

/** The artifact run by the worker with the backend's own Python runtime (torch, onnxruntime). */
function pythonRuntime(name: string): Runtime {
  return {
    name,
    async run({ worker, backend, read }, artifact, inputsPath, outDir) {
      const out = join(outDir, `${name}.safetensors`);
      const ran = await worker.request('run', { backend, artifact: artifact.artifact, inputs: inputsPath, out });
      return { outputs: await read(ran.path), ms: ran.run_ms };
    },
  };
}

const onnxruntimeNode: Runtime = {
  name: 'onnxruntime-node',
  inHarness: true,
  async run({ onnx, read }, artifact, inputsPath) {
    const feeds = await read(inputsPath);
    const start = performance.now();
    const outputs = await onnx.run(artifact.artifact, feeds);
    const ms = performance.now() - start;
    return { outputs: byLeafName(outputs, artifact.outputs ?? Object.keys(outputs), artifact.leaves ?? []), ms };
  },
};

export const BACKEND_RUNTIMES: Record<string, Runtime[]> = {
  dynamo: [pythonRuntime('torch')],
  onnx: [onnxruntimeNode, pythonRuntime('onnxruntime-python')],
  executorch: [pythonRuntime('executorch')],
};

export function runtimesFor(backend: string): Runtime[] {
  const runtimes = BACKEND_RUNTIMES[backend];
  if (!runtimes) throw new Error(`unknown backend '${backend}'; known: ${Object.keys(BACKEND_RUNTIMES).join(', ')}`);
  return runtimes;
}
