import type { MemoryEdgeView } from '../../../electron/api/contract/views.js';
import { radialLayout } from '../logic/graphLayout.js';

/** Related memories as a small star graph; edge colour says the relation, width its weight. */
export function MemoryGraph({ selfId, selfText, edges, onOpen }: { selfId: string; selfText: string; edges: MemoryEdgeView[]; onOpen(id: string): void }) {
  const size = 280;
  const nodes = radialLayout(selfId, selfText, edges, size);
  const [self, ...others] = nodes;
  if (!self || others.length === 0) return <p className="muted">No related memories yet.</p>;
  return (
    <svg className="memory-graph" viewBox={`0 0 ${size} ${size}`} role="img" aria-label="Related memories">
      {others.map((n) => (
        <line key={`e${n.id}`} x1={self.x} y1={self.y} x2={n.x} y2={n.y} className={`edge ${n.kind}`} strokeWidth={1 + n.weight * 3} />
      ))}
      <circle cx={self.x} cy={self.y} r={14} className="node self" />
      {others.map((n) => (
        <g key={n.id} className="node-group" onClick={() => onOpen(n.id)} role="button" aria-label={`Open: ${n.label}`}>
          <circle cx={n.x} cy={n.y} r={9} className={`node ${n.kind}`} />
          <title>{`${n.kind} (${n.weight.toFixed(2)}): ${n.label}`}</title>
        </g>
      ))}
    </svg>
  );
}
