// A peer stays outside hf_exporters: the package never imports transformers.exporters, and its worker
// offers a peer's implementation only when the harness names the peer file at start.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../python/paths.js';
import { WorkerRequestError } from '../worker/errors.js';
import { PythonWorker } from '../worker/python-worker.js';
import { ADAPTER_FILES, PEERS_ENV, peerEnv } from './implementations.js';

const PACKAGE = join(REPO_ROOT, 'exporters', 'hf_exporters');

function pythonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? pythonFiles(join(dir, entry.name)) : entry.name.endsWith('.py') ? [join(dir, entry.name)] : []);
}

// import transformers.exporters / from transformers.exporters[.x] import / from transformers import exporters /
// importlib.import_module("transformers.exporters") / __import__("transformers.exporters")
const UPSTREAM_IMPORT =
  /^\s*(import\s+transformers\.exporters\b|from\s+transformers\.exporters\b|from\s+transformers\s+import\s+(\([^)]*|[^\n]*)\bexporters\b)|(import_module|__import__)\(\s*["']transformers\.exporters\b/m;

describe('hf_exporters is independent of the upstream peer', () => {
  it('no file under exporters/hf_exporters imports transformers.exporters', () => {
    const files = pythonFiles(PACKAGE);
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((file) => UPSTREAM_IMPORT.test(readFileSync(file, 'utf8'))).map((file) => relative(REPO_ROOT, file));
    expect(offenders).toEqual([]);
  });

  it('the pattern catches each way of importing it', () => {
    for (const line of [
      'import transformers.exporters', 'from transformers.exporters import OnnxExporter', 'from transformers.exporters.utils import get_leaf_tensors',
      'from transformers import exporters', 'from transformers import (\n    PreTrainedModel,\n    exporters,\n)', 'importlib.import_module("transformers.exporters")',
    ]) expect(UPSTREAM_IMPORT.test(`x = 1\n${line}\n`), line).toBe(true);
    for (const line of ['from transformers import AutoConfig', '# unlike transformers.exporters, ...', 'import transformers']) {
      expect(UPSTREAM_IMPORT.test(line), line).toBe(false);
    }
  });

  it('both implementations are adapters in the harness; a peer is named only in the peer environment', () => {
    expect(relative(REPO_ROOT, ADAPTER_FILES.ours)).toBe(join('harness', 'peers', 'ours_exporters.py'));
    expect(relative(REPO_ROOT, ADAPTER_FILES.upstream)).toBe(join('harness', 'peers', 'upstream_exporters.py'));
    expect(peerEnv('ours')).toEqual({});
    expect(peerEnv('upstream')).toEqual({ [PEERS_ENV]: ADAPTER_FILES.upstream });
  });

  it('no file under exporters/ imports the harness (the worker package or an adapter)', () => {
    const harnessImport = /^\s*(import|from)\s+(sweep_worker|harness)\b|(import_module|__import__)\(\s*["'](sweep_worker|harness)\b/m;
    expect(harnessImport.test('from sweep_worker.ops import OPS')).toBe(true);
    const files = pythonFiles(join(REPO_ROOT, 'exporters'));
    const offenders = files.filter((file) => harnessImport.test(readFileSync(file, 'utf8'))).map((file) => relative(REPO_ROOT, file));
    expect(offenders).toEqual([]);
  });
});

describe('the worker offers a peer only when asked to load it', () => {
  const workers: PythonWorker[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
  });

  async function exportError(env: Record<string, string>): Promise<WorkerRequestError> {
    const worker = new PythonWorker({ env });
    workers.push(worker);
    // the implementation is checked before the model handle or inputs, so none are needed
    const error = await worker.request('export', { model: 'none', backend: 'onnx', inputs: '/none', out_dir: '/none', implementation: 'upstream' })
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerRequestError);
    expect((await worker.request('hello', {})).pid).toBe(worker.pid); // still serving
    return error as WorkerRequestError;
  }

  it('refuses implementation upstream without the peer loaded, naming the known ones and how to load it', async () => {
    const [plain, broken] = await Promise.all([
      exportError({ [PEERS_ENV]: '' }),
      exportError({ [PEERS_ENV]: join(REPO_ROOT, 'harness', 'peers', 'no-such-peer.py') }),
    ]);
    for (const error of [plain, broken]) {
      expect(error.kind).toBe('input');
      expect(error.message).toMatch(/unknown implementation 'upstream' for backend 'onnx'; known: ours\./);
      expect(error.message).toContain(PEERS_ENV);
      expect(error.message).toContain('--implementation upstream');
    }
    expect(broken.message).toMatch(/no-such-peer\.py' failed to load: FileNotFoundError/);
  });
});
