import { type ReactNode, useState } from 'react';
import { api, instancePath, type Page } from '../api.js';
import { DeleteButton } from '../delete-button.js';
import { ActionForm, CopyButton, Field, FormSubmit, LoadError, useFormState, useLoad, useRowActions } from '../forms.js';
import { ListTable, StateCell, TimeCell } from '../list-table.js';

interface AccessKey {
  accessKeyId: string;
  permission: string;
  enabled: boolean;
  description: string;
  createdAt: string;
}

export function AccessKeysTab({ instanceId }: { instanceId: string }): ReactNode {
  const base = instancePath(instanceId, '/access-keys');
  const list = useLoad(base, () => api<Page<AccessKey>>('GET', `${base}?limit=100`));
  const actions = useRowActions();
  const form = useFormState();
  const [permission, setPermission] = useState('ALL');
  const [description, setDescription] = useState('');
  const [created, setCreated] = useState<(AccessKey & { secretKey: string }) | null>(null);
  const create = () =>
    form.run(async () => {
      setCreated(await api('POST', base, { permission, ...(description ? { description } : {}) }));
      setDescription('');
      list.reload();
    }, ['permission', 'description']);
  const keyPath = (key: AccessKey): string => `${base}/${encodeURIComponent(key.accessKeyId)}`;
  const patch = (key: AccessKey, body: object): Promise<void> =>
    actions.run(async () => {
      await api('PATCH', keyPath(key), body);
      list.reload();
    });
  return (
    <div>
      <h2>Access keys</h2>
      <ActionForm className="inline" label="Create an access key" onSubmit={create}>
        <Field label="Permission" name="permission" form={form} value={permission} onChange={setPermission} options={['ALL', 'PUB', 'SUB']} />
        <Field label="Description" name="description" form={form} value={description} onChange={setDescription} />
        <FormSubmit form={form}>Create access key</FormSubmit>
      </ActionForm>
      {created && (
        <div className="secret" role="status" aria-live="polite">
          <p>
            <strong>Secret key of {created.accessKeyId}</strong>: shown this once only; store it now.
          </p>
          <p>
            <code data-testid="new-secret">{created.secretKey}</code> <CopyButton text={created.secretKey} label="Copy secret key" />
          </p>
          <p>
            Access key ID: <code data-testid="new-access-key-id">{created.accessKeyId}</code>{' '}
            <CopyButton text={created.accessKeyId} label="Copy access key ID" />
          </p>
          <button type="button" onClick={() => setCreated(null)}>
            I stored it
          </button>
        </div>
      )}
      <LoadError error={list.error} />
      <LoadError error={actions.error} />
      <ListTable columns={['Access key ID', 'Permission', 'State', 'Description', 'Created']} actions>
        {list.data?.items.map((k) => (
          <tr key={k.accessKeyId}>
            <td>
              <code>{k.accessKeyId}</code>
            </td>
            <td>{k.permission}</td>
            <StateCell up={k.enabled}>{k.enabled ? 'enabled' : 'disabled'}</StateCell>
            <td>{k.description}</td>
            <TimeCell at={k.createdAt} />
            <td>
              <button type="button" onClick={() => void patch(k, { enabled: !k.enabled })}>
                {k.enabled ? 'Disable' : 'Enable'}
              </button>{' '}
              <DeleteButton
                label={`Delete access key ${k.accessKeyId}`}
                confirm={`Delete access key ${k.accessKeyId}? Devices using it can no longer connect.`}
                path={keyPath(k)}
                onDeleted={list.reload}
                actions={actions}
              />
            </td>
          </tr>
        ))}
      </ListTable>
    </div>
  );
}
