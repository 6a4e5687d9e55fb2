import { type ReactNode, useState } from 'react';
import { api, instancePath } from '../api.js';
import { ActionForm, CopyButton, Field, FormSubmit, useFormState } from '../forms.js';

interface AppliedToken {
  token: string;
  expiresAt: number;
  resources: string[];
  actions: string;
}

/** Apply (resources, actions, expiry), query and revoke tokens; the token travels in bodies only. */
export function TokensTab({ instanceId }: { instanceId: string }): ReactNode {
  const base = instancePath(instanceId, '/tokens');
  const apply = useFormState();
  const [resources, setResources] = useState('');
  const [actions, setActions] = useState('R');
  const [minutes, setMinutes] = useState('60');
  const [accessKeyId, setAccessKeyId] = useState('');
  const [applied, setApplied] = useState<AppliedToken | null>(null);
  const submitApply = () =>
    apply.run(async () => {
      const expireTime = Date.now() + Number(minutes) * 60_000;
      setApplied(
        await api<AppliedToken>('POST', base, {
          resources: resources.split('\n').map((r) => r.trim()).filter(Boolean),
          actions,
          expireTime: Number.isFinite(expireTime) ? Math.round(expireTime) : minutes,
          accessKeyId,
        }),
      );
    }, ['resources', 'actions', 'expireTime', 'accessKeyId']);

  const lookup = useFormState();
  const [token, setToken] = useState('');
  const [answer, setAnswer] = useState<string | null>(null);
  const query = (action: 'query' | 'revoke') =>
    lookup.run(async () => {
      setAnswer(JSON.stringify(await api('POST', `${base}/${action}`, { token }), null, 2));
    }, ['token']);

  return (
    <div className="columns">
      <ActionForm label="Apply for a token" onSubmit={submitApply}>
        <h2>Apply for a token</h2>
        <Field label="Access key ID" name="accessKeyId" form={apply} value={accessKeyId} onChange={setAccessKeyId} hint="the key the token is issued for" />
        <Field label="Resources (one topic filter per line)" name="resources" form={apply} value={resources} onChange={setResources} multiline placeholder={'telemetry/#\ncmd/+'} />
        <Field label="Actions" name="actions" form={apply} value={actions} onChange={setActions} options={['R', 'W', 'RW']} hint="R: subscribe and receive, W: publish" />
        <Field label="Expires in (minutes)" name="expireTime" type="number" form={apply} value={minutes} onChange={setMinutes} hint="at most 30 days" />
        <FormSubmit form={apply}>Apply</FormSubmit>
        {applied && (
          <div className="secret" role="status">
            <p>
              Token (shown once), expires {new Date(applied.expiresAt).toLocaleString()}:
            </p>
            <p>
              <code className="wrap">{applied.token}</code> <CopyButton text={applied.token} label="Copy token" />
            </p>
          </div>
        )}
      </ActionForm>
      <ActionForm label="Query or revoke a token" onSubmit={() => query('query')}>
        <h2>Query or revoke</h2>
        <Field label="Token" name="token" form={lookup} value={token} onChange={setToken} />
        <FormSubmit form={lookup}>Query</FormSubmit>{' '}
        <button type="button" className="danger" disabled={lookup.busy} onClick={() => void query('revoke')}>
          Revoke
        </button>
        {answer && <pre aria-label="Answer">{answer}</pre>}
      </ActionForm>
    </div>
  );
}
