import { phaseTone } from '../lib/dataflow';

export function PhaseBadge({ phase }: { phase: string }) {
  return (
    <span className={`badge ${phaseTone(phase)}`} data-testid="phase" data-phase={phase}>
      {phase}
    </span>
  );
}
