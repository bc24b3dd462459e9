import { useState } from 'react';
import { confirmMatches } from '../logic/format.js';

/** A real confirmation: the action stays disabled until the exact name is typed. */
export function ConfirmByName({ name, action, busy, onConfirm, onCancel }: { name: string; action: string; busy?: boolean; onConfirm(typed: string): void; onCancel(): void }) {
  const [typed, setTyped] = useState('');
  const ok = confirmMatches(typed, name);
  return (
    <div className="confirm" role="dialog" aria-label={action}>
      <p>
        This cannot be undone. Type <code>{name}</code> to confirm.
      </p>
      <input aria-label="Type the profile name to confirm" value={typed} onChange={(e) => setTyped(e.target.value)} autoFocus />
      <div className="row">
        <button type="button" className="danger" disabled={!ok || busy} onClick={() => onConfirm(typed)}>
          {busy ? 'Working…' : action}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
