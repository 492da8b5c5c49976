// fetch for hub requests, with a deadline of their own. Without one, a hub that accepts the
// connection and never answers holds a download until undici's own five-minute header timeout, so
// the job ends at the pool's --timeout with a message blaming the worker, and the pending request
// keeps the CLI alive after its summary. The deadline runs until the headers arrive and then between
// body chunks, so a large file that keeps flowing is never cut off for taking long in total.

export const DEFAULT_HUB_TIMEOUT_MS = 60_000;
/** Seconds a hub request may wait for the headers, or for the next body chunk. */
export const HUB_TIMEOUT_ENV = 'EXPORT_SWEEP_HUB_TIMEOUT';

export class HubTimeoutError extends Error {
  constructor(readonly hubUrl: string, readonly request: string, readonly timeoutMs: number, waitingFor: 'an answer' | 'more of the body') {
    super(
      `the hub at ${hubUrl} sent no ${waitingFor === 'an answer' ? 'answer' : 'further bytes'} to ${request} within ${timeoutMs / 1000} s: ` +
      `check that the hub is up and reachable from here (--hub-url), or give it longer with ${HUB_TIMEOUT_ENV}=<seconds>`,
    );
    this.name = 'HubTimeoutError';
  }
}

/** The per-request deadline in ms: ``EXPORT_SWEEP_HUB_TIMEOUT`` (seconds) if set, else 60 s. */
export function hubTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[HUB_TIMEOUT_ENV];
  if (text === undefined || text === '') return DEFAULT_HUB_TIMEOUT_MS;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new Error(`${HUB_TIMEOUT_ENV}='${text}' is not a positive number of seconds; unset it for the default of ${DEFAULT_HUB_TIMEOUT_MS / 1000}`);
  }
  return seconds * 1000;
}

function describe(input: Parameters<typeof fetch>[0], init: RequestInit | undefined): string {
  const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const url = href.split('?')[0]; // the client's expand[] list says nothing about which request hung
  const method = init?.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET');
  const range = new Headers(init?.headers).get('range');
  return `${method} ${url}${range ? ` (Range: ${range})` : ''}`;
}

/**
 * A fetch for @huggingface/hub's ``fetch`` option: each request is aborted with a HubTimeoutError
 * naming the hub, the request and the remedy once ``timeoutMs`` pass with nothing received, and at
 * once when ``signal`` aborts (a sweep that is closing).
 */
export function hubFetch(hubUrl: string, timeoutMs = hubTimeoutMs(), signal?: AbortSignal): typeof fetch {
  return async (input, init) => {
    const request = describe(input, init);
    const controller = new AbortController();
    const parents = [signal, init?.signal ?? undefined].filter((s): s is AbortSignal => Boolean(s));
    const onParentAbort = (event: Event) => controller.abort((event.target as AbortSignal).reason);
    for (const parent of parents) {
      if (parent.aborted) controller.abort(parent.reason);
      else parent.addEventListener('abort', onParentAbort, { once: true });
    }
    const detach = () => parents.forEach((parent) => parent.removeEventListener('abort', onParentAbort));
    let timer: NodeJS.Timeout | undefined;
    let onTimeout: (error: HubTimeoutError) => void = (error) => controller.abort(error);
    const arm = (waitingFor: 'an answer' | 'more of the body') => {
      clearTimeout(timer);
      // unref: a deadline alone must never keep the process alive; the request's socket does that
      timer = setTimeout(() => onTimeout(new HubTimeoutError(hubUrl, request, timeoutMs, waitingFor)), timeoutMs).unref();
    };
    const settle = () => {
      clearTimeout(timer);
      detach();
    };
    arm('an answer');
    let response: Response;
    try {
      response = await fetch(input, { ...init, signal: controller.signal });
    } catch (error) {
      settle();
      throw controller.signal.aborted && controller.signal.reason instanceof Error ? controller.signal.reason : error;
    }
    if (!response.body) {
      settle();
      return response;
    }
    // The body passes through a stream that re-arms the deadline at every chunk and fails with the
    // HubTimeoutError itself, so the reader sees the hub named rather than a bare AbortError.
    let fail: ((error: Error) => void) | undefined;
    const watched = new TransformStream<Uint8Array, Uint8Array>({
      start(streamController) {
        fail = (error) => streamController.error(error);
      },
      transform(chunk, streamController) {
        arm('more of the body');
        streamController.enqueue(chunk);
      },
      flush: settle,
    });
    onTimeout = (error) => {
      fail?.(error);
      controller.abort(error);
      settle();
    };
    arm('more of the body');
    const body = response.body.pipeThrough(watched);
    const wrapped = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    // the client compares resp.url with the hub's origin (redirects to a CDN); a new Response has none
    Object.defineProperty(wrapped, 'url', { value: response.url });
    Object.defineProperty(wrapped, 'redirected', { value: response.redirected });
    return wrapped;
  };
}
