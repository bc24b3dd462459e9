import type { DriftView, TierBalance } from '../../../electron/api/contract/views.js';
import { percent } from '../logic/format.js';

/** L3:L4 as one bar with the 30/70 band marked. */
export function BalancePicture({ balance }: { balance: TierBalance }) {
  const share = balance.l3Share ?? 0;
  const words: Record<TierBalance['side'], string> = {
    empty: 'Nothing remembered yet.',
    'under-integrating': 'Under-integrating: much is said, little is distilled.',
    balanced: 'Balanced.',
    'over-remembering': 'Over-remembering: more essence than the archive supports.',
  };
  return (
    <figure className="balance" aria-label="Tier balance">
      <svg viewBox="0 0 300 36" role="img" aria-label={`L3 ${percent(balance.l3Share)} of memory`}>
        <rect x={0} y={8} width={300} height={16} className="l4" />
        <rect x={0} y={8} width={300 * share} height={16} className="l3" />
        <rect x={300 * balance.band.low} y={4} width={300 * (balance.band.high - balance.band.low)} height={24} className="band" />
      </svg>
      <figcaption>
        L3 {balance.l3.toLocaleString()} · L4 {balance.l4.toLocaleString()} · L3 share {percent(balance.l3Share)} (target {percent(balance.band.low)}–{percent(balance.band.high)}). {words[balance.side]}
      </figcaption>
    </figure>
  );
}

/** Drift against the Golden Baseline: a gauge with the warning and critical marks, then metric by metric. */
export function DriftPicture({ drift }: { drift: DriftView }) {
  if (drift.drift === null) return <p className="muted">No baseline yet: drift is measured once Emily has a baseline of her memories.</p>;
  const scale = Math.max(drift.thresholds.critical * 1.5, drift.drift);
  const x = (v: number) => (v / scale) * 300;
  return (
    <figure className={`drift ${drift.level}`} aria-label="Drift">
      <svg viewBox="0 0 300 30" role="img" aria-label={`Drift ${percent(drift.drift, 1)}, ${drift.level}`}>
        <rect x={0} y={8} width={300} height={14} className="track" />
        <rect x={0} y={8} width={x(drift.drift)} height={14} className="bar" />
        <line x1={x(drift.thresholds.warning)} x2={x(drift.thresholds.warning)} y1={2} y2={28} className="mark warning" />
        <line x1={x(drift.thresholds.critical)} x2={x(drift.thresholds.critical)} y1={2} y2={28} className="mark critical" />
      </svg>
      <figcaption>
        Drift {percent(drift.drift, 1)} — {drift.level} (warning at {percent(drift.thresholds.warning)}, critical at {percent(drift.thresholds.critical)}).
      </figcaption>
      <table className="compact">
        <thead>
          <tr>
            <th>metric</th>
            <th>baseline</th>
            <th>now</th>
          </tr>
        </thead>
        <tbody>
          {Object.keys(drift.baseline).map((k) => (
            <tr key={k}>
              <td>{k}</td>
              <td>{drift.baseline[k as keyof typeof drift.baseline]?.toFixed(2)}</td>
              <td>{drift.current[k as keyof typeof drift.current]?.toFixed(2) ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
