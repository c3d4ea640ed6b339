// Every request of the page goes through here: same-origin cookies, the CSRF token on changes,
// Kubernetes Status errors turned into messages, and a 401 reported once to the session.

export class ApiError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, message: string, reason = '') {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.reason = reason;
  }
}

type Config = {
  csrfToken: string;
  onUnauthorized: () => void;
  fetch: typeof fetch;
};

const config: Config = {
  csrfToken: '',
  onUnauthorized: () => {},
  fetch: (...args) => globalThis.fetch(...args),
};

export function setCsrfToken(token: string | undefined): void {
  config.csrfToken = token ?? '';
}

export function setUnauthorizedHandler(handler: () => void): void {
  config.onUnauthorized = handler;
}

// For tests: replace the transport.
export function setFetch(f: typeof fetch): void {
  config.fetch = f;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'The request was refused as malformed',
  401: 'Your session has ended; sign in again',
  403: 'You are not allowed to do this',
  404: 'Not found',
  409: 'Conflict: the object changed or already exists',
  410: 'Gone',
  413: 'The upload is too large',
  422: 'The object is invalid',
  500: 'The server failed',
  502: 'The server could not reach a backend',
  503: 'Not available right now',
};

// The words to show for a failed answer: a Status body's message, else its text if short and not
// HTML, else a sentence for the code.
export function messageFromBody(status: number, body: string): string {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') {
        const message = (parsed as { message?: unknown }).message;
        if (typeof message === 'string' && message.trim() !== '') {
          return message;
        }
        const error = (parsed as { error?: unknown }).error;
        if (typeof error === 'string' && error.trim() !== '') {
          return error;
        }
      }
    } catch {
      // not JSON after all
    }
  } else if (text !== '' && text.length <= 500 && !text.startsWith('<')) {
    return text;
  }
  return STATUS_TEXT[status] ?? `The request failed (HTTP ${status})`;
}

function reasonFromBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as { reason?: unknown };
    return typeof parsed.reason === 'string' ? parsed.reason : '';
  } catch {
    return '';
  }
}

export async function errorFromResponse(response: Response): Promise<ApiError> {
  let body = '';
  try {
    body = await response.text();
  } catch {
    // the body could not be read; the code alone has to do
  }
  return new ApiError(response.status, messageFromBody(response.status, body), reasonFromBody(body));
}

// Any thrown value as words for the page; never "[object Object]".
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError || error instanceof Error) {
    return error.message || 'Something went wrong';
  }
  if (typeof error === 'string') {
    return error;
  }
  return 'Something went wrong';
}

export type RequestOptions = {
  method?: string;
  body?: unknown; // JSON-encoded unless a string
  signal?: AbortSignal;
  headers?: Record<string, string>;
  // Do not report a 401 to the session (the session endpoints themselves).
  quiet401?: boolean;
};

// The raw response of a successful request; throws ApiError for any other status.
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const method = (options.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  if (method !== 'GET' && method !== 'HEAD') {
    headers['X-CSRF-Token'] = config.csrfToken;
  }
  let response: Response;
  try {
    response = await config.fetch(path, {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') {
      throw error;
    }
    throw new ApiError(0, 'The server cannot be reached; check that it is running');
  }
  if (!response.ok) {
    const error = await errorFromResponse(response);
    if (response.status === 401 && !options.quiet401) {
      config.onUnauthorized();
    }
    throw error;
  }
  return response;
}

export async function getJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(path, options);
  return (await response.json()) as T;
}

export async function sendJson<T = unknown>(
  method: string,
  path: string,
  body: unknown,
  options: RequestOptions = {},
): Promise<T> {
  const response = await request(path, { ...options, method, body });
  const text = await response.text();
  if (text.trim() === '') {
    return undefined as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as T;
  }
}
