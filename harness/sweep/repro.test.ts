// The export-stage reproduction ends where the job's export stage ends: with the artifact on disk,
// since saving fails on its own (torch.export.save's weight packing failed GraniteSpeech's .pt2
// after torch.export had succeeded, and a repro that stopped at the export said it did not reproduce).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PYTHON_LAUNCHER, REPO_ROOT } from '../python/paths.js';
import type { JobResult } from './job-result.js';
import type { Job } from './jobs.js';
import { reproScript } from './repro.js';

function exportFailure(backend: string): string {
  const model = { id: 'tiny-x', class: 'LlamaForCausalLM', model_type: 'llama', config: {}, seed: 0 };
  const job = { id: `tiny-x/${backend}/static`, model, backend, mode: 'static' } as unknown as Job;
  const result = {
    id: job.id, model: 'tiny-x', modelClass: 'LlamaForCausalLM', backend, mode: 'static', status: 'export-error',
    stage: 'export', errorInfo: { stage: 'export', type: 'RuntimeError', message: 'numel: integer multiplication overflow' },
    durationsMs: { total: 1 }, shapes: [],
  } as unknown as JobResult;
  return reproScript({
    job, result, runDir: '/runs/r', dir: '/runs/r/jobs/x', modelDir: '/hub/x', inputs: '/runs/r/jobs/x/inputs-sample.safetensors',
    config: { dynamic: false }, seed: 1, versions: {},
  });
}

const parses = (script: string) =>
  spawnSync(PYTHON_LAUNCHER, ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { cwd: REPO_ROOT, input: script, encoding: 'utf8' });

describe('an export-stage repro.py', () => {
  it.each([
    ['dynamo', /torch\.export\.save\(exported, os\.path\.join\(out_dir, "model\.pt2"\)\)/],
    ['executorch', /exported\.write_to_file\(file\)/],
    ['onnx', /"output_path": os\.path\.join\(out_dir, "model\.onnx"\)/],
  ])('%s: exports and writes the artifact as the job does, in valid Python', (backend, saves) => {
    const script = exportFailure(backend);
    expect(script).toMatch(saves);
    expect(script.indexOf('print("exported: the failure did not reproduce")')).toBeGreaterThan(script.search(saves));
    const parsed = parses(script);
    expect(parsed.status, parsed.stderr).toBe(0);
  });
});
