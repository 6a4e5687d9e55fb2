import type { ReactNode } from 'react';
import { api } from '../api.js';
import { LoadError, useLoad } from '../forms.js';
import { ListTable, StateCell, TimeCell } from '../list-table.js';

interface GatewayNode {
  nodeId: string;
  startedAt: string;
  heartbeatAt: string;
  mqttPort: number;
  connections: number;
  live: boolean;
}

export function NodesPage(): ReactNode {
  const nodes = useLoad('nodes', () => api<{ items: GatewayNode[] }>('GET', '/api/v1/nodes'));
  return (
    <section aria-labelledby="nodes-title">
      <h1 id="nodes-title">Gateway nodes</h1>
      <button type="button" onClick={nodes.reload}>
        Refresh
      </button>
      <LoadError error={nodes.error} />
      <ListTable columns={['Node', 'State', 'Connections', 'MQTT port', 'Started', 'Last heartbeat']}>
          {nodes.data?.items.map((n) => (
            <tr key={n.nodeId}>
              <td>{n.nodeId}</td>
              <StateCell up={n.live}>{n.live ? 'live' : 'silent'}</StateCell>
              <td>{n.connections}</td>
              <td>{n.mqttPort}</td>
              <TimeCell at={n.startedAt} />
              <TimeCell at={n.heartbeatAt} />
            </tr>
          ))}
      </ListTable>
      {nodes.data?.items.length === 0 && <p>No gateway node has reported yet.</p>}
    </section>
  );
}
