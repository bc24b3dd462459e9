import type { MemoryEdgeView } from '../../../electron/api/contract/index.js';

export interface GraphNode {
  id: string;
  label: string;
  x: number;
  y: number;
  kind: MemoryEdgeView['kind'] | 'self';
  weight: number;
}

/** The memory in the middle, its neighbours on a circle, strongest first from the top. */
export function radialLayout(selfId: string, selfText: string, edges: MemoryEdgeView[], size: number, max = 12): GraphNode[] {
  const c = size / 2;
  const r = size / 2 - 28;
  const seen = new Set<string>();
  const picked = [...edges].sort((a, b) => b.weight - a.weight).filter((e) => !seen.has(e.otherId) && seen.add(e.otherId)).slice(0, max);
  const nodes: GraphNode[] = [{ id: selfId, label: selfText, x: c, y: c, kind: 'self', weight: 1 }];
  picked.forEach((e, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(picked.length, 1);
    nodes.push({ id: e.otherId, label: e.otherText, x: c + r * Math.cos(angle), y: c + r * Math.sin(angle), kind: e.kind, weight: e.weight });
  });
  return nodes;
}
