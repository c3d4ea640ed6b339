// The calls the pages make, one function each.

import { ApiError, getJson, request, sendJson } from './http';
import type { Dataflow, DataflowSpec, Process, Secret } from './types';

const enc = encodeURIComponent;

export function dataflowUrl(namespace: string, name: string): string {
  return `/api/v1/namespaces/${enc(namespace)}/dataflows/${enc(name)}`;
}

export function dataflowsUrl(namespace: string): string {
  return namespace ? `/api/v1/namespaces/${enc(namespace)}/dataflows` : '/api/v1/dataflows';
}

export async function listNamespaces(): Promise<string[]> {
  const list = await getJson<{ items?: { metadata?: { name?: string } }[] }>('/api/v1/namespaces');
  return (list.items ?? []).map((item) => item.metadata?.name ?? '').filter(Boolean);
}

export function getDataflow(namespace: string, name: string, signal?: AbortSignal): Promise<Dataflow> {
  return getJson<Dataflow>(dataflowUrl(namespace, name), { signal });
}

export async function listProcesses(namespace: string, name: string, signal?: AbortSignal): Promise<Process[]> {
  const body = await getJson<{ items?: Process[] }>(`${dataflowUrl(namespace, name)}/processes`, { signal });
  return body.items ?? [];
}

export function setSuspended(namespace: string, name: string, suspend: boolean): Promise<unknown> {
  return sendJson('PUT', `/dataflows/${enc(name)}/suspend`, { name, namespace, suspend });
}

export function resetState(namespace: string, name: string, force: boolean): Promise<unknown> {
  return sendJson('PUT', `/dataflows/${enc(name)}/reset-state`, { name, namespace, force });
}

export function deleteDataflow(namespace: string, name: string): Promise<unknown> {
  return sendJson('DELETE', `/dataflows/${enc(name)}?namespace=${enc(namespace)}`, undefined);
}

export function deployDto(dto: {
  name: string;
  namespace: string;
  fileContent?: string;
  spec: DataflowSpec;
}): Promise<unknown> {
  return sendJson('POST', '/dataflows', dto);
}

// Creates an object of the resource API, or replaces it when it exists.
export async function createOrReplace(
  collectionUrl: string,
  object: { metadata: { name: string; resourceVersion?: string; [key: string]: unknown }; [key: string]: unknown },
): Promise<unknown> {
  try {
    return await sendJson('POST', collectionUrl, object);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 409) throw error;
  }
  const itemUrl = `${collectionUrl}/${enc(object.metadata.name)}`;
  const current = await getJson<{ metadata: { resourceVersion?: string } }>(itemUrl);
  return sendJson('PUT', itemUrl, {
    ...object,
    metadata: { ...object.metadata, resourceVersion: current.metadata.resourceVersion },
  });
}

// Whether a dataflow of that name exists: true on 200, false on 404; other failures throw.
export async function dataflowExists(namespace: string, name: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await getJson<unknown>(dataflowUrl(namespace, name), { signal });
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return false;
    throw error;
  }
}

// Creates an object of the resource API; a 409 (it exists after all) is an error, never a replace.
export function createObject(collectionUrl: string, object: { metadata: { name: string } }): Promise<unknown> {
  return sendJson('POST', collectionUrl, object);
}

// Replaces an existing object of the resource API, at its current resourceVersion.
export async function replaceObject(
  collectionUrl: string,
  object: { metadata: { name: string; resourceVersion?: string; [key: string]: unknown }; [key: string]: unknown },
): Promise<unknown> {
  const itemUrl = `${collectionUrl}/${enc(object.metadata.name)}`;
  const current = await getJson<{ metadata: { resourceVersion?: string } }>(itemUrl);
  return sendJson('PUT', itemUrl, {
    ...object,
    metadata: { ...object.metadata, resourceVersion: current.metadata.resourceVersion },
  });
}

export function configMapsUrl(namespace: string): string {
  return `/api/v1/namespaces/${enc(namespace)}/configmaps`;
}

export async function getGraph(namespace: string, name: string, process: number, signal?: AbortSignal): Promise<unknown> {
  return getJson<unknown>(`${dataflowUrl(namespace, name)}/graph?process=${process}`, { signal });
}

export async function getMetricsText(namespace: string, name: string, process: number, signal?: AbortSignal): Promise<string> {
  const response = await request(`${dataflowUrl(namespace, name)}/metrics?process=${process}`, {
    signal,
    headers: { Accept: 'text/plain' },
  });
  return response.text();
}

export async function listSecrets(namespace: string): Promise<Secret[]> {
  const body = await getJson<{ secrets?: Secret[] }>(`/secrets?namespace=${enc(namespace)}`);
  return body.secrets ?? [];
}

export function getSecretValues(namespace: string, name: string): Promise<Secret> {
  return getJson<Secret>(`/secrets/${enc(name)}?namespace=${enc(namespace)}&include_values=true`);
}

export function createSecret(secret: Secret): Promise<unknown> {
  return sendJson('POST', '/secrets', secret);
}

export function replaceSecret(secret: Secret): Promise<unknown> {
  return sendJson('PUT', `/secrets/${enc(secret.name)}`, secret);
}

export function deleteSecret(namespace: string, name: string): Promise<unknown> {
  return sendJson('DELETE', `/secrets/${enc(name)}?namespace=${enc(namespace)}`, undefined);
}
