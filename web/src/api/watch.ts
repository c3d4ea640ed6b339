// Lists and watches of the resource API: NDJSON events read with fetch and a ReadableStream,
// reconnecting from the last resourceVersion seen, listing again when that is too old (410).

import { ApiError, getJson, request } from './http';
import type { WatchEvent } from './types';

// Splits a byte stream into lines, whatever the chunk boundaries (also inside a multi-byte
// character). Call push() for each chunk and end() once.
export class LineSplitter {
  private decoder = new TextDecoder();
  private buffer = '';

  push(chunk: Uint8Array | string): string[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const lines = this.buffer.split('\n');
    this.buffer = lines.pop() ?? '';
    return lines.map((line) => line.replace(/\r$/, ''));
  }

  end(): string[] {
    this.buffer += this.decoder.decode();
    const rest = this.buffer.replace(/\r$/, '');
    this.buffer = '';
    return rest === '' ? [] : [rest];
  }
}

// Parses NDJSON chunks into watch events; blank lines (keep-alives) are skipped, and a line that
// is not JSON is reported rather than ending the stream.
export class NdjsonParser<T> {
  private lines = new LineSplitter();
  constructor(private onBadLine: (line: string) => void = () => {}) {}

  push(chunk: Uint8Array | string): WatchEvent<T>[] {
    return this.parse(this.lines.push(chunk));
  }

  end(): WatchEvent<T>[] {
    return this.parse(this.lines.end());
  }

  private parse(lines: string[]): WatchEvent<T>[] {
    const events: WatchEvent<T>[] = [];
    for (const line of lines) {
      if (line.trim() === '') {
        continue;
      }
      try {
        const event = JSON.parse(line) as WatchEvent<T>;
        if (event && typeof event === 'object' && typeof event.type === 'string') {
          events.push(event);
        } else {
          this.onBadLine(line);
        }
      } catch {
        this.onBadLine(line);
      }
    }
    return events;
  }
}

type WithMetadata = { metadata?: { resourceVersion?: string } };
type StatusObject = { kind?: string; code?: number; message?: string };

export type WatchCallbacks<T> = {
  // A full list: replace everything known.
  onList: (items: T[], resourceVersion: string) => void;
  onEvent: (event: WatchEvent<T>) => void;
  // A list or watch that cannot go on (e.g. 403); the watcher retries after a longer pause.
  onError: (error: ApiError) => void;
  // Connected (true) or waiting to reconnect (false).
  onConnected?: (connected: boolean) => void;
};

export type WatchOptions = {
  signal: AbortSignal;
  retryDelayMs?: number; // after a stream ends or fails; doubled up to maxDelayMs
  maxDelayMs?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
};

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

function withQuery(url: string, query: Record<string, string>): string {
  const params = new URLSearchParams(query).toString();
  return url + (url.includes('?') ? '&' : '?') + params;
}

// Lists `url` then watches it until `signal` aborts. Runs forever otherwise: a watch that ends
// (server restart, network) reconnects from the last resourceVersion; a 410 lists again.
export async function listAndWatch<T extends WithMetadata>(
  url: string,
  callbacks: WatchCallbacks<T>,
  options: WatchOptions,
): Promise<void> {
  const { signal } = options;
  const sleep = options.sleep ?? defaultSleep;
  const baseDelay = options.retryDelayMs ?? 1000;
  const maxDelay = options.maxDelayMs ?? 30000;
  let delay = baseDelay;
  let resourceVersion: string | null = null;

  while (!signal.aborted) {
    try {
      if (resourceVersion === null) {
        const list = await getJson<{ items?: T[]; metadata?: { resourceVersion?: string } }>(url, {
          signal,
        });
        resourceVersion = list.metadata?.resourceVersion ?? '0';
        callbacks.onList(list.items ?? [], resourceVersion);
      }
      const response = await request(
        withQuery(url, { watch: 'true', resourceVersion: resourceVersion }),
        { signal, headers: { Accept: 'application/json, application/x-ndjson' } },
      );
      callbacks.onConnected?.(true);
      delay = baseDelay;
      const parser = new NdjsonParser<T>();
      const handle = (events: WatchEvent<T>[]): boolean => {
        for (const event of events) {
          if (event.type === 'ERROR') {
            const status = event.object as unknown as StatusObject;
            if (status?.code === 410) {
              resourceVersion = null; // too old: list again
              return false;
            }
            throw new ApiError(status?.code ?? 500, status?.message ?? 'the watch failed');
          }
          const rv = event.object?.metadata?.resourceVersion;
          if (rv) {
            resourceVersion = rv;
          }
          if (event.type !== 'BOOKMARK') {
            callbacks.onEvent(event);
          }
        }
        return true;
      };
      const body = response.body;
      if (body) {
        const reader = body.getReader();
        try {
          let going = true;
          while (going) {
            const { done, value } = await reader.read();
            if (done) {
              handle(parser.end());
              break;
            }
            going = handle(parser.push(value));
          }
        } finally {
          reader.cancel().catch(() => {});
        }
      } else {
        handle(parser.push(await response.text()));
        handle(parser.end());
      }
      callbacks.onConnected?.(false);
    } catch (error) {
      if (signal.aborted) {
        return;
      }
      callbacks.onConnected?.(false);
      if (error instanceof ApiError && error.status === 410) {
        resourceVersion = null;
        continue; // list again at once
      }
      const apiError =
        error instanceof ApiError ? error : new ApiError(0, 'The connection to the server broke');
      if (apiError.status === 401) {
        return; // the session handles it
      }
      if (apiError.status === 403 || apiError.status === 404) {
        resourceVersion = null;
        callbacks.onError(apiError);
        await sleep(maxDelay, signal);
        continue;
      }
      if (apiError.status !== 0 && resourceVersion === null) {
        callbacks.onError(apiError);
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 2, maxDelay);
      continue;
    }
    // The stream ended normally: reconnect soon from where it was.
    await sleep(Math.min(delay, 500), signal);
  }
}
