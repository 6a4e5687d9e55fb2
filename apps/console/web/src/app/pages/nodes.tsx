import type { ReactNode } from 'react';
import { api } from '../api.js';
import { LoadError, useLoad } from '../forms.js';

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
      <table>
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">State</th>
            <th scope="col">Connections</th>
            <th scope="col">MQTT port</th>
            <th scope="col">Started</th>
            <th scope="col">Last heartbeat</th>
          </tr>
        </thead>
        <tbody>
          {nodes.data?.items.map((n) => (
            <tr key={n.nodeId}>
              <td>{n.nodeId}</td>
              <td className={`state ${n.live ? 'up' : 'down'}`}>{n.live ? 'live' : 'silent'}</td>
              <td>{n.connections}</td>
              <td>{n.mqttPort}</td>
              <td>{new Date(n.startedAt).toLocaleString()}</td>
              <td>{new Date(n.heartbeatAt).toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {nodes.data?.items.length === 0 && <p>No gateway node has reported yet.</p>}
    </section>
  );
}
