// The harness's side of the worker protocol (Python side: harness/worker/python/sweep_worker/protocol.py).
// One JSON object per line each way; tensors travel as safetensors files whose paths do.
import type { FeatureRule } from '../generation/multimodal-merge.js';

// 2: error replies carry the cause chain and any native stderr; sample_inputs says what it fed.
export const PROTOCOL_VERSION = 2;

export type ErrorKind = 'input' | 'load' | 'export' | 'run' | 'internal';

export interface TensorInfo { dtype: string; shape: number[] }
export type TensorManifest = Record<string, TensorInfo>;

export interface ReadyEvent {
  v: number;
  event: 'ready';
  protocol: number;
  pid: number;
  versions: Record<string, string | null>;
}

/** The repo's own model class that ran (auto_map, loaded only under --trust-remote-code). */
export interface RemoteCode {
  /** The module as the repo names its file (``modeling_custom`` for modeling_custom.py). */
  module: string;
  class: string;
  /** The repo's ``*.py`` files, relative to the checkpoint folder: the code that was trusted. */
  files: string[];
  /** The class can generate (a GenerationMixin); the catalog cannot say, since it lists stock classes only. */
  generative: boolean;
}

/** ``type`` is the root exception's; ``causes`` the chain (``__cause__`` / ``__context__``), outermost
 * first; ``native_stderr`` what native code logged while the op failed (ExecuTorch's runtime). */
export interface WorkerErrorBody {
  kind: ErrorKind; type: string; message: string; trace: string;
  causes?: { type: string; message: string }[];
  native_stderr?: string;
}

export type Reply =
  | { v: number; id: number; ok: true; result: unknown; ms: number; io_ms?: number }
  | { v: number; id: number; ok: false; error: WorkerErrorBody; ms: number; io_ms?: number };

/** Each op's arguments and result, so a call site is checked against the worker's contract. */
export interface Ops {
  hello: { args: Record<string, never>; result: { protocol: number; pid: number; threads: number; versions: Record<string, string | null> } };
  catalog: {
    args: Record<string, never>;
    result: { classes: { class: string; model_type: string; model_types: string[]; task: string; tasks: string[]; modality: 'text' | 'vision' | 'audio' | 'multimodal' | 'time-series'; generative: boolean }[] };
  };
  make_tiny: {
    args: { model_class: string; model_type: string; out_dir: string; config?: Record<string, unknown>; seed?: number; shrink?: boolean };
    result: { dir: string; parameters: number; files: string[] };
  };
  probe_tiny: {
    args: { model_class: string; model_type: string; overrides?: Record<string, unknown>; seed?: number };
    result: { ok: boolean; stage?: 'config' | 'instantiate' | 'inputs' | 'forward' | 'outputs'; error?: string; parameters?: number; ms: number };
  };
  load: {
    args: { model_dir: string; handle?: string; model_class?: string; trust_remote_code?: boolean };
    /** ``remote_code``: present when the class is the repo's own (auto_map under trust_remote_code). */
    result: { handle: string; class: string; parameters: number; load_ms: number; remote_code?: RemoteCode };
  };
  unload: { args: { handle: string }; result: { handle: string } };
  sample_inputs: {
    args: { model: string; out: string; batch?: number; seq?: number; seed?: number; padding?: 'none' | 'left' | 'right' };
    /** ``dynamic``: per input, the dims that may vary as {index: [name, min, max]}. */
    result: {
      path: string; tensors: TensorManifest; dynamic: Record<string, Record<string, [string, number, number]>>;
      /** Tokens the recipe adds to input_ids beyond ``seq`` (a VLM's image placeholders); the
       * ``sequence`` ranges in ``dynamic`` include them. */
      sequence_offset?: number;
      /** The inputs written; and the modality inputs the forward takes that the recipe fed nothing of. */
      fed: string[]; not_fed: string[];
    };
  };
  eager: { args: { model: string; inputs: string; out: string; /** the sample shape: refused when every float output is constant */ sample?: boolean }; result: { path: string; tensors: TensorManifest; eager_ms: number } };
  export: {
    /** ``implementation``: whose exporter (default ours; a peer only when the worker loaded it). */
    args: { model: string; backend: string; inputs: string; out_dir: string; config?: Record<string, unknown>; implementation?: string };
    /** ONNX exports add their input and output names, and the eager leaf path of each output.
     * ``export_stages_ms``: the export's time by library stage (sweep_worker/stage_clock.py). */
    result: { artifact: string; bytes: number; export_ms: number; export_stages_ms?: Record<string, number>; inputs?: string[]; outputs?: string[]; leaves?: string[] };
  };
  run: {
    args: { backend: string; artifact: string; inputs: string; out: string };
    result: { path: string; tensors: TensorManifest; run_ms: number };
  };
  time_runs: {
    args: { model: string; inputs: string; backend?: string; artifact?: string; iterations?: number };
    result: { eager_ms: number; artifact_ms?: number };
  };
  /** Greedy generate(do_sample=False) of exactly max_new_tokens: new ids and eager's top-2 logit gap, [batch][step]. */
  generate_eager: {
    args: { model: string; inputs: string; max_new_tokens?: number };
    result: { tokens: number[][]; gaps: number[][]; ms: number };
  };
  /** The greedy loop over the generation components before any export: new ids, [batch][step];
   * null when decompose_for_generation (the exporters') fails, which export_generation reports. */
  generate_unexported: {
    args: { model: string; inputs: string; max_new_tokens?: number };
    result: { tokens: number[][] | null; decompose_error?: string; ms: number };
  };
  /** The generation components exported into out_dir/<component>/, described as in out_dir/generation.json. */
  export_generation: {
    args: { model: string; backend: string; inputs: string; out_dir: string; config?: Record<string, unknown>; more_inputs?: string[] };
    result: GenerationManifest & { manifest: string };
  };
  /** Greedy loop over the exported components (ONNX in Python onnxruntime): new ids, [batch][step]. */
  generate_artifact: {
    args: { manifest: string; inputs: string; max_new_tokens?: number };
    result: { tokens: number[][]; ms: number };
  };
  'debug.segfault': { args: Record<string, never>; result: Record<string, never> };
  'debug.hang': { args: { seconds?: number }; result: Record<string, never> };
  'debug.allocate': { args: { mb?: number; step_mb?: number; pause_s?: number }; result: { mb: number } };
}

export type OpName = keyof Ops;

/**
 * One exported generation component: its artifact and ordered I/O names. The cache crosses as flat
 * tensors: inputs past_key_values.N.key/.value (enc-dec: .N.decoder.* self, .N.encoder.* cross;
 * SSM: .N.conv/.N.ssm), outputs present.N.* with the same suffixes.
 */
export interface GenerationComponentEntry { artifact: string; inputs: string[]; outputs: string[]; export_ms: number }

/** generation.json: components in run order (encoder?, prefill or the multimodal parts, decode). */
export interface GenerationManifest {
  version: number;
  backend: string;
  model_class: string;
  config: { model_type?: string; decoder_start_token_id?: number; image_token_id?: number; vision_feature_layer?: number | number[]; vision_feature_select_strategy?: string; audio_token_id?: number; image_feature_rule?: FeatureRule; audio_feature_rule?: FeatureRule };
  components: Record<string, GenerationComponentEntry>;
  /** Prompt length -> component name, for a model whose prefill runs only at its traced length (prefill@<length>). */
  prefill_by_length?: Record<string, string>;
}
