import { useEffect, useRef, useState } from 'react';
import { confirmMatches } from '../logic/format.js';

/**
 * A real confirmation: the action stays disabled until the exact name is typed. Enter
 * confirms, Escape cancels; while a confirmed action runs (onConfirm's promise), it cannot
 * be confirmed a second time. When it closes, the keyboard focus goes back to the button that
 * opened it, or, where that button was swapped for the confirmation and back, to the first
 * button in its place (otherwise focus would fall to the top of the page).
 */
export function ConfirmByName({ name, action, busy, onConfirm, onCancel }: { name: string; action: string; busy?: boolean; onConfirm(typed: string): void | Promise<unknown>; onCancel(): void }) {
  const [typed, setTyped] = useState('');
  const [pending, setPending] = useState(false);
  const running = useRef(false);
  const form = useRef<HTMLFormElement>(null);
  const opener = useRef<Element | null>(document.activeElement);
  useEffect(() => {
    const parent = form.current?.parentElement ?? null;
    return () => {
      // After React has put the opener (back) in place; and never away from where the user went.
      requestAnimationFrame(() => {
        if (document.activeElement && document.activeElement !== document.body) return;
        const back = opener.current instanceof HTMLElement && opener.current.isConnected ? opener.current : parent?.isConnected ? parent.querySelector('button') : null;
        back?.focus();
      });
    };
  }, []);
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
      ref={form}
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
