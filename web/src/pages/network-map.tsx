/**
 * @module The network map tab (GET /communications/map): zones or device classes and the internet as
 * nodes of a hand-drawn SVG graph, client → server edges as arrows as thick as their flows, red and
 * dashed where the approved policy denies traffic. Click or Enter on a node selects it and the table
 * beside the graph lists its edges; without a selection the table lists every edge, so the table is the
 * accessible form of the whole map. Grouping, site and selection live in the URL.
 */

import { type KeyboardEvent, type ReactNode, useMemo } from 'react';
import { formatBytes } from '../../../src/format-bytes.js';
import { plural } from '../../../src/format-count.js';
import { api, ok } from '../api.js';
import { type Column, DataTable } from '../components/data-table.js';
import { ErrorMessage, formatDate, Loading, SelectField } from '../components/ui.js';
import { href, navigate, useLoad, useLocation } from '../router.js';
import { layoutGraph } from './network-layout.js';

type MapData = Awaited<ReturnType<typeof loadMap>>;
type MapEdge = MapData['edges'][number];
type MapNode = MapData['nodes'][number];

const W = 720;
const H = 440;
const MARGIN = 80;

const GROUPINGS = [
  { value: 'zone', label: 'zone' },
  { value: 'deviceClass', label: 'device class' },
] as const;

function loadMap(site: string, groupBy: string) {
  return ok(
    api().communications.map.$get({
      query: { ...(site ? { site } : {}), groupBy: groupBy === 'deviceClass' ? 'deviceClass' : 'zone' },
    }),
  );
}

const nodeRadius = (n: MapNode) => Math.min(30, 14 + 4 * Math.log2(1 + n.devices));

/** How the policy judges an edge, in words (also the edge's colour). */
function verdict(e: MapEdge): string {
  if (e.allowedByPolicy === undefined) return 'no approved policy';
  return e.allowedByPolicy ? 'allowed' : `denied (${e.blockedFlows ?? 0} of ${plural(e.flows, 'flow')})`;
}

const edgeTone = (e: MapEdge) =>
  e.allowedByPolicy === undefined ? 'muted' : e.allowedByPolicy ? 'ok' : 'danger';

export function NetworkMapTab({ site, siteField }: { site: string; siteField: ReactNode }) {
  const { query } = useLocation();
  const groupBy = query.get('groupBy') === 'deviceClass' ? 'deviceClass' : 'zone';
  const selected = query.get('node') ?? '';
  const map = useLoad(() => loadMap(site, groupBy), [site, groupBy]);
  const go = (next: Record<string, string | undefined>, replace = false) =>
    navigate(href('/network', { site, groupBy, node: selected, ...next }), { replace });

  return (
    <>
      <div className="toolbar">
        {siteField}
        <SelectField
          label="Group by"
          name="groupBy"
          value={groupBy}
          options={GROUPINGS}
          onChange={(v) => go({ groupBy: v, node: undefined })}
        />
      </div>
      <ErrorMessage error={map.error} />
      {map.data ? (
        <MapView data={map.data} selected={selected} onSelect={(id) => go({ node: id || undefined }, true)} />
      ) : (
        !map.error && <Loading what="the communication map" />
      )}
    </>
  );
}

function MapView(props: { data: MapData; selected: string; onSelect: (id: string) => void }) {
  const { data, selected } = props;
  const positions = useMemo(
    () => layoutGraph({ nodes: data.nodes, edges: data.edges, width: W, height: H, margin: MARGIN }),
    [data],
  );
  const labels = new Map(data.nodes.map((n) => [n.id, n.label]));
  const maxFlows = Math.max(1, ...data.edges.map((e) => e.flows));
  const width = (e: MapEdge) => 1.5 + (5 * Math.log1p(e.flows)) / Math.log1p(maxFlows);
  const node = data.nodes.find((n) => n.id === selected);
  const shown = node ? data.edges.filter((e) => e.from === node.id || e.to === node.id) : data.edges;
  const pairs = new Set(data.edges.map((e) => `${e.from}\u0000${e.to}`));

  const select = (id: string) => props.onSelect(id === selected ? '' : id);
  const onKey = (id: string) => (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      select(id);
    }
  };

  const columns: Column<MapEdge>[] = [
    { key: 'from', label: 'From', render: (e) => labels.get(e.from) ?? e.from },
    { key: 'to', label: 'To', render: (e) => labels.get(e.to) ?? e.to },
    { key: 'protocols', label: 'Protocols', render: (e) => e.protocols.join(', ') || '—' },
    { key: 'ports', label: 'Ports', render: (e) => e.ports.join(', ') || '—' },
    { key: 'flows', label: 'Flows', render: (e) => e.flows.toLocaleString('en') },
    { key: 'bytes', label: 'Volume', render: (e) => formatBytes(e.bytes) },
    { key: 'last', label: 'Last seen', render: (e) => formatDate(e.lastSeen) },
    { key: 'policy', label: 'Policy', render: (e) => verdict(e) },
  ];

  if (data.nodes.length === 0)
    return <p className="muted">No communications recorded yet: import a capture or run a sensor.</p>;

  return (
    <>
      {data.truncated && (
        <p className="notice" role="status">
          Showing the {data.edges.length.toLocaleString('en')} busiest of{' '}
          {data.totalEdges.toLocaleString('en')} connections.
        </p>
      )}
      <div className="network-map">
        <div className="card network-graph">
          <svg
            viewBox={`0 0 ${W} ${H}`}
            aria-label={`Communication map: ${plural(data.nodes.length, 'group')}, ${plural(data.edges.length, 'connection')}. Select a group to list its connections.`}
          >
            <defs>
              {(['muted', 'ok', 'danger'] as const).map((c) => (
                <marker
                  key={c}
                  id={`arrow-${c}`}
                  viewBox="0 0 10 10"
                  refX="9"
                  refY="5"
                  markerUnits="userSpaceOnUse"
                  markerWidth="12"
                  markerHeight="12"
                  orient="auto-start-reverse"
                >
                  <path d="M0,0 L10,5 L0,10 z" className={`tone-${c}`} />
                </marker>
              ))}
            </defs>
            <g>
              {data.edges.map((e) => {
                const a = positions.get(e.from);
                const b = positions.get(e.to);
                const from = data.nodes.find((n) => n.id === e.from);
                const to = data.nodes.find((n) => n.id === e.to);
                if (!a || !b || !from || !to) return null;
                const tone = edgeTone(e);
                const marker = `url(#arrow-${tone})`;
                const dim = node && e.from !== node.id && e.to !== node.id;
                const className = `network-edge tone-${tone}${dim ? ' dim' : ''}`;
                // Only the width depends on the data; colours and dashes come from the stylesheet.
                const style = { strokeWidth: width(e) };
                const key = `${e.from}->${e.to}`;
                if (e.from === e.to) {
                  const r = nodeRadius(from);
                  return (
                    <path
                      key={key}
                      className={className}
                      d={`M ${a.x - 8} ${a.y - r + 2} C ${a.x - 40} ${a.y - r - 50}, ${a.x + 40} ${a.y - r - 50}, ${a.x + 8} ${a.y - r + 2}`}
                      style={style}
                      markerEnd={marker}
                    />
                  );
                }
                // Curve the edge a little so A→B and B→A do not overlap; stop at the node circles.
                const dx = b.x - a.x;
                const dy = b.y - a.y;
                const d = Math.max(1, Math.hypot(dx, dy));
                const bend = pairs.has(`${e.to}\u0000${e.from}`) ? 0.12 : 0.04;
                const mx = (a.x + b.x) / 2 - dy * bend;
                const my = (a.y + b.y) / 2 + dx * bend;
                const ra = nodeRadius(from) + 2;
                const rb = nodeRadius(to) + 4;
                const sx = a.x + (dx / d) * ra;
                const sy = a.y + (dy / d) * ra;
                const ex = b.x - (dx / d) * rb;
                const ey = b.y - (dy / d) * rb;
                return (
                  <path
                    key={key}
                    className={className}
                    d={`M ${sx} ${sy} Q ${mx} ${my} ${ex} ${ey}`}
                    style={style}
                    markerEnd={marker}
                  />
                );
              })}
            </g>
            {data.nodes.map((n) => {
              const p = positions.get(n.id);
              if (!p) return null;
              const r = nodeRadius(n);
              const isSelected = n.id === selected;
              const edges = data.edges.filter((e) => e.from === n.id || e.to === n.id).length;
              return (
                // biome-ignore lint/a11y/useSemanticElements: SVG has no <button>; the group acts as one
                <g
                  key={n.id}
                  className={`network-node${n.kind === 'external' ? ' external' : ''}`}
                  role="button"
                  tabIndex={0}
                  aria-pressed={isSelected}
                  aria-label={`${n.kind === 'deviceClass' ? 'device class' : n.kind} ${n.label}: ${plural(n.devices, 'device')}, ${plural(edges, 'connection')}`}
                  onClick={() => select(n.id)}
                  onKeyDown={onKey(n.id)}
                >
                  <title>{n.label}</title>
                  <circle cx={p.x} cy={p.y} r={r} />
                  <text className="count" x={p.x} y={p.y + 4} textAnchor="middle">
                    {n.devices}
                  </text>
                  <text className="name" x={p.x} y={p.y + r + 15} textAnchor="middle">
                    {n.label}
                  </text>
                </g>
              );
            })}
          </svg>
          <p className="muted network-legend">
            Circles: groups (number of devices inside). Arrows: client → server, thicker with more flows;{' '}
            <span className="legend-ok">green</span> allowed by the approved policy,{' '}
            <span className="legend-danger">red dashed</span> denied, grey without an approved policy.
          </p>
        </div>
        <div className="network-edges">
          <h2>{node ? `Connections of ${node.label}` : 'All connections'}</h2>
          {node && (
            <p>
              {node.kind === 'deviceClass' ? 'Device class' : node.kind === 'zone' ? 'Zone' : 'External'}{' '}
              <strong>{node.label}</strong>: {plural(node.devices, 'device')},{' '}
              {plural(node.addresses, 'address', 'addresses')}.{' '}
              <button type="button" className="link" onClick={() => props.onSelect('')}>
                Show all connections
              </button>
            </p>
          )}
          <DataTable
            caption={node ? `Connections of ${node.label}` : 'All connections'}
            columns={columns}
            rows={shown}
            rowKey={(e) => `${e.from}->${e.to}`}
            rowClass={(e) => (e.allowedByPolicy === false ? 'denied' : undefined)}
          />
        </div>
      </div>
    </>
  );
}
