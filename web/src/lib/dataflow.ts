// What the pages show of a Dataflow: its phase, counts, source, age; search and filter.

import type { Condition, Dataflow } from '../api/types';

export const PHASES = [
  'Pending',
  'Starting',
  'Running',
  'CrashLoopBackOff',
  'Completed',
  'Suspended',
  'Failed',
  'Terminating',
] as const;

export function phaseOf(dataflow: Dataflow): string {
  if (dataflow.metadata.deletionTimestamp) {
    return 'Terminating';
  }
  return dataflow.status?.phase || 'Pending';
}

export function readyCondition(dataflow: Dataflow): Condition | undefined {
  return dataflow.status?.conditions?.find((c) => c.type === 'Ready');
}

// One line under the phase: the Ready condition's reason when it says more than the phase.
export function statusDetail(dataflow: Dataflow): string {
  const ready = readyCondition(dataflow);
  if (!ready) {
    return '';
  }
  if (ready.reason && ready.reason !== phaseOf(dataflow)) {
    return ready.reason;
  }
  return '';
}

export function phaseTone(phase: string): 'ok' | 'warn' | 'bad' | 'idle' {
  switch (phase) {
    case 'Running':
    case 'Completed':
      return 'ok';
    case 'Pending':
    case 'Starting':
    case 'Terminating':
      return 'warn';
    case 'CrashLoopBackOff':
    case 'Failed':
      return 'bad';
    default:
      return 'idle';
  }
}

export function processesText(dataflow: Dataflow): string {
  const desired = dataflow.status?.processesDesired ?? dataflow.spec.processesCount ?? 1;
  return `${dataflow.status?.processesReady ?? 0}/${desired}`;
}

export function imageText(dataflow: Dataflow): string {
  const image = dataflow.spec.image;
  if (!image) {
    return '';
  }
  return `${image.repository ?? 'bytewax/bytewax'}:${image.tag ?? ''}`;
}

export function sourceText(dataflow: Dataflow): { kind: 'url' | 'tar' | 'configmap'; text: string } {
  const spec = dataflow.spec;
  if (spec.artifactsDownload?.url) {
    return { kind: 'url', text: spec.artifactsDownload.url };
  }
  const configMap = spec.configMapName ?? dataflow.metadata.name;
  if (spec.tarName) {
    return { kind: 'tar', text: `${configMap}/${spec.tarName} → ${spec.pythonFileName ?? ''}` };
  }
  return { kind: 'configmap', text: `${configMap}/${spec.pythonFileName ?? ''}` };
}

export function ageText(timestamp: string | undefined, now: number = Date.now()): string {
  if (!timestamp) {
    return '';
  }
  const then = Date.parse(timestamp);
  if (Number.isNaN(then)) {
    return '';
  }
  let seconds = Math.max(0, Math.floor((now - then) / 1000));
  if (seconds < 60) {
    return `${seconds}s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    seconds %= 60;
    return minutes < 10 && seconds ? `${minutes}m${seconds}s` : `${minutes}m`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    const m = minutes % 60;
    return hours < 10 && m ? `${hours}h${m}m` : `${hours}h`;
  }
  const days = Math.floor(hours / 24);
  return days < 10 && hours % 24 ? `${days}d${hours % 24}h` : `${days}d`;
}

export type ListFilter = { search: string; phase: string };

// The search matches name, namespace, image and source (case-insensitive, every word must
// match somewhere); the phase filter matches the phase exactly ("" = any).
export function filterDataflows(items: Dataflow[], filter: ListFilter): Dataflow[] {
  const words = filter.search.toLowerCase().split(/\s+/).filter(Boolean);
  return items.filter((dataflow) => {
    if (filter.phase && phaseOf(dataflow) !== filter.phase) {
      return false;
    }
    if (words.length === 0) {
      return true;
    }
    const haystack = [
      dataflow.metadata.name,
      dataflow.metadata.namespace ?? '',
      imageText(dataflow),
      sourceText(dataflow).text,
    ]
      .join(' ')
      .toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
}
