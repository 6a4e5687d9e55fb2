import { Redis } from 'ioredis';
import type { Logger } from '#config';
import { MalformedRecordError } from '../errors.js';
import { closeRedis } from './close-redis.js';
import { decodeForwardedP2P, encodeForwardedP2P, type ForwardedP2P } from './p2p-forward.codec.js';
import { nodeP2PChannel } from './presence-keys.js';

export type ForwardedP2PHandler = (msg: ForwardedP2P) => void;

/**
 * P2P messages between gateway nodes over Redis pub/sub: each node subscribes to its own channel
 * `fleetmq:node:<nodeId>:p2p`; the node that read a downlink record for a client held elsewhere
 * publishes it there. Pub/sub keeps no message: `forward` resolves with the number of nodes that
 * received it, 0 when the holder is gone, so the caller falls back to offline handling.
 */
export class RedisNodeChannel {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly log: Logger;
  private failures = 0;

  constructor(redisUrl: string, private readonly nodeId: string, logger: Logger) {
    this.log = logger.child({ component: 'node-channel' });
    this.publisher = new Redis(redisUrl, { lazyConnect: true });
    this.subscriber = new Redis(redisUrl, { lazyConnect: true });
    // ioredis reconnects (and resubscribes) by itself; an unhandled 'error' would end the process.
    this.publisher.on('error', (err: Error) => this.failed(err));
    this.subscriber.on('error', (err: Error) => this.failed(err));
  }

  /** Subscribes to this node's channel; `handler` gets each message a peer forwarded. */
  async start(handler: ForwardedP2PHandler): Promise<void> {
    this.subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
      const msg = decodeForwardedP2P(message);
      if (msg === undefined) this.failed(new MalformedRecordError('forwarded P2P message'));
      else handler(msg);
    });
    await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    await this.subscriber.subscribe(nodeP2PChannel(this.nodeId));
  }

  /** How many nodes received it (0: nobody subscribes to `nodeId`'s channel any more). */
  forward(nodeId: string, msg: ForwardedP2P): Promise<number> {
    return this.publisher.publish(nodeP2PChannel(nodeId), encodeForwardedP2P(msg));
  }

  async stop(): Promise<void> {
    await Promise.all([closeRedis(this.subscriber), closeRedis(this.publisher)]);
  }

  private failed(err: Error): void {
    if (this.failures++ % 100 === 0) this.log.warn({ err: err.message, failures: this.failures }, 'node channel: Redis error');
  }
}
