import { useMemo, useState } from 'react';
import { layoutGraph, stepGraph, type RenderedDataflow } from '../lib/graph';

// The dataflow's steps as boxes and its streams as edges, one level at a time: a step with
// substeps opens on click, and the trail above goes back up.
export function GraphView({ flow }: { flow: RenderedDataflow }) {
  const [trail, setTrail] = useState<string[]>([]);
  const parent = trail.length ? trail[trail.length - 1] : null;
  const layout = useMemo(() => layoutGraph(stepGraph(flow, parent)), [flow, parent]);
  return (
    <div className="graph">
      <div className="trail small">
        <button className="link" onClick={() => setTrail([])} data-testid="graph-top">
          {flow.flow_id}
        </button>
        {trail.map((id, i) => (
          <span key={id}>
            {' › '}
            <button className="link" onClick={() => setTrail(trail.slice(0, i + 1))}>
              {id.slice(id.lastIndexOf('.') + 1)}
            </button>
          </span>
        ))}
      </div>
      <div className="graph-scroll">
        <svg
          data-testid="graph-svg"
          width={layout.width}
          height={layout.height}
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          role="img"
          aria-label={`Steps of ${parent ?? flow.flow_id}`}
        >
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" className="arrowhead" />
            </marker>
          </defs>
          {layout.edges.map((e) => (
            <g key={`${e.from}->${e.to}:${e.port}`} className="edge" data-testid="graph-edge">
              <path d={e.path} markerEnd="url(#arrow)" />
              {e.port && e.port !== 'down' && (
                <text x={e.labelX + 4} y={e.labelY} className="edge-label">
                  {e.port}
                </text>
              )}
            </g>
          ))}
          {layout.nodes.map((n) => (
            <g
              key={n.id}
              className={`node ${n.kind} ${n.hasSubsteps ? 'openable' : ''}`}
              transform={`translate(${n.x},${n.y})`}
              data-testid={`graph-node-${n.id}`}
              onClick={n.hasSubsteps ? () => setTrail([...trail, n.id]) : undefined}
            >
              <title>{`${n.id} (${n.opType})${n.hasSubsteps ? ' — click to open' : ''}`}</title>
              <rect width={n.w} height={n.h} rx={n.kind === 'step' ? 6 : 20} />
              <text x={n.w / 2} y={19} className="node-name">
                {n.name.length > 22 ? n.name.slice(0, 21) + '…' : n.name}
              </text>
              <text x={n.w / 2} y={35} className="node-type">
                {n.opType}
                {n.hasSubsteps ? ' ▸' : ''}
              </text>
            </g>
          ))}
        </svg>
      </div>
    </div>
  );
}
