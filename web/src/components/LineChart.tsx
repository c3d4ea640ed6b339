// A small SVG line chart: a few series over time, the latest values in the legend.

export type Series = { label: string; points: { t: number; v: number }[]; className: string };

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  if (abs >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (abs >= 1e3) return (v / 1e3).toFixed(1) + 'k';
  if (abs >= 100) return v.toFixed(0);
  if (abs >= 1) return v.toFixed(1);
  if (abs === 0) return '0';
  return v.toPrecision(2);
}

export function LineChart(props: {
  title: string;
  unit: string;
  series: Series[];
  testId: string;
  width?: number;
  height?: number;
}) {
  const width = props.width ?? 280;
  const height = props.height ?? 90;
  const pad = { l: 36, r: 6, t: 6, b: 14 };
  const all = props.series.flatMap((s) => s.points);
  const tMin = Math.min(...all.map((p) => p.t));
  const tMax = Math.max(...all.map((p) => p.t));
  const vMax = Math.max(0, ...all.map((p) => p.v));
  const top = vMax > 0 ? vMax * 1.1 : 1;
  const x = (t: number) =>
    pad.l + (tMax > tMin ? ((t - tMin) / (tMax - tMin)) * (width - pad.l - pad.r) : 0);
  const y = (v: number) => pad.t + (1 - v / top) * (height - pad.t - pad.b);
  return (
    <figure className="chart" data-testid={props.testId}>
      <figcaption>
        <span>{props.title}</span>
        {props.series.map((s) => {
          const last = s.points[s.points.length - 1];
          return (
            <span key={s.label} className={`legend ${s.className}`}>
              {s.label} {last ? formatNumber(last.v) : '–'} {props.unit}
            </span>
          );
        })}
      </figcaption>
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={props.title}>
        <line x1={pad.l} x2={width - pad.r} y1={y(0)} y2={y(0)} className="axis" />
        <line x1={pad.l} x2={width - pad.r} y1={y(top)} y2={y(top)} className="grid" />
        <text x={pad.l - 4} y={y(top) + 8} className="tick" textAnchor="end">
          {formatNumber(top)}
        </text>
        <text x={pad.l - 4} y={y(0)} className="tick" textAnchor="end">
          0
        </text>
        {all.length === 0 && (
          <text x={width / 2} y={height / 2} className="tick" textAnchor="middle">
            waiting for samples…
          </text>
        )}
        {props.series.map((s) =>
          s.points.length > 0 ? (
            <polyline
              key={s.label}
              className={`line ${s.className}`}
              points={s.points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')}
            />
          ) : null,
        )}
      </svg>
    </figure>
  );
}
