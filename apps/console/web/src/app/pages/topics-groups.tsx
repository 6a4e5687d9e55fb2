import { type ReactNode, useState } from 'react';
import { api, instancePath, type Page } from '../api.js';
import { DeleteButton } from '../delete-button.js';
import { ActionForm, Field, FormSubmit, LoadError, useFormState, useLoad, useRowActions } from '../forms.js';
import { ListTable, TimeCell } from '../list-table.js';

interface Named {
  description: string;
  createdAt: string;
}

interface SimpleResource {
  /** Path segment under the instance. */
  path: string;
  /** Name of the ID in the API body. */
  idField: string;
  title: string;
  idLabel: string;
  placeholder: string;
  hint: string;
}

/** Parent topics and groups: an ID and a description, created and deleted. */
function SimpleResourceTab({ instanceId, resource }: { instanceId: string; resource: SimpleResource }): ReactNode {
  type Row = Named & Record<string, string>;
  const base = instancePath(instanceId, `/${resource.path}`);
  const list = useLoad(base, () => api<Page<Row>>('GET', `${base}?limit=100`));
  const actions = useRowActions();
  const form = useFormState();
  const [id, setId] = useState('');
  const [description, setDescription] = useState('');
  const create = () =>
    form.run(async () => {
      await api('POST', base, { [resource.idField]: id, ...(description ? { description } : {}) });
      setId('');
      setDescription('');
      list.reload();
    }, [resource.idField, 'description']);
  return (
    <div>
      <h2>{resource.title}</h2>
      <ActionForm className="inline" label={`Create ${resource.idLabel.toLowerCase()}`} onSubmit={create}>
        <Field label={resource.idLabel} name={resource.idField} form={form} value={id} onChange={setId} placeholder={resource.placeholder} hint={resource.hint} />
        <Field label="Description" name="description" form={form} value={description} onChange={setDescription} />
        <FormSubmit form={form}>Create</FormSubmit>
      </ActionForm>
      <LoadError error={list.error} />
      <LoadError error={actions.error} />
      <ListTable columns={[resource.idLabel, 'Description', 'Created']} actions>
        {list.data?.items.map((row) => (
          <tr key={row[resource.idField]}>
            <td>{row[resource.idField]}</td>
            <td>{row.description}</td>
            <TimeCell at={row.createdAt} />
            <td>
              <DeleteButton
                label={`Delete ${row[resource.idField]}`}
                confirm={`Delete ${row[resource.idField]}?`}
                path={`${base}/${encodeURIComponent(row[resource.idField]!)}`}
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

const TOPICS: SimpleResource = {
  path: 'topics',
  idField: 'name',
  title: 'Parent topics',
  idLabel: 'Parent topic',
  placeholder: 'telemetry',
  hint: 'the first level of every MQTT topic devices of this instance may use',
};

const GROUPS: SimpleResource = {
  path: 'groups',
  idField: 'groupId',
  title: 'Groups',
  idLabel: 'Group ID',
  placeholder: 'GID_sensors',
  hint: 'client IDs are <GroupId>@@@<DeviceId>',
};

export function TopicsTab({ instanceId }: { instanceId: string }): ReactNode {
  return <SimpleResourceTab instanceId={instanceId} resource={TOPICS} />;
}

export function GroupsTab({ instanceId }: { instanceId: string }): ReactNode {
  return <SimpleResourceTab instanceId={instanceId} resource={GROUPS} />;
}
