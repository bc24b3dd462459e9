import type pg from 'pg';

/** Emily's identity lives in the user's database: swapping the model does not change her. */
export interface Identity {
  name: string;
  persona: string;
  values: string[];
}

export async function loadIdentity(c: pg.ClientBase): Promise<Identity> {
  const r = await c.query<{ name: string; persona: string; values: unknown }>('SELECT name, persona, values FROM identity LIMIT 1');
  return identityFrom(r.rows[0]);
}

/** The identity row as read (or as JSON from a larger statement); none means the defaults. */
export function identityFrom(row: { name: string; persona: string; values: unknown } | null | undefined): Identity {
  if (!row) return { name: 'Emily', persona: '', values: [] };
  return { name: row.name, persona: row.persona, values: Array.isArray(row.values) ? row.values.map(String) : [] };
}
