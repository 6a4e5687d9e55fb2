/**
 * Fetch size limits of the consumers that share the gateway's event loop (downlink, control,
 * and in the all-in-one the rule router). kafkajs decodes a whole fetch response in one run of
 * microtasks; with its defaults (10 MiB a response, 1 MiB a partition) a consumer that fell
 * behind got thousands of records at once and the loop stalled for 0.5 s on a busy machine,
 * MQTT included. 256 KiB is about a thousand uplink-sized records a round trip: far above the
 * fleet rates while behind, tens of milliseconds of decoding at most.
 */
export const FETCH_LIMITS = { maxBytes: 256 * 1024, maxBytesPerPartition: 64 * 1024 } as const;
