// The allure data a job's result turns into, caught by allure's own message-holding runtime in
// place of allure-vitest's for the length of each call (allureMessages, as the CLI's writer catches
// it), then the status allure-vitest would give the test for what throwIfBroken throws (allure's
// getStatusFromError, which its reporter calls).
import { Status } from 'allure-js-commons';
import { getStatusFromError, type RuntimeMessage } from 'allure-js-commons/sdk';
import { describe, expect, it } from 'vitest';
import type { JobResult } from '../sweep/job-result.js';
import type { Job } from '../sweep/jobs.js';
import { allureMessages as messagesOf, BrokenJobError, throwIfBroken } from './allure-job.js';
import { BROKEN_AT_EAGER, PARTIAL, SHAPE_MISMATCH } from './example-results.js';

const jobOf = (r: JobResult): Job => ({
  id: r.id, backend: r.backend, mode: r.mode,
  model: { id: r.model, class: r.modelClass, model_type: 'llava', task: 'image-text-to-text', seed: 0, config: {} },
});

const allureMessages = (result: JobResult) => messagesOf(jobOf(result), result);

const attachments = (messages: RuntimeMessage[]) => Object.fromEntries(messages.flatMap((m) =>
  m.type === 'attachment_content' ? [[m.data.name, Buffer.from(m.data.content, m.data.encoding).toString('utf8')]] : []));
const steps = (messages: RuntimeMessage[]) => messages.flatMap((m, i) => {
  if (m.type !== 'step_start') return [];
  const stop = messages.slice(i).find((n) => n.type === 'step_stop');
  return [`${m.data.name}: ${stop?.type === 'step_stop' ? stop.data.status : '?'}`];
});

describe('a broken job in allure', () => {
  it('attaches the traceback, the cause chain and native stderr, and marks the failing rung broken', async () => {
    const messages = await allureMessages(BROKEN_AT_EAGER);
    const files = attachments(messages);
    expect(files.traceback).toBe(BROKEN_AT_EAGER.errorInfo!.traceback);
    expect(files['cause chain']).toBe([
      '1. ValueError: Image features and image tokens do not match: tokens: 0, features 576',
      '2. IndexError: index 0 is out of bounds for dimension 0 with size 0',
    ].join('\n'));
    expect(files['native stderr (tail)']).toContain('pixel_values resized');
    expect(files.error).toMatch(/^RuntimeError at eager: eager forward of LlavaForConditionalGeneration/);
    expect(steps(messages)).toEqual(['stage checkpoint: passed', 'stage inputs: passed', 'stage eager: broken']);
  });

  it('is filed as allure\'s broken, not failed, with the Python traceback as its trace', () => {
    let thrown: unknown;
    try { throwIfBroken(BROKEN_AT_EAGER); } catch (error) { thrown = error; }
    expect(thrown).toBeInstanceOf(BrokenJobError);
    expect(getStatusFromError(thrown as Error)).toBe(Status.BROKEN);
    expect((thrown as Error).message).toBe('tiny-llava/onnx/static is broken at eager (RuntimeError): the job never reached the exporter');
    expect((thrown as Error).stack).toContain('in forward\n    special_image_mask');
    expect((thrown as Error).stack).toContain('caused by IndexError: index 0 is out of bounds');
  });

  it('stays broken when the Python error is an AssertionError', () => {
    const asserting: JobResult = { ...BROKEN_AT_EAGER, errorInfo: { ...BROKEN_AT_EAGER.errorInfo!, type: 'AssertionError' } };
    let thrown: unknown;
    try { throwIfBroken(asserting); } catch (error) { thrown = error; }
    expect(getStatusFromError(thrown as Error)).toBe(Status.BROKEN);
    expect((thrown as Error).stack).toContain('AssertionError: eager forward');
  });

  it('does not throw for jobs that reached the exporter', () => {
    expect(() => throwIfBroken(SHAPE_MISMATCH)).not.toThrow();
    expect(() => throwIfBroken(PARTIAL)).not.toThrow();
  });
});

describe('other jobs in allure', () => {
  it('a mismatch marks its failing rung failed and attaches the failing leaves', async () => {
    const messages = await allureMessages(SHAPE_MISMATCH);
    expect(steps(messages).filter((s) => s.startsWith('stage '))).toEqual([
      'stage checkpoint: passed', 'stage inputs: passed', 'stage eager: passed', 'stage export: passed', 'stage load: passed', 'stage run: passed', 'stage compare: failed',
    ]);
    expect(JSON.parse(attachments(messages)['failing leaves'])[0]).toMatchObject({ name: 'logits', problem: 'shape', expectedShape: [2, 7, 96], actualShape: [2, 1, 96] });
  });

  it('a partial job names the inputs it did not feed', async () => {
    const messages = await allureMessages(PARTIAL);
    const parameters = Object.fromEntries(messages.flatMap((m) => (m.type === 'metadata' ? (m.data.parameters ?? []).map((p) => [p.name, p.value]) : [])));
    expect(parameters).toMatchObject({ status: 'partial', 'inputs fed': 'input_ids, attention_mask', 'inputs not fed (untested)': 'pixel_values, image_sizes' });
  });
});
