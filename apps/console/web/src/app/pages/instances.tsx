import { type ReactNode, useState } from 'react';
import { api, instancePath, type Page } from '../api.js';
import { DeleteButton } from '../delete-button.js';
import { ActionForm, Field, FormSubmit, LoadError, useFormState, useLoad, useRowActions } from '../forms.js';
import { ListTable, TimeCell } from '../list-table.js';
import { href } from '../router.js';

export interface Instance {
  id: string;
  name: string;
  description: string;
  anonymous?: boolean;
  createdAt: string;
}

export function InstancesPage(): ReactNode {
  const list = useLoad('instances', () => api<Page<Instance>>('GET', '/api/v1/instances?limit=100'));
  const actions = useRowActions();
  const form = useFormState();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const create = () =>
    form.run(async () => {
      const created = await api<Instance>('POST', '/api/v1/instances', { name, ...(description ? { description } : {}) });
      setName('');
      setDescription('');
      list.reload();
      window.location.hash = href('instances', created.id);
    }, ['name', 'description']);
  return (
    <section aria-labelledby="instances-title">
      <h1 id="instances-title">Instances</h1>
      <ActionForm className="inline" label="Create an instance" onSubmit={create}>
        <Field label="Name" name="name" form={form} value={name} onChange={setName} placeholder="fleet-eu" />
        <Field label="Description" name="description" form={form} value={description} onChange={setDescription} />
        <FormSubmit form={form}>Create instance</FormSubmit>
      </ActionForm>
      <LoadError error={list.error} />
      <LoadError error={actions.error} />
      <ListTable columns={['ID', 'Name', 'Description', 'Created']} actions>
        {list.data?.items.map((i) => (
          <tr key={i.id}>
            <td>
              <a href={href('instances', i.id)}>{i.id}</a>
            </td>
            <td>{i.name}</td>
            <td>{i.description}{i.anonymous ? ' (anonymous clients)' : ''}</td>
            <TimeCell at={i.createdAt} />
            <td>
              <DeleteButton
                label={`Delete instance ${i.id}`}
                confirm={`Delete instance ${i.name} (${i.id}) and everything in it?`}
                path={instancePath(i.id)}
                onDeleted={list.reload}
                actions={actions}
              />
            </td>
          </tr>
        ))}
      </ListTable>
    </section>
  );
}
