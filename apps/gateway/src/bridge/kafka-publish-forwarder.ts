import { performance } from 'node:perf_hooks';
import type { Logger } from '#config';
import { PRODUCER_EVENTS, QueueFullError, type Done, type UplinkMessage, type UplinkSink } from '#messaging';
import type { ClientContext, PublishForwarder, UplinkPublish } from '../gateway.ports.js';
import type { TrafficCounters } from '../state/traffic-counters.js';
import type { BridgeMetrics } from './bridge.metrics.js';

type ForwardDone = (err?: Error | null) => void;

/**
 * Every accepted PUBLISH becomes a `fleetmq.uplink` record (DESIGN.md "Message flow").
 * - QoS 1/2: `done` (hence PUBACK/PUBREC) only once Kafka acknowledged the record (acks=all);
 *   a record Kafka will never take fails `done`, and the client retries after reconnecting.
 * - QoS 0: best effort; `done` at once, the record is dropped and counted when its queue is full.
 * - Saturation (Kafka slow or down, too many guaranteed records waiting): QoS 0 `done` calls are
 *   held until the producer resumes, so every publishing connection reaches its in-flight limit
 *   and the core stops reading its socket: memory stays bounded and reading resumes by itself.
 * Called synchronously and in packet order per connection; the producer keeps that order.
 */
export class KafkaPublishForwarder implements PublishForwarder {
  private saturated = false;
  private heldQos0: ForwardDone[] = [];
  private readonly qos0Done: Done;
  private readonly onSaturated = (): void => {
    this.saturated = true;
    this.metrics.uplinkPaused.set(1);
    this.logger.warn('uplink saturated: publishers are held until Kafka catches up');
  };
  private readonly onResumed = (): void => {
    this.saturated = false;
    this.metrics.uplinkPaused.set(0);
    this.logger.info({ released: this.heldQos0.length }, 'uplink resumed');
    this.releaseHeld();
  };
  private readonly onUnavailable = (): void => {
    this.metrics.kafkaUp.set(0);
  };
  private readonly onRecovered = (): void => {
    this.metrics.kafkaUp.set(1);
  };

  constructor(
    private readonly sink: UplinkSink,
    private readonly metrics: BridgeMetrics,
    private readonly traffic: TrafficCounters,
    private readonly logger: Logger,
  ) {
    // One shared callback for every QoS 0 record: no closure per message.
    this.qos0Done = (err?: Error) => {
      if (err === undefined) metrics.uplinkAcked.inc();
      else if (err instanceof QueueFullError) metrics.uplinkDropped.inc();
      else metrics.uplinkFailed.inc();
    };
    sink.on(PRODUCER_EVENTS.saturated, this.onSaturated);
    sink.on(PRODUCER_EVENTS.resumed, this.onResumed);
    sink.on(PRODUCER_EVENTS.unavailable, this.onUnavailable);
    sink.on(PRODUCER_EVENTS.recovered, this.onRecovered);
    metrics.kafkaUp.set(1);
    metrics.uplinkPaused.set(0);
  }

  forward(ctx: ClientContext, packet: UplinkPublish, done: ForwardDone): void {
    const msg: UplinkMessage = {
      instanceId: ctx.instanceId,
      clientId: ctx.clientId,
      topic: packet.topic,
      qos: packet.qos,
      retain: packet.retain,
      payload: packet.payload,
    };
    this.traffic.countIn(ctx.instanceId);
    if (packet.qos === 0) {
      this.metrics.producedByQos['0'].inc();
      this.sink.send(msg, this.qos0Done);
      if (this.saturated) this.heldQos0.push(done);
      else done();
      return;
    }
    this.metrics.producedByQos[packet.qos === 1 ? '1' : '2'].inc();
    const metrics = this.metrics;
    const handedAt = performance.now();
    this.sink.send(msg, (err?: Error) => {
      if (err === undefined) {
        metrics.uplinkAcked.inc();
        metrics.uplinkAckSeconds.observe((performance.now() - handedAt) / 1000);
        done();
      } else {
        metrics.uplinkFailed.inc();
        done(err);
      }
    });
  }

  /** Queue depth for the gauge (read on a timer, not per message). */
  sampleQueue(): void {
    const c = this.sink.uplinkCounters;
    this.metrics.uplinkQueueDepth.set(c.queued + c.inFlight);
  }

  /** Lets held publishers go (shutdown) and detaches from the producer. */
  close(): void {
    this.sink.off(PRODUCER_EVENTS.saturated, this.onSaturated);
    this.sink.off(PRODUCER_EVENTS.resumed, this.onResumed);
    this.sink.off(PRODUCER_EVENTS.unavailable, this.onUnavailable);
    this.sink.off(PRODUCER_EVENTS.recovered, this.onRecovered);
    this.saturated = false;
    this.releaseHeld();
  }

  private releaseHeld(): void {
    const held = this.heldQos0;
    this.heldQos0 = [];
    for (const done of held) done();
  }
}
