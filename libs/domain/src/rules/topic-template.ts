import { isUnderP2P, parseP2PTopic } from '../p2p.js';
import { validateTopicName, TOPIC_PROBLEMS } from '../topic.js';

/**
 * Inflow topic templates: an MQTT topic name with placeholders `${key}` (the Kafka record key)
 * and `${header.NAME}` (a record header). A placeholder's value fills part of one level: it may
 * not contain '/', '+', '#' or U+0000, so a backend cannot widen the topic it was given.
 */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'key' }
  | { kind: 'header'; name: string };

export interface TopicTemplate {
  readonly template: string;
  readonly parts: readonly TemplatePart[];
  /** The first level, always literal: the parent topic the console checks. */
  readonly parentTopic: string;
}

export type TemplateParse = { ok: true; value: TopicTemplate } | { ok: false; reason: string };

export type RenderFailure = 'missing-key' | 'missing-header' | 'invalid-value' | 'invalid-topic';
export type TemplateRender = { ok: true; topic: string } | { ok: false; reason: RenderFailure; detail: string };

export interface TemplateInput {
  /** The record key as UTF-8, or null when the record has none. */
  key: string | null;
  /** Record headers as UTF-8 strings. */
  headers: Readonly<Record<string, string | undefined>>;
}

const HEADER_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const HEADER_PREFIX = 'header.';
// Stands for a placeholder while the template's own shape is checked.
const SAMPLE_VALUE = 'x';

export function parseTopicTemplate(template: string, maxTopicLength: number): TemplateParse {
  const parts: TemplatePart[] = [];
  let sample = '';
  let text = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('${', i);
    if (open < 0) {
      text += template.slice(i);
      break;
    }
    text += template.slice(i, open);
    const close = template.indexOf('}', open + 2);
    if (close < 0) return { ok: false, reason: `unclosed placeholder at character ${open + 1}` };
    const inside = template.slice(open + 2, close);
    let part: TemplatePart;
    if (inside === 'key') part = { kind: 'key' };
    else if (inside.startsWith(HEADER_PREFIX) && HEADER_NAME.test(inside.slice(HEADER_PREFIX.length))) {
      part = { kind: 'header', name: inside.slice(HEADER_PREFIX.length) };
    } else {
      return { ok: false, reason: `unknown placeholder \${${inside}}: use \${key} or \${header.NAME}` };
    }
    if (text !== '') parts.push({ kind: 'text', text });
    sample += text + SAMPLE_VALUE;
    text = '';
    parts.push(part);
    i = close + 1;
  }
  if (text !== '') parts.push({ kind: 'text', text });
  sample += text;

  const problem = validateTopicName(sample, maxTopicLength);
  if (problem !== null) return { ok: false, reason: TOPIC_PROBLEMS[problem] };
  const first = parts[0];
  const slash = first?.kind === 'text' ? first.text.indexOf('/') : -1;
  const parentTopic = first?.kind === 'text' ? (slash < 0 ? first.text : first.text.slice(0, slash)) : '';
  // The first level must be fixed: it names the parent topic, which decides who may receive.
  if (parentTopic === '' || (slash < 0 && parts.length > 1)) {
    return { ok: false, reason: 'the first level must be a fixed parent topic (no placeholder)' };
  }
  if (parentTopic.startsWith('$')) return { ok: false, reason: "topics beginning with '$' are reserved for the broker" };
  // Placeholders never add a level, so a literal `<parent>/p2p/` with more (or fewer) levels
  // after it would send every record to the DLQ: refuse the template instead.
  if (isUnderP2P(sample) && parseP2PTopic(sample) === null) {
    return { ok: false, reason: 'a P2P topic is exactly <parent>/p2p/<clientId>: one level after p2p, nothing more' };
  }
  return { ok: true, value: { template, parts, parentTopic } };
}

function invalidValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x2f || c === 0x2b || c === 0x23 || c === 0) return true;
  }
  return false;
}

/** Fills the placeholders of a parsed template for one record. */
export function renderTopicTemplate(template: TopicTemplate, input: TemplateInput, maxTopicLength: number): TemplateRender {
  let topic = '';
  for (const part of template.parts) {
    if (part.kind === 'text') {
      topic += part.text;
      continue;
    }
    const value = part.kind === 'key' ? input.key : input.headers[part.name];
    if (value === null || value === undefined || value === '') {
      return part.kind === 'key'
        ? { ok: false, reason: 'missing-key', detail: 'the record has no key' }
        : { ok: false, reason: 'missing-header', detail: `the record has no header ${part.name}` };
    }
    if (invalidValue(value)) {
      const what = part.kind === 'key' ? 'the key' : `header ${part.name}`;
      return { ok: false, reason: 'invalid-value', detail: `${what} contains '/', '+', '#' or U+0000` };
    }
    topic += value;
  }
  const problem = validateTopicName(topic, maxTopicLength);
  if (problem !== null) return { ok: false, reason: 'invalid-topic', detail: TOPIC_PROBLEMS[problem] };
  return { ok: true, topic };
}
