import { useRef, useState } from 'react';
import { confirmMatches } from '../logic/format.js';

/**
 * A real confirmation: the action stays disabled until the exact name is typed. Enter
 * confirms, Escape cancels; while a confirmed action runs (onConfirm's promise), it cannot
 * be confirmed a second time.
 */
export function ConfirmByName({ name, action, busy, onConfirm, onCancel }: { name: string; action: string; busy?: boolean; onConfirm(typed: string): void | Promise<unknown>; onCancel(): void }) {
  const [typed, setTyped] = useState('');
  const [pending, setPending] = useState(false);
  const running = useRef(false);
  const ok = confirmMatches(typed, name);
  const disabled = !ok || busy || pending;
  const confirm = () => {
    if (disabled || running.current) return;
    const r = onConfirm(typed);
    if (r instanceof Promise) {
      running.current = true;
      setPending(true);
      void r.finally(() => {
        running.current = false;
        setPending(false);
      });
    }
  };
  return (
    <form
      className="confirm"
      role="group"
      aria-label={action}
      onSubmit={(e) => {
        e.preventDefault();
        confirm();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !pending) {
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      <p>
        This cannot be undone. Type <code>{name}</code> to confirm.
      </p>
      <input aria-label="Type the profile name to confirm" value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus dir="auto" />
      <div className="row">
        <button type="submit" className="danger" disabled={disabled}>
          {busy || pending ? 'Working…' : action}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
