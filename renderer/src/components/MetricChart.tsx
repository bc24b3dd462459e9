import { METRIC_NAMES, type Metrics } from '../../../electron/api/contract/views.js';

const LABELS: Record<string, string> = { source_trust: 'source trust' };

/**
 * The 14 metrics as horizontal bars: a small SVG is clearer here than a charting library
 * (fixed 14 rows, one scale; valence alone runs from −1 to 1, so it is drawn from the middle).
 */
export function MetricChart({ metrics }: { metrics: Metrics }) {
  const row = 20;
  const labelW = 96;
  const barW = 200;
  const h = METRIC_NAMES.length * row;
  return (
    <svg className="metric-chart" viewBox={`0 0 ${labelW + barW + 44} ${h}`} role="img" aria-label="The memory's 14 metrics">
      {METRIC_NAMES.map((name, i) => {
        const v = metrics[name];
        const y = i * row;
        const signed = name === 'valence';
        const x0 = signed ? labelW + barW / 2 : labelW;
        const w = signed ? (Math.abs(v) * barW) / 2 : v * barW;
        const x = signed && v < 0 ? x0 - w : x0;
        return (
          <g key={name} data-metric={name}>
            <text x={labelW - 6} y={y + 14} textAnchor="end" className="axis">
              {LABELS[name] ?? name}
            </text>
            <rect x={labelW} y={y + 4} width={barW} height={12} className="track" />
            <rect x={x} y={y + 4} width={Math.max(w, 0.5)} height={12} className={name === 'gibberish' ? 'bar warn' : 'bar'} />
            <text x={labelW + barW + 6} y={y + 14} className="value">
              {v.toFixed(2)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
