/**
 * @module Where the network map puts its nodes: on a circle (stable order by id), then a fixed number
 * of Fruchterman–Reingold iterations (nodes repel, edges pull, the step cools), computed once per map.
 * Deterministic: the same map always gets the same picture. Pure.
 * @see Fruchterman & Reingold, "Graph Drawing by Force-directed Placement", 1991 (the forces and cooling)
 */

export interface LayoutInput {
  nodes: readonly { id: string }[];
  edges: readonly { from: string; to: string }[];
  width: number;
  height: number;
  /** Space kept free at the border for node circles and labels. */
  margin: number;
  iterations?: number;
}

export type Positions = Map<string, { x: number; y: number }>;

export function layoutGraph(input: LayoutInput): Positions {
  const { width: w, height: h, margin } = input;
  const ids = [...input.nodes.map((n) => n.id)].sort();
  const cx = w / 2;
  const cy = h / 2;
  const radius = Math.max(10, Math.min(w, h) / 2 - margin);
  const pos = new Map<string, { x: number; y: number }>();
  // Start on a circle: one node in the middle, two side by side, more around.
  ids.forEach((id, i) => {
    if (ids.length === 1) pos.set(id, { x: cx, y: cy });
    else {
      const a = (2 * Math.PI * i) / ids.length - Math.PI / 2;
      pos.set(id, { x: cx + radius * Math.cos(a), y: cy + radius * Math.sin(a) });
    }
  });
  if (ids.length < 3) return pos;

  const area = (w - 2 * margin) * (h - 2 * margin);
  const k = Math.sqrt(area / ids.length);
  const links = input.edges.filter((e) => e.from !== e.to && pos.has(e.from) && pos.has(e.to));
  const iterations = input.iterations ?? 80;
  let temperature = Math.min(w, h) / 8;
  for (let it = 0; it < iterations; it++) {
    const disp = new Map(ids.map((id) => [id, { x: 0, y: 0 }]));
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++) {
        const a = pos.get(ids[i]!)!;
        const b = pos.get(ids[j]!)!;
        let dx = a.x - b.x;
        let dy = a.y - b.y;
        let d = Math.hypot(dx, dy);
        if (d < 0.01) {
          // Two nodes on one spot: push apart along a fixed direction so the result stays deterministic.
          dx = 0.01 * (i + 1);
          dy = 0.01 * (j + 1);
          d = Math.hypot(dx, dy);
        }
        const f = (k * k) / d;
        const da = disp.get(ids[i]!)!;
        const db = disp.get(ids[j]!)!;
        da.x += (dx / d) * f;
        da.y += (dy / d) * f;
        db.x -= (dx / d) * f;
        db.y -= (dy / d) * f;
      }
    for (const e of links) {
      const a = pos.get(e.from)!;
      const b = pos.get(e.to)!;
      const dx = a.x - b.x;
      const dy = a.y - b.y;
      const d = Math.max(0.01, Math.hypot(dx, dy));
      const f = (d * d) / k;
      const da = disp.get(e.from)!;
      const db = disp.get(e.to)!;
      da.x -= (dx / d) * f;
      da.y -= (dy / d) * f;
      db.x += (dx / d) * f;
      db.y += (dy / d) * f;
    }
    for (const id of ids) {
      const p = pos.get(id)!;
      const v = disp.get(id)!;
      // A little gravity keeps unconnected groups from drifting to the border.
      v.x += (cx - p.x) * 0.05 * (k / 10);
      v.y += (cy - p.y) * 0.05 * (k / 10);
      const len = Math.max(0.01, Math.hypot(v.x, v.y));
      const step = Math.min(len, temperature);
      p.x = Math.min(w - margin, Math.max(margin, p.x + (v.x / len) * step));
      p.y = Math.min(h - margin, Math.max(margin, p.y + (v.y / len) * step));
    }
    temperature *= 0.95;
  }
  return pos;
}
