// The structure bytewax 0.21.1 serves at its /dataflow API (BYTEWAX_DATAFLOW_API_ENABLED), and
// a layered layout of one level of it: steps as boxes, streams as edges.
//
// {"typ": "RenderedDataflow", "flow_id": "f", "substeps": [RenderedOperator...]}
// RenderedOperator: {op_type, step_name, step_id, inp_ports, out_ports, substeps}
// RenderedPort: {port_name, port_id, from_port_ids, from_stream_ids}
// A port id is "<step_id>.<port_name>". An input port's from_port_ids name the output ports
// (of siblings) or the parent's input ports that feed it; from_stream_ids name the innermost
// streams. A parent's output port's from_port_ids name its children's output ports.

export type RenderedPort = {
  typ?: string;
  port_name: string;
  port_id: string;
  from_port_ids: string[];
  from_stream_ids: string[];
};

export type RenderedOperator = {
  typ?: string;
  op_type: string;
  step_name: string;
  step_id: string;
  inp_ports: RenderedPort[];
  out_ports: RenderedPort[];
  substeps: RenderedOperator[];
};

export type RenderedDataflow = {
  typ?: string;
  flow_id: string;
  substeps: RenderedOperator[];
};

export function isRenderedDataflow(value: unknown): value is RenderedDataflow {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as RenderedDataflow).flow_id === 'string' &&
    Array.isArray((value as RenderedDataflow).substeps)
  );
}

export type StepNode = {
  id: string;
  name: string;
  opType: string;
  kind: 'step' | 'input-port' | 'output-port';
  hasSubsteps: boolean;
  inLeaves: string[]; // innermost steps that take this step's input (metrics "items in")
  outLeaves: string[]; // innermost steps that produce its output (metrics "items out")
};

export type StepEdge = { from: string; to: string; port: string };

export type StepGraph = { title: string; steps: StepNode[]; nodes: StepNode[]; edges: StepEdge[] };

function portOwner(portId: string): string {
  const dot = portId.lastIndexOf('.');
  return dot < 0 ? portId : portId.slice(0, dot);
}

function portName(portId: string): string {
  return portId.slice(portId.lastIndexOf('.') + 1);
}

function leaves(op: RenderedOperator): RenderedOperator[] {
  if (op.substeps.length === 0) return [op];
  return op.substeps.flatMap(leaves);
}

function inLeavesOf(op: RenderedOperator): string[] {
  if (op.substeps.length === 0) return [op.step_id];
  const fed = new Set(op.inp_ports.flatMap((p) => p.from_stream_ids));
  return leaves(op)
    .filter((leaf) => leaf.inp_ports.some((p) => p.from_stream_ids.some((s) => fed.has(s))))
    .map((leaf) => leaf.step_id);
}

function outLeavesOf(op: RenderedOperator): string[] {
  if (op.substeps.length === 0) return [op.step_id];
  return [...new Set(op.out_ports.flatMap((p) => p.from_stream_ids).map(portOwner))];
}

// Finds the operator at `path` (step ids from the top, [] = the dataflow).
export function findOperator(
  flow: RenderedDataflow,
  stepId: string,
): RenderedOperator | null {
  const search = (ops: RenderedOperator[]): RenderedOperator | null => {
    for (const op of ops) {
      if (op.step_id === stepId) return op;
      if (stepId.startsWith(op.step_id + '.')) return search(op.substeps);
    }
    return null;
  };
  return search(flow.substeps);
}

// One level of the graph: the dataflow's top steps (parent null), or the substeps of a step,
// with the parent's ports as pseudo-nodes at the edges.
export function stepGraph(flow: RenderedDataflow, parentId: string | null = null): StepGraph {
  const parent = parentId ? findOperator(flow, parentId) : null;
  const ops = parent ? parent.substeps : flow.substeps;
  const steps: StepNode[] = ops.map((op) => ({
    id: op.step_id,
    name: op.step_name,
    opType: op.op_type,
    kind: 'step',
    hasSubsteps: op.substeps.length > 0,
    inLeaves: inLeavesOf(op),
    outLeaves: outLeavesOf(op),
  }));
  const nodes = [...steps];
  const ids = new Set(steps.map((s) => s.id));
  const edges: StepEdge[] = [];
  const seen = new Set<string>();
  const addEdge = (from: string, to: string, port: string) => {
    const key = `${from}->${to}:${port}`;
    if (!seen.has(key)) {
      seen.add(key);
      edges.push({ from, to, port });
    }
  };
  if (parent) {
    for (const port of parent.inp_ports) {
      nodes.unshift({
        id: port.port_id,
        name: port.port_name,
        opType: 'input port',
        kind: 'input-port',
        hasSubsteps: false,
        inLeaves: [],
        outLeaves: [],
      });
      ids.add(port.port_id);
    }
    for (const port of parent.out_ports) {
      nodes.push({
        id: port.port_id,
        name: port.port_name,
        opType: 'output port',
        kind: 'output-port',
        hasSubsteps: false,
        inLeaves: [],
        outLeaves: [],
      });
      for (const from of port.from_port_ids) {
        const owner = portOwner(from);
        if (ids.has(owner)) addEdge(owner, port.port_id, portName(from));
      }
    }
  }
  for (const op of ops) {
    for (const port of op.inp_ports) {
      for (const from of port.from_port_ids) {
        const owner = portOwner(from);
        if (ids.has(owner) && owner !== op.step_id) {
          addEdge(owner, op.step_id, portName(from));
        } else if (ids.has(from)) {
          addEdge(from, op.step_id, ''); // from the parent's input port
        }
      }
    }
  }
  return {
    title: parent ? parent.step_id : flow.flow_id,
    steps,
    nodes,
    edges,
  };
}

// --- Layout ---------------------------------------------------------------------------------

export type PlacedNode = StepNode & { x: number; y: number; w: number; h: number; layer: number };
export type PlacedEdge = StepEdge & { path: string; labelX: number; labelY: number };
export type Layout = { nodes: PlacedNode[]; edges: PlacedEdge[]; width: number; height: number };

export const NODE_W = 180;
export const NODE_H = 46;
const GAP_X = 40;
const GAP_Y = 56;
const MARGIN = 16;

// Layers by longest path from the sources (top to bottom); order within a layer by the mean
// position of neighbours (a few sweeps down and up), the first order being the dataflow's.
export function layoutGraph(graph: StepGraph): Layout {
  const order = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const preds = new Map<string, string[]>(graph.nodes.map((n) => [n.id, []]));
  const succs = new Map<string, string[]>(graph.nodes.map((n) => [n.id, []]));
  for (const e of graph.edges) {
    if (preds.has(e.to) && succs.has(e.from)) {
      preds.get(e.to)!.push(e.from);
      succs.get(e.from)!.push(e.to);
    }
  }
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const layerOf = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle: break it here
    visiting.add(id);
    let l = 0;
    for (const p of preds.get(id) ?? []) l = Math.max(l, layerOf(p) + 1);
    visiting.delete(id);
    layer.set(id, l);
    return l;
  };
  for (const n of graph.nodes) layerOf(n.id);
  // Output ports of a parent go below everything.
  const maxStepLayer = Math.max(0, ...[...layer.values()]);
  for (const n of graph.nodes) {
    if (n.kind === 'output-port') layer.set(n.id, Math.max(layer.get(n.id)!, maxStepLayer));
  }
  const layers: string[][] = [];
  for (const n of graph.nodes) {
    const l = layer.get(n.id)!;
    (layers[l] ??= []).push(n.id);
  }
  for (let l = 0; l < layers.length; l++) layers[l] ??= [];
  const pos = new Map<string, number>();
  const setPositions = () => layers.forEach((ids) => ids.forEach((id, i) => pos.set(id, i)));
  setPositions();
  const sweep = (ids: string[], neighbours: Map<string, string[]>) => {
    const score = (id: string) => {
      const ns = neighbours.get(id)!.filter((n) => pos.has(n));
      return ns.length ? ns.reduce((s, n) => s + pos.get(n)!, 0) / ns.length : pos.get(id)!;
    };
    const scored = ids.map((id) => [id, score(id), order.get(id)!] as const);
    scored.sort((a, b) => a[1] - b[1] || a[2] - b[2]);
    ids.splice(0, ids.length, ...scored.map((s) => s[0]));
    ids.forEach((id, i) => pos.set(id, i));
  };
  for (let round = 0; round < 4; round++) {
    for (let l = 1; l < layers.length; l++) sweep(layers[l], preds);
    for (let l = layers.length - 2; l >= 0; l--) sweep(layers[l], succs);
  }
  const widest = Math.max(1, ...layers.map((ids) => ids.length));
  const width = MARGIN * 2 + widest * NODE_W + (widest - 1) * GAP_X;
  const height = MARGIN * 2 + layers.length * NODE_H + Math.max(0, layers.length - 1) * GAP_Y;
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const placed = new Map<string, PlacedNode>();
  layers.forEach((ids, l) => {
    const rowWidth = ids.length * NODE_W + (ids.length - 1) * GAP_X;
    const start = (width - rowWidth) / 2;
    ids.forEach((id, i) => {
      placed.set(id, {
        ...byId.get(id)!,
        x: start + i * (NODE_W + GAP_X),
        y: MARGIN + l * (NODE_H + GAP_Y),
        w: NODE_W,
        h: NODE_H,
        layer: l,
      });
    });
  });
  const edges: PlacedEdge[] = graph.edges
    .filter((e) => placed.has(e.from) && placed.has(e.to))
    .map((e) => {
      const a = placed.get(e.from)!;
      const b = placed.get(e.to)!;
      const x1 = a.x + a.w / 2;
      const y1 = a.y + a.h;
      const x2 = b.x + b.w / 2;
      const y2 = b.y;
      const dy = Math.max(24, (y2 - y1) / 2);
      return {
        ...e,
        path: `M${x1},${y1} C${x1},${y1 + dy} ${x2},${y2 - dy} ${x2},${y2}`,
        labelX: (x1 + x2) / 2,
        labelY: (y1 + y2) / 2,
      };
    });
  return { nodes: [...placed.values()], edges, width, height };
}
