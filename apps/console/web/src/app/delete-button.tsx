import type { ReactNode } from 'react';
import { api } from './api.js';
import type { RowActions } from './forms.js';

interface DeleteButtonProps {
  /** Accessible name, e.g. `Delete rule telemetry-out`. */
  label: string;
  /** The question `window.confirm` asks first; nothing is deleted unless the operator agrees. */
  confirm: string;
  /** The API path the DELETE goes to. */
  path: string;
  /** Called once the API answered, e.g. to reload the list. */
  onDeleted(): void;
  /** The page's row actions: a refused DELETE is shown there, not swallowed. */
  actions: RowActions;
}

/** A row's Delete button: asks, sends DELETE, then tells the page. */
export function DeleteButton({ label, confirm, path, onDeleted, actions }: DeleteButtonProps): ReactNode {
  const remove = async (): Promise<void> => {
    if (!window.confirm(confirm)) return;
    await actions.run(async () => {
      await api('DELETE', path);
      onDeleted();
    });
  };
  return (
    <button type="button" className="danger" onClick={() => void remove()} aria-label={label}>
      Delete
    </button>
  );
}
