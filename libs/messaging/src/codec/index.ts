export { uplinkKey, buildUplinkRecord, parseUplinkRecord } from './uplink.codec.js';
export { downlinkKey, buildDownlinkRecord, parseDownlinkRecord } from './downlink.codec.js';
export { buildPresenceRecord, parsePresenceRecord } from './presence.codec.js';
export { buildControlRecord, parseControlRecord } from './control.codec.js';
export { buildDlqRecord, dlqSource } from './dlq.codec.js';
export { headerText, keyText } from './record.js';
export type { OutgoingRecord, IncomingRecord, RecordOrigin, RecordHeaders, HeaderValue, ParseResult } from './record.js';
