import mqtt, { type MqttClient } from 'mqtt';

export interface SimulatedMessage {
  at: string;
  direction: 'in' | 'out';
  topic: string;
  payload: string;
}

export interface SimulatorState {
  status: 'disconnected' | 'connecting' | 'connected' | 'error';
  detail: string;
  clientId: string;
  subscriptions: string[];
  messages: SimulatedMessage[];
}

export interface SimulatorConnect {
  url: string;
  clientId: string;
  username: string;
  password: string;
}

const KEEP_MESSAGES = 200;

/**
 * One simulated device for the whole page: it stays connected while the operator moves to
 * another page (e.g. to send it a P2P message), and React reads it as an external store.
 */
class DeviceSimulator {
  private client: MqttClient | null = null;
  private state: SimulatorState = { status: 'disconnected', detail: '', clientId: '', subscriptions: [], messages: [] };
  private readonly listeners = new Set<() => void>();

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly snapshot = (): SimulatorState => this.state;

  private set(patch: Partial<SimulatorState>): void {
    this.state = { ...this.state, ...patch };
    this.listeners.forEach((l) => l());
  }

  private log(message: Omit<SimulatedMessage, 'at'>): void {
    this.set({ messages: [{ at: new Date().toISOString(), ...message }, ...this.state.messages].slice(0, KEEP_MESSAGES) });
  }

  connect(options: SimulatorConnect): void {
    this.disconnect();
    this.set({ status: 'connecting', detail: `connecting to ${options.url}`, clientId: options.clientId, subscriptions: [] });
    // No automatic reconnect: a refused CONNECT should stay visible, not loop.
    const client = mqtt.connect(options.url, {
      clientId: options.clientId,
      username: options.username || undefined,
      password: options.password || undefined,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    this.client = client;
    client.on('connect', () => this.client === client && this.set({ status: 'connected', detail: `connected as ${options.clientId}` }));
    client.on('error', (err: Error & { code?: number }) => {
      if (this.client !== client) return;
      this.set({ status: 'error', detail: err.code !== undefined ? `refused: CONNACK ${err.code} (${err.message})` : err.message });
    });
    client.on('close', () => {
      if (this.client !== client || this.state.status === 'error') return;
      this.set({ status: 'disconnected', detail: 'connection closed' });
    });
    client.on('message', (topic, payload) => this.log({ direction: 'in', topic, payload: new TextDecoder().decode(payload) }));
  }

  disconnect(): void {
    const client = this.client;
    this.client = null;
    client?.end(true);
    if (client) this.set({ status: 'disconnected', detail: 'disconnected' });
  }

  async subscribeTo(filter: string, qos: 0 | 1): Promise<void> {
    const client = this.connected();
    const granted = await client.subscribeAsync(filter, { qos });
    const code = granted[0]?.qos;
    if (code === 128) throw new Error(`subscription to ${filter} refused (SUBACK 0x80)`);
    this.set({ subscriptions: [...this.state.subscriptions.filter((s) => s !== filter), filter] });
  }

  async publish(topic: string, payload: string, qos: 0 | 1): Promise<void> {
    await this.connected().publishAsync(topic, payload, { qos });
    this.log({ direction: 'out', topic, payload });
  }

  clear(): void {
    this.set({ messages: [] });
  }

  private connected(): MqttClient {
    if (!this.client || this.state.status !== 'connected') throw new Error('the simulator is not connected');
    return this.client;
  }
}

export const simulator = new DeviceSimulator();
