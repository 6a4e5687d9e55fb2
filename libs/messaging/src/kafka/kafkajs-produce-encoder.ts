import produce from 'kafkajs/src/protocol/requests/produce/index.js';
import { encodeProduceRequest, type ProduceRequestArgs } from './produce-request.js';

/** kafkajs's compression code for "none" (CompressionTypes.None). */
const NO_COMPRESSION = 0;
/** Produce versions whose request body encodeProduceRequest writes (kafkajs implements up to 7). */
const MIN_VERSION = 3;
const MAX_VERSION = 7;
const INSTALLED = Symbol.for('fleetmq.kafkajs-produce-encoder');

/** What kafkajs's request framing reads from an encoded body (its Encoder's `buf`/`buffer`/`size()`). */
class EncodedBody {
  constructor(readonly buf: Buffer) {}
  get buffer(): Buffer {
    return this.buf;
  }
  size(): number {
    return this.buf.length;
  }
}

/**
 * Makes kafkajs encode uncompressed Produce requests (v3..v7) with encodeProduceRequest: the
 * same bytes, a fraction of the CPU and garbage. kafkajs looks the request builder up on its
 * Produce protocol object for every request, so wrapping that lookup is enough; compressed
 * requests and other versions keep kafkajs's own encoder. Idempotent; returns false (and
 * changes nothing) if kafkajs's internals are not shaped as expected.
 */
export function installProduceEncoder(): boolean {
  const protocol = produce as typeof produce & { [INSTALLED]?: true };
  if (protocol[INSTALLED]) return true;
  if (typeof protocol?.protocol !== 'function' || !Array.isArray(protocol.versions)) return false;
  const original = protocol.protocol.bind(protocol);
  protocol.protocol = ({ version }) => {
    const build = original({ version });
    if (version < MIN_VERSION || version > MAX_VERSION) return build;
    return (args) => {
      const built = build(args);
      if ((args.compression ?? NO_COMPRESSION) === NO_COMPRESSION) {
        built.request.encode = async () => new EncodedBody(encodeProduceRequest(args as unknown as ProduceRequestArgs));
      }
      return built;
    };
  };
  protocol[INSTALLED] = true;
  return true;
}
