// The intermediate pin sets of a bisect: which direct requirements moved, the requirements of a set
// that moves some of them, the order sets are tried in, and uv's reason when one does not resolve.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../python/paths.js';
import { directNames, intermediateName, intermediateRequirements, movesNamedIn, pinMoves, resolutionConflict, resolvedPins, subsetsSmallestFirst, type PinSetText } from './pin-moves.js';

const header = '# a pin set\n# Regenerate: ...\n# python: 3.11\n';
const base: PinSetText = {
  name: 'base',
  in: 'torch==2.12.0\nonnxscript==0.7.0\nTransformers==5.16.1\nonnxruntime\n# a comment\n',
  txt: `${header}filelock==3.20.0\nonnx==1.21.0\nonnxruntime==1.32.0\nonnxscript==0.7.0\ntorch==2.12.0\ntransformers==5.16.1\n`,
};
const next: PinSetText = {
  name: 'next',
  in: 'torch==2.13.0\nonnxscript==0.7.2\ntransformers==5.16.1\nonnxruntime\n',
  txt: `${header}filelock==3.21.0\nonnx==1.23.2\nonnxruntime==1.32.0\nonnxscript==0.7.2\ntorch==2.13.0\ntransformers==5.16.1\n`,
};

describe('pin moves', () => {
  it('reads resolved pins and direct requirements with PyPI names normalized', () => {
    expect(resolvedPins(base.txt).get('onnxruntime')).toBe('1.32.0');
    expect(resolvedPins('Foo_Bar[extra]==1.0 ; python_version > "3"\n').get('foo-bar')).toBe('1.0');
    expect(directNames(base.in!)).toEqual(['torch', 'onnxscript', 'transformers', 'onnxruntime']);
  });

  it('moves only the direct requirements whose resolved version differs, in the .in order', () => {
    const moves = pinMoves(base, next);
    // filelock and onnx moved too, but nobody asked for them: they follow what does move
    expect(moves).toEqual([{ name: 'torch', from: '2.12.0', to: '2.13.0' }, { name: 'onnxscript', from: '0.7.0', to: '0.7.2' }]);
    // without .in files, the packages the run reported count as direct
    expect(pinMoves({ ...base, in: undefined }, { ...next, in: undefined }, ['torch', 'onnx']).map((m) => m.name)).toEqual(['torch', 'onnx']);
  });

  it('a set pins every direct requirement: the moved ones to the new version, the rest to the base', () => {
    const moves = pinMoves(base, next);
    const onlyOnnxscript = intermediateRequirements(base, moves, [moves[1]]);
    expect(onlyOnnxscript.trim().split('\n')).toEqual(['torch==2.12.0', 'onnxscript==0.7.2', 'transformers==5.16.1', 'onnxruntime==1.32.0']);
    expect(intermediateName('base', [moves[1]])).toBe('base+onnxscript-0.7.2');
    // a package the new set drops leaves the requirements when it moves
    const dropped = { name: 'onnxruntime', from: '1.32.0', to: null };
    expect(intermediateRequirements(base, [...moves, dropped], [dropped])).not.toContain('onnxruntime');
  });

  it('tries every proper subset, smallest first, so the first set that reproduces is a smallest', () => {
    const three = ['a', 'b', 'c'].map((name) => ({ name, from: '1', to: '2' }));
    const names = subsetsSmallestFirst(three).map((s) => s.map((m) => m.name).join('+'));
    expect(names).toEqual(['a', 'b', 'c', 'a+b', 'a+c', 'b+c']);
    expect(subsetsSmallestFirst(three.slice(0, 1))).toEqual([]);
  });

  it("keeps uv's reason for a set that does not resolve, without its hints", () => {
    // uv 0.13.9's words for torch 2.15.0 with torchvision 0.27.0, as the baseline environment's uv printed them
    const printed = `error: No solution found when resolving dependencies
  cause: Because torchvision==0.27.0 depends on torch==2.12.0 and you require torch==2.15.0, we can conclude that your requirements and torchvision==0.27.0 are incompatible.
         And because you require torchvision==0.27.0, we can conclude that your requirements are unsatisfiable.
  hint: Pre-releases are available for torch`;
    const moves = [{ name: 'torch', from: '2.12.0', to: '2.15.0' }, { name: 'torchvision', from: '0.27.0', to: '0.29.2' }, { name: 'onnx', from: '1.21.0', to: '1.23.2' }];
    // torch cannot move without torchvision: the reason names it, and nothing else that moved
    expect(movesNamedIn(resolutionConflict(printed), moves, [moves[0]])).toEqual([moves[1]]);
    expect(resolutionConflict(printed)).toBe('Because torchvision==0.27.0 depends on torch==2.12.0 and you require torch==2.15.0, we can conclude that your requirements and torchvision==0.27.0 are incompatible. And because you require torchvision==0.27.0, we can conclude that your requirements are unsatisfiable.');
  });

  it('the test pin set moves exactly onnx and onnxscript from baseline', () => {
    const read = (dir: string, name: string): PinSetText => ({
      name, txt: readFileSync(join(dir, `${name}.txt`), 'utf8'), in: readFileSync(join(dir, `${name}.in`), 'utf8'),
    });
    const moves = pinMoves(read(join(REPO_ROOT, 'pins'), 'baseline'), read(join(REPO_ROOT, 'suites', 'fixtures', 'pins'), 'onnx-bump'));
    expect(moves.map((m) => m.name).sort()).toEqual(['onnx', 'onnxscript']);
  });
});
