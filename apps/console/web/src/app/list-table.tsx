import type { ReactNode } from 'react';

interface ListTableProps {
  /** Column headings, left to right. */
  columns: readonly string[];
  /** Adds a last column for row buttons, headed for screen readers only. */
  actions?: boolean;
  'aria-label'?: string;
  'data-testid'?: string;
  /** The `<tr>` rows. */
  children: ReactNode;
}

/** A list page's table: one `<th scope="col">` per column, rows from the page. */
export function ListTable({ columns, actions, children, ...attributes }: ListTableProps): ReactNode {
  return (
    <table {...attributes}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c} scope="col">
              {c}
            </th>
          ))}
          {actions && (
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** A cell that reads `up` (green) or `down` (red), e.g. enabled/disabled. */
export function StateCell({ up, children }: { up: boolean; children: ReactNode }): ReactNode {
  return <td className={`state ${up ? 'up' : 'down'}`}>{children}</td>;
}

/** A row's time (ISO string) in the operator's locale. */
export function TimeCell({ at }: { at: string }): ReactNode {
  return <td>{new Date(at).toLocaleString()}</td>;
}
