import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, errorMessage, getJson, messageFromBody, sendJson, setCsrfToken, setFetch } from '../api/http';
import { deleteDataflow, setSuspended } from '../api/client';
import { fakeFetch, json, status } from './fakeFetch';

afterEach(() => {
  setFetch((...a) => globalThis.fetch(...a));
  setCsrfToken('');
});

describe('requests', () => {
  it('send the CSRF token on every change, never on GET, with same-origin credentials', async () => {
    const inits: RequestInit[] = [];
    const { fetch, calls } = fakeFetch([(c) => json(c.method === 'GET' ? { items: [] } : 'ok')]);
    setFetch(((input: RequestInfo | URL, init?: RequestInit) => {
      inits.push(init!);
      return fetch(input, init);
    }) as typeof globalThis.fetch);
    setCsrfToken('tok-9');
    await getJson('/api/v1/namespaces');
    await setSuspended('default', 'a', true);
    await deleteDataflow('default', 'a');
    await sendJson('POST', '/secrets', { name: 's', namespace: 'default', data: [] });
    expect(calls.map((c) => [c.method, c.headers['X-CSRF-Token']])).toEqual([
      ['GET', undefined],
      ['PUT', 'tok-9'],
      ['DELETE', 'tok-9'],
      ['POST', 'tok-9'],
    ]);
    expect(inits.every((i) => i.credentials === 'same-origin')).toBe(true);
    expect(calls[1]).toMatchObject({ url: '/dataflows/a/suspend' });
    expect(JSON.parse(calls[1].body!)).toEqual({ name: 'a', namespace: 'default', suspend: true });
    expect(calls[2].url).toBe('/dataflows/a?namespace=default');
  });

  it('surface the message of a Status error', async () => {
    const message = 'Dataflow "default/x" is invalid: spec.processesCount: must be from 1 to 1000';
    setFetch(fakeFetch([() => status(422, 'Invalid', message)]).fetch);
    const error = await getJson('/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(422);
    expect((error as ApiError).reason).toBe('Invalid');
    expect(errorMessage(error)).toBe(message);
  });

  it('never show [object Object] or HTML', () => {
    expect(messageFromBody(500, '<html><body>oops</body></html>')).toBe('The server failed');
    expect(messageFromBody(503, '')).toBe('Not available right now');
    expect(messageFromBody(400, '{"message": {"nested": 1}}')).toBe('The request was refused as malformed');
    expect(messageFromBody(418, 'short text')).toBe('short text');
    expect(errorMessage({ some: 'object' })).toBe('Something went wrong');
  });

  it('say when the server cannot be reached', async () => {
    setFetch((async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch);
    await expect(getJson('/x')).rejects.toThrow('The server cannot be reached; check that it is running');
  });
});
