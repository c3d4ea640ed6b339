// The state of a watched list: objects by namespace/name, kept in step with watch events.

import type { Dataflow, WatchEvent } from '../api/types';

export type ListState = {
  items: Record<string, Dataflow>; // key: namespace/name
  resourceVersion: string | null;
  loaded: boolean;
  error: string | null;
};

export type ListAction =
  | { type: 'LIST'; items: Dataflow[]; resourceVersion: string }
  | { type: 'EVENT'; event: WatchEvent<Dataflow> }
  | { type: 'ERROR'; message: string }
  | { type: 'RESET' };

export const initialListState: ListState = {
  items: {},
  resourceVersion: null,
  loaded: false,
  error: null,
};

export function keyOf(object: { metadata: { name: string; namespace?: string } }): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name}`;
}

function rvNumber(object: Dataflow | undefined): number | null {
  const rv = object?.metadata?.resourceVersion;
  if (!rv || !/^\d+$/.test(rv)) {
    return null;
  }
  return Number(rv);
}

export function listReducer(state: ListState, action: ListAction): ListState {
  switch (action.type) {
    case 'RESET':
      return initialListState;
    case 'LIST': {
      const items: Record<string, Dataflow> = {};
      for (const item of action.items) {
        items[keyOf(item)] = item;
      }
      return { items, resourceVersion: action.resourceVersion, loaded: true, error: null };
    }
    case 'ERROR':
      return { ...state, loaded: true, error: action.message };
    case 'EVENT': {
      const { event } = action;
      const object = event.object;
      if (!object?.metadata?.name) {
        return state;
      }
      const key = keyOf(object);
      const known = state.items[key];
      const rv = object.metadata.resourceVersion ?? state.resourceVersion;
      if (event.type === 'DELETED') {
        if (!known) {
          return { ...state, resourceVersion: rv };
        }
        const items = { ...state.items };
        delete items[key];
        return { ...state, items, resourceVersion: rv };
      }
      if (event.type === 'ADDED' || event.type === 'MODIFIED') {
        // An event older than what is shown (a replay after reconnecting) changes nothing.
        const before = rvNumber(known);
        const after = rvNumber(object);
        if (before !== null && after !== null && after < before) {
          return state;
        }
        return { ...state, items: { ...state.items, [key]: object }, resourceVersion: rv, error: null };
      }
      return state;
    }
  }
}

export function sortedItems(state: ListState): Dataflow[] {
  return Object.values(state.items).sort(
    (a, b) =>
      (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
}
