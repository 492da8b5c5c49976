// Shared argument handling: every command answers --help with its own usage, and a bad flag names
// itself and what it accepts.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed flags, or undefined when --help was asked for (the usage has been printed). */
export function parseCommand<O extends Options>(args: string[], usage: string, options: O) {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    return undefined;
  }
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage}`);
  }
}

export function list(value: string | undefined): string[] | undefined {
  return value?.split(',').map((s) => s.trim()).filter(Boolean);
}

export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got '${value}'`);
  return n;
}

export function nonNegativeInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be an integer >= 0, got '${value}'`);
  return n;
}

export const SELECTION_USAGE = `selection (default: the built-in default set):
  --models a,b      ids or classes of the default set, or model sources:
                    synthetic:ClassName (tiny checkpoint via the local hub), hub:org/name[@rev], local:path
  --family T        every catalog class of this model type (llama, bert, ...), as tiny synthetic models
  --task T          every catalog class of this task (causal-lm, image-classification, ...)
  --modality M      text, vision, audio, multimodal, time-series
  [PATTERN]         glob on the catalog's class names, e.g. '*ForCausalLM'`;
