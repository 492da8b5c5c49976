// Shared argument handling: every command answers --help with its own usage, and a bad flag names
// itself and what it accepts in one line (main.ts adds where the usage is), not the whole usage.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed flags, or undefined when --help was asked for (the usage has been printed). */
export function parseCommand<O extends Options>(args: string[], usage: string, options: O) {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    return undefined;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(args, options), options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(parserMessage(error as Error & { code?: string }));
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    // `--models "$MODELS"` with MODELS unset must not silently mean "no filter", i.e. everything
    if (typeof value === 'string' && !value.trim()) throw new UsageError(`--${name} was given an empty value (an unset shell variable?); give it a value or leave --${name} out`);
  }
  return parsed;
}

/** node's text for an unknown flag goes on about positionals after `--`, and for a missing value
 * (`--jobs --models x`, `--jobs` last) runs to three lines; a usage error is one line, the flag first. */
function parserMessage(error: Error & { code?: string }): string {
  const flag = /'(--?[\w-]+)/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) return `unknown option '${flag}'`;
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag && /ambiguous|missing/.test(error.message)) return `${flag} needs a value`;
  return error.message.split('\n')[0];
}

/** `--jobs -1` as `--jobs=-1`: node's parser calls a value starting with a dash "ambiguous", which
 * hid the option's own range message; a negative number is never meant as a flag here. */
function joinNegativeValues(args: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : undefined;
    if (name && options[name]?.type === 'string' && i + 1 < args.length && /^-\d/.test(args[i + 1])) {
      out.push(`${args[i]}=${args[i + 1]}`);
      i += 1;
    } else out.push(args[i]);
  }
  return out;
}

/** A command line held in one string (an environment variable such as SWEEP_ARGS) as argv, split as
 * a shell splits words: on blanks, with '...' and "..." quoting (a glob like '*ForCausalLM' stays
 * one word). No expansion of any kind; an unclosed quote is a usage error. */
export function splitArgs(text: string, name = 'the command line'): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const char of text) {
    if (quote) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= '';
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + char;
  }
  if (quote) throw new UsageError(`${name} has an unclosed ${quote}: ${text}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** A comma-separated list; one that names nothing (`--models ,`) is a usage error, never "all". */
export function list(value: string | undefined, flag = 'a list'): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new UsageError(`${flag} '${value}' names nothing; give a comma-separated list, or leave it out for the default`);
  return items;
}

/** A seed may be any 32-bit integer, negative too: fast-check takes it as is and each job's seed is
 * derived from it by xor (sweep/jobs.ts jobSeed). */
export function seedInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || n < -(2 ** 31) || n >= 2 ** 31) throw new UsageError(`${flag} must be an integer from ${-(2 ** 31)} to ${2 ** 31 - 1}, got '${value}'`);
  return n;
}

/** Plain decimal digits only: Number() would also take '1e3', '0x10', ' 4' and '4.0' as counts. */
function count(value: string): number | undefined {
  const n = Number(value);
  return /^\d+$/.test(value) && Number.isSafeInteger(n) ? n : undefined;
}

export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = count(value);
  if (n === undefined || n < 1) throw new UsageError(`${flag} must be a positive integer, got '${value}'`);
  return n;
}

export function nonNegativeInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = count(value);
  if (n === undefined) throw new UsageError(`${flag} must be an integer >= 0, got '${value}'`);
  return n;
}

export const SELECTION_USAGE = `selection (default: the built-in default set):
  --models a,b      ids or classes of the default set, or model sources:
                    synthetic:ClassName (tiny checkpoint via the local hub), hub:org/name[@rev], local:path
  --family T        every catalog class of this model type (llama, bert, ...), as tiny synthetic models
  --task T          every catalog class of this task, named as transformers' pipelines name it
                    (text-generation, fill-mask, feature-extraction, image-classification, ...)
  --modality M      text, vision, audio, multimodal, time-series
  [PATTERN]         glob on the catalog's class names, e.g. '*ForCausalLM'`;
