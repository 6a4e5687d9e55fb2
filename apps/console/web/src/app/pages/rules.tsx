import { type ReactNode, useEffect, useState } from 'react';
import { api, instancePath, type Page } from '../api.js';
import { DeleteButton } from '../delete-button.js';
import { ActionForm, Field, FormSubmit, LoadError, useFormState, useLoad, useRowActions } from '../forms.js';
import { ListTable, StateCell } from '../list-table.js';

interface Rule {
  id: string;
  name: string;
  kind: 'outflow' | 'inflow' | 'status';
  source: Record<string, unknown>;
  target: Record<string, unknown>;
  enabled: boolean;
}

interface RuleStats {
  matched: number;
  routed: number;
  failed: number;
}

/** Every text field of the rule form, flat; `toBody` picks what the kind uses. */
const EMPTY = {
  name: '',
  kind: 'outflow',
  topicFilter: '',
  sourceKafkaTopic: '',
  groupId: '',
  kafkaTopic: '',
  keyStrategy: 'clientId',
  format: 'raw',
  payloadEncoding: 'base64',
  topicTemplate: '',
  qos: '1',
  retain: 'false',
};
type RuleForm = typeof EMPTY;

function toBody(f: RuleForm): { name: string; kind: string; source: object; target: object } {
  if (f.kind === 'inflow') {
    return { name: f.name, kind: f.kind, source: { kafkaTopic: f.sourceKafkaTopic }, target: { topicTemplate: f.topicTemplate, qos: Number(f.qos), retain: f.retain === 'true' } };
  }
  if (f.kind === 'status') {
    return { name: f.name, kind: f.kind, source: f.groupId ? { groupId: f.groupId } : {}, target: { kafkaTopic: f.kafkaTopic, keyStrategy: f.keyStrategy === 'topic' ? 'clientId' : f.keyStrategy } };
  }
  const target: Record<string, string> = { kafkaTopic: f.kafkaTopic, keyStrategy: f.keyStrategy, format: f.format };
  if (f.format === 'json') target.payloadEncoding = f.payloadEncoding;
  return { name: f.name, kind: f.kind, source: { topicFilter: f.topicFilter }, target };
}

function fromRule(r: Rule): RuleForm {
  const s = r.source as Record<string, string>;
  const t = r.target as Record<string, string | number | boolean>;
  return {
    ...EMPTY,
    name: r.name,
    kind: r.kind,
    topicFilter: s.topicFilter ?? '',
    sourceKafkaTopic: s.kafkaTopic ?? '',
    groupId: s.groupId ?? '',
    kafkaTopic: String(t.kafkaTopic ?? ''),
    keyStrategy: String(t.keyStrategy ?? 'clientId'),
    format: String(t.format ?? 'raw'),
    payloadEncoding: String(t.payloadEncoding ?? 'base64'),
    topicTemplate: String(t.topicTemplate ?? ''),
    qos: String(t.qos ?? 1),
    retain: String(t.retain ?? false),
  };
}

export function RulesTab({ instanceId }: { instanceId: string }): ReactNode {
  const base = instancePath(instanceId, '/rules');
  const rulePath = (id: string): string => `${base}/${encodeURIComponent(id)}`;
  const list = useLoad(base, () => api<Page<Rule>>('GET', `${base}?limit=100`));
  const actions = useRowActions();
  const form = useFormState();
  const [f, setF] = useState<RuleForm>(EMPTY);
  const [editing, setEditing] = useState<string | null>(null);
  const [stats, setStats] = useState<Record<string, RuleStats>>({});
  const set = (key: keyof RuleForm) => (value: string) => setF((old) => ({ ...old, [key]: value }));
  const field = (key: keyof RuleForm, label: string, name: string, extra: { options?: string[]; hint?: string; placeholder?: string } = {}) => (
    <Field label={label} name={name} form={form} value={f[key]} onChange={set(key)} {...extra} />
  );
  const save = () =>
    form.run(async () => {
      const body = toBody(f);
      if (editing) {
        const { kind: _kind, ...changes } = body;
        await api('PATCH', rulePath(editing), changes);
      } else {
        await api('POST', base, body);
      }
      setF(EMPTY);
      setEditing(null);
      list.reload();
    }, ['name', 'kind', 'source.topicFilter', 'source.kafkaTopic', 'source.groupId', 'target.kafkaTopic', 'target.keyStrategy', 'target.format', 'target.payloadEncoding', 'target.topicTemplate', 'target.qos', 'target.retain']);
  const toggle = (r: Rule): Promise<void> =>
    actions.run(async () => {
      await api('PATCH', rulePath(r.id), { enabled: !r.enabled });
      list.reload();
    });
  const loadStats = async (r: Rule): Promise<void> => {
    const s = await api<RuleStats>('GET', `${rulePath(r.id)}/stats`);
    setStats((old) => ({ ...old, [r.id]: s }));
  };
  // Counters come with the list; the Stats button of a row reads them again.
  useEffect(() => {
    list.data?.items.forEach((r) => void loadStats(r).catch(() => undefined));
  }, [list.data]);
  return (
    <div>
      <h2>Rules</h2>
      <ActionForm label={editing ? 'Edit rule' : 'Create a rule'} onSubmit={save}>
        <div className="inline">
          {field('name', 'Rule name', 'name')}
          {editing ? <p>Kind: {f.kind}</p> : field('kind', 'Kind', 'kind', { options: ['outflow', 'inflow', 'status'], hint: 'outflow: devices → Kafka; inflow: Kafka → devices; status: presence → Kafka' })}
        </div>
        <div className="inline">
          {f.kind === 'outflow' && field('topicFilter', 'Source MQTT topic filter', 'source.topicFilter', { placeholder: 'telemetry/#' })}
          {f.kind === 'inflow' && field('sourceKafkaTopic', 'Source Kafka topic', 'source.kafkaTopic', { placeholder: 'device-commands' })}
          {f.kind === 'status' && field('groupId', 'Only group (optional)', 'source.groupId', { placeholder: 'GID_sensors' })}
          {f.kind !== 'inflow' && field('kafkaTopic', 'Target Kafka topic', 'target.kafkaTopic', { placeholder: 'device-telemetry' })}
          {f.kind !== 'inflow' && field('keyStrategy', 'Record key', 'target.keyStrategy', { options: f.kind === 'status' ? ['clientId', 'none'] : ['clientId', 'topic', 'none'] })}
          {f.kind === 'outflow' && field('format', 'Record format', 'target.format', { options: ['raw', 'json'] })}
          {f.kind === 'outflow' && f.format === 'json' && field('payloadEncoding', 'Payload encoding', 'target.payloadEncoding', { options: ['base64', 'utf8'] })}
          {f.kind === 'inflow' && field('topicTemplate', 'Target MQTT topic template', 'target.topicTemplate', { placeholder: 'cmd/p2p/${key}', hint: '${key} and ${header.NAME} are replaced' })}
          {f.kind === 'inflow' && field('qos', 'QoS', 'target.qos', { options: ['0', '1'] })}
          {f.kind === 'inflow' && field('retain', 'Retain', 'target.retain', { options: ['false', 'true'] })}
        </div>
        <FormSubmit form={form}>{editing ? 'Save rule' : 'Create rule'}</FormSubmit>
        {editing && (
          <button type="button" onClick={() => (setEditing(null), setF(EMPTY))}>
            Cancel
          </button>
        )}
      </ActionForm>
      <LoadError error={list.error} />
      <LoadError error={actions.error} />
      <ListTable columns={['Name', 'Kind', 'Source', 'Target', 'State', 'Matched / routed / failed']} actions>
          {list.data?.items.map((r) => (
            <tr key={r.id}>
              <td>{r.name}</td>
              <td>{r.kind}</td>
              <td>
                <code>{JSON.stringify(r.source)}</code>
              </td>
              <td>
                <code>{JSON.stringify(r.target)}</code>
              </td>
              <StateCell up={r.enabled}>{r.enabled ? 'enabled' : 'disabled'}</StateCell>
              <td>
                {stats[r.id] ? `${stats[r.id]!.matched} / ${stats[r.id]!.routed} / ${stats[r.id]!.failed}` : ''}{' '}
                <button type="button" onClick={() => void actions.run(() => loadStats(r))} aria-label={`Stats of rule ${r.name}`}>
                  Stats
                </button>
              </td>
              <td>
                <button type="button" onClick={() => (setEditing(r.id), setF(fromRule(r)))} aria-label={`Edit rule ${r.name}`}>
                  Edit
                </button>{' '}
                <button type="button" onClick={() => void toggle(r)} aria-label={`${r.enabled ? 'Disable' : 'Enable'} rule ${r.name}`}>
                  {r.enabled ? 'Disable' : 'Enable'}
                </button>{' '}
                <DeleteButton label={`Delete rule ${r.name}`} confirm={`Delete rule ${r.name}?`} path={rulePath(r.id)} onDeleted={list.reload} actions={actions} />
              </td>
            </tr>
          ))}
      </ListTable>
    </div>
  );
}
