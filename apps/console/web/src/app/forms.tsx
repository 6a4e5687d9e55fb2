import { type ReactNode, useCallback, useEffect, useId, useState } from 'react';
import { ApiError } from './api.js';

export interface FormState {
  busy: boolean;
  /** API problem reasons by the field they name (`groupId`, `source.topicFilter`). */
  fieldErrors: Record<string, string>;
  /** What no field of the form can show. */
  formError: string | null;
  run(work: () => Promise<void>, fields: readonly string[]): Promise<void>;
}

/**
 * Submission state of one form: errors the API returns in problem+json are put next to the
 * field they name, the rest above the buttons.
 */
export function useFormState(): FormState {
  const [busy, setBusy] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const run = useCallback(async (work: () => Promise<void>, fields: readonly string[]) => {
    setBusy(true);
    setFieldErrors({});
    setFormError(null);
    try {
      await work();
    } catch (err) {
      const byField: Record<string, string> = {};
      const rest: string[] = [];
      if (err instanceof ApiError && err.problem.errors?.length) {
        for (const e of err.problem.errors) {
          const field = fields.find((f) => e.field === f || e.field.startsWith(`${f}.`));
          if (field) byField[field] = byField[field] ? `${byField[field]}; ${e.reason}` : e.reason;
          else rest.push(`${e.field}: ${e.reason}`);
        }
      } else {
        rest.push(err instanceof Error ? err.message : String(err));
      }
      setFieldErrors(byField);
      setFormError(rest.length > 0 ? rest.join('; ') : null);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, fieldErrors, formError, run };
}

interface FieldProps {
  label: string;
  name: string;
  form: FormState;
  value: string;
  onChange(value: string): void;
  type?: string;
  placeholder?: string;
  hint?: string;
  options?: readonly string[];
  multiline?: boolean;
  required?: boolean;
}

/** A labelled input whose API error appears right under it and is announced (aria-describedby). */
export function Field(props: FieldProps): ReactNode {
  const id = useId();
  const error = props.form.fieldErrors[props.name];
  const described = [props.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: props.name,
    value: props.value,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': described,
    required: props.required,
  };
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.options ? (
        <select {...common} onChange={(e) => props.onChange(e.target.value)}>
          {props.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : props.multiline ? (
        <textarea {...common} rows={4} placeholder={props.placeholder} onChange={(e) => props.onChange(e.target.value)} />
      ) : (
        <input {...common} type={props.type ?? 'text'} placeholder={props.placeholder} onChange={(e) => props.onChange(e.target.value)} />
      )}
      {props.hint && (
        <small id={`${id}-hint`} className="hint">
          {props.hint}
        </small>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

interface ActionFormProps {
  /** Accessible name of the form. */
  label: string;
  className?: string;
  /** Runs on submit (Enter or the submit button) instead of a page load. */
  onSubmit(): Promise<void> | void;
  children: ReactNode;
}

/** A form that hands its submit to the page's handler instead of navigating. */
export function ActionForm({ label, className, onSubmit, children }: ActionFormProps): ReactNode {
  return (
    <form
      className={className}
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        void onSubmit();
      }}
    >
      {children}
    </form>
  );
}

export function FormError({ form }: { form: FormState }): ReactNode {
  return form.formError ? (
    <p className="form-error" role="alert">
      {form.formError}
    </p>
  ) : null;
}

/** The form's error above its submit button, which is off while the form is busy. */
export function FormSubmit({ form, children }: { form: FormState; children: ReactNode }): ReactNode {
  return (
    <>
      <FormError form={form} />
      <button type="submit" disabled={form.busy}>
        {children}
      </button>
    </>
  );
}

export function CopyButton({ text, label }: { text: string; label: string }): ReactNode {
  const [copied, setCopied] = useState(false);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // navigator.clipboard needs a secure context; plain http falls back to a selection copy.
      const area = document.createElement('textarea');
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setCopied(true);
  };
  return (
    <button type="button" onClick={() => void copy()} aria-label={label}>
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  reload(): void;
}

/** Loads on mount and on `reload()`; `load` must be stable for the same inputs (pass the key). */
export function useLoad<T>(key: string, load: () => Promise<T>): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => live && (setData(d), setError(null)),
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [key, round]);
  return { data, error, reload: () => setRound((r) => r + 1) };
}

/** The outcome of a list row's buttons (delete, enable, stats): the last failure, shown above the list. */
export interface RowActions {
  error: string | null;
  /** Runs one row action; a failure (e.g. a 404 because someone else deleted the row) is kept in `error`. */
  run(action: () => Promise<unknown>): Promise<void>;
}

export function useRowActions(): RowActions {
  const [error, setError] = useState<string | null>(null);
  return {
    error,
    run: async (action) => {
      try {
        await action();
        setError(null);
      } catch (e) {
        setError(e instanceof Error ? e.message : String(e));
      }
    },
  };
}

export function LoadError({ error }: { error: string | null }): ReactNode {
  return error ? (
    <p className="form-error" role="alert">
      {error}
    </p>
  ) : null;
}
