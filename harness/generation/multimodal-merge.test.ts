import { describe, expect, it } from 'vitest';
import type { Tensor } from '../tensors/tensor.js';
import { concatLastDim, dropLeadingTokens, foldToWidth, lastPosition, scatterFeatures, selectFeatures } from './multimodal-merge.js';
import { int64 } from './token-ops.js';

const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(values) });
const values = (t: Tensor) => Array.from(t.data as Float32Array);

describe('the multimodal merge in TypeScript', () => {
  it('drops the class token, joins layers along the last dim and keeps the last position', () => {
    const hidden = f32([1, 3, 2], [1, 2, 3, 4, 5, 6]);
    expect(values(dropLeadingTokens(hidden, 1))).toEqual([3, 4, 5, 6]);
    expect(concatLastDim([f32([1, 2, 1], [1, 2]), f32([1, 2, 2], [3, 4, 5, 6])])).toMatchObject({ shape: [1, 2, 3] });
    expect(values(concatLastDim([f32([1, 2, 1], [1, 2]), f32([1, 2, 2], [3, 4, 5, 6])]))).toEqual([1, 3, 4, 2, 5, 6]);
    expect(values(lastPosition(hidden))).toEqual([5, 6]);
  });

  it("selects the projector's input by the manifest's rule (drop, join) and refuses a manifest without one", () => {
    const vision = { 'hidden_states.0': f32([1, 2, 1], [1, 2]), 'hidden_states.1': f32([1, 2, 1], [3, 4]), 'hidden_states.2': f32([1, 2, 1], [5, 6]) };
    expect(values(selectFeatures(vision, { image_feature_rule: { outputs: ['hidden_states.1'], drop_leading: 1 } }))).toEqual([4]);
    expect(values(selectFeatures(vision, { image_feature_rule: { outputs: ['hidden_states.0', 'hidden_states.2'] } }))).toEqual([1, 5, 2, 6]);
    expect(() => selectFeatures(vision, { model_type: 'qwen2_vl' })).toThrow(/no image_feature_rule for model type 'qwen2_vl'/);
    expect(() => selectFeatures(vision, { image_feature_rule: { outputs: ['last_hidden_state'] } })).toThrow(/reads last_hidden_state, which the image_encoder did not return/);
  });

  it("folds an audio encoder's frames to the projector's width under the audio rule (Voxtral's reshape), and refuses rows that do not fold", () => {
    const audio = { last_hidden_state: f32([1, 2, 4], [1, 2, 3, 4, 5, 6, 7, 8]) };
    const flat = selectFeatures(audio, { audio_feature_rule: { outputs: ['last_hidden_state'], width: 8, keep_batch: false } }, 'audio_encoder');
    expect(flat.shape).toEqual([1, 8]);
    expect(selectFeatures(audio, { audio_feature_rule: { outputs: ['last_hidden_state'], width: 2, keep_batch: true } }, 'audio_encoder').shape).toEqual([1, 4, 2]);
    expect(() => selectFeatures(audio, { image_feature_rule: { outputs: ['last_hidden_state'] } }, 'audio_encoder')).toThrow(/no audio_feature_rule/);
    expect(() => foldToWidth(audio.last_hidden_state, 3, false)).toThrow(/do not fold into rows of 3/);
  });

  it('writes feature rows over the image tokens in order, and refuses a count that does not match', () => {
    const embeds = f32([1, 3, 2], [0, 0, 1, 1, 0, 0]);
    const ids = int64([1, 3], [9, 4, 9]);
    expect(values(scatterFeatures(embeds, ids, f32([2, 2], [7, 7, 8, 8]), 9))).toEqual([7, 7, 1, 1, 8, 8]);
    expect(() => scatterFeatures(embeds, ids, f32([1, 2], [7, 7]), 9)).toThrow(/2 placeholder tokens \(id 9\) but the encoder gives 1 features/);
  });
});
