// A gateway tier as processes for the multi-process fault tests: N gateway processes on the
// Redis session store (a private redis-server the test may restart), haproxy in front (TCP,
// checks on /health/ready every second, one failure takes a node out: as tools/cluster-local
// and tools/haproxy.cfg), on the shared test PostgreSQL and Kafka.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestRedisServer } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait.js';
import { GatewayProcess, freePort } from './harness.js';

export const HAPROXY = process.env.HAPROXY_BIN ?? 'haproxy';

/** Why the cluster tests cannot run here, or undefined when they can. */
export function clusterToolsMissing(): string | undefined {
  for (const tool of [HAPROXY, 'redis-server']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} not found (apt-get install haproxy redis-server)`;
  }
  return undefined;
}

function haproxyConfig(mqttPort: number, nodes: GatewayProcess[]): string {
  const servers = nodes.map((n, i) => `  server gw${i + 1} 127.0.0.1:${n.mqttPort} check port ${n.httpPort} inter 1s fall 1 rise 2`).join('\n');
  return `global
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 10m
  timeout server 10m
frontend mqtt
  bind 127.0.0.1:${mqttPort}
  default_backend gateways
backend gateways
  balance leastconn
  option httpchk GET /health/ready
  http-check expect status 200
${servers}
`;
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

export interface ClusterOptions {
  databaseUrl: string;
  kafkaBrokers: string[];
  nodes: number;
  /** Extra settings of every gateway process. */
  env?: Record<string, string>;
}

export class GatewayCluster {
  readonly redis = new TestRedisServer();
  readonly nodes: GatewayProcess[] = [];
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'fleetmq-haproxy-'));
  private haproxy: ChildProcess | undefined;
  private haproxyOutput = '';
  private port = 0;

  constructor(private readonly options: ClusterOptions) {}

  /** MQTT through haproxy. */
  get mqttUrl(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await this.redis.start();
    for (let i = 0; i < this.options.nodes; i++) {
      const node = new GatewayProcess({
        databaseUrl: this.options.databaseUrl,
        kafkaBrokers: this.options.kafkaBrokers,
        env: { FLEETMQ_SESSION_STORE: 'redis', REDIS_URL: this.redis.url, ...this.options.env },
      });
      this.nodes.push(node);
      // One at a time: the first migrates the database.
      await node.start();
      await waitFor(() => this.ready(node), { timeoutMs: 60_000, what: `gateway ${i + 1} ready` });
    }
    this.port = await freePort();
    const cfg = path.join(this.dir, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig(this.port, this.nodes));
    const child = spawn(HAPROXY, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.haproxy = child;
    const keep = (chunk: Buffer): void => {
      this.haproxyOutput = (this.haproxyOutput + chunk.toString()).slice(-10_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await waitFor(async () => (child.exitCode === null ? accepts(this.port) : Promise.reject(new Error(`haproxy exited:\n${this.haproxyOutput}`))), {
      timeoutMs: 20_000,
      what: 'haproxy accepting',
    });
  }

  /** True when the node's GET /health/ready answers 200. */
  async ready(node: GatewayProcess): Promise<boolean> {
    const res = await fetch(`http://127.0.0.1:${node.httpPort}/health/ready`, { signal: AbortSignal.timeout(3_000) }).catch(() => undefined);
    return res?.status === 200;
  }

  /**
   * True when haproxy's last word on `node` is that it is UP (haproxy -db prints each check
   * state change, "Server gateways/gwN is UP|DOWN"); a node haproxy never reported on is up.
   */
  balancedTo(node: GatewayProcess): boolean {
    const name = `gateways/gw${this.nodes.indexOf(node) + 1} is `;
    const at = this.haproxyOutput.lastIndexOf(name);
    return at < 0 || this.haproxyOutput.startsWith('UP', at + name.length);
  }

  /** The running node with the most MQTT connections, and the others. */
  async busiest(): Promise<{ victim: GatewayProcess; others: GatewayProcess[]; connections: number[] }> {
    const connections = await Promise.all(this.nodes.map((n) => n.metric('fleetmq_gateway_connections')));
    const index = connections.indexOf(Math.max(...connections));
    return { victim: this.nodes[index]!, others: this.nodes.filter((_, i) => i !== index), connections };
  }

  async stop(): Promise<void> {
    if (this.haproxy !== undefined && this.haproxy.exitCode === null) {
      const exited = new Promise((resolve) => this.haproxy!.once('exit', resolve));
      this.haproxy.kill('SIGTERM');
      await exited;
    }
    for (const node of this.nodes) await node.stop('SIGKILL');
    await this.redis.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
