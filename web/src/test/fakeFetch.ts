// A scripted fetch for tests: each call is answered by the first handler that matches.
export type Call = { url: string; method: string; headers: Record<string, string>; body?: string };
export type Handler = (call: Call) => Response | undefined | Promise<Response | undefined>;

export function fakeFetch(handlers: Handler[]) {
  const calls: Call[] = [];
  const fn = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const call: Call = {
      url: String(input),
      method: (init.method ?? 'GET').toUpperCase(),
      headers: (init.headers ?? {}) as Record<string, string>,
      body: init.body as string | undefined,
    };
    calls.push(call);
    for (const handler of handlers) {
      const response = await handler(call);
      if (response) return response;
    }
    throw new Error(`unexpected request ${call.method} ${call.url}`);
  }) as typeof fetch;
  return { fetch: fn, calls };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

export function status(code: number, reason: string, message: string): Response {
  return json({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message }, code);
}

// A streamed body made of the given chunks (strings or bytes), then closed.
export function stream(chunks: (string | Uint8Array)[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
  return new Response(body, { status: 200 });
}
