import { useEffect, useState } from 'react';
import { MEMORY_KINDS, type MemoryKind } from '../../../electron/api/contract/views.js';
import { useQuery } from '../api/client.js';
import { useApp, useCurrentProfile } from '../appContext.js';
import { BackgroundJobs } from '../components/BackgroundJobs.js';
import { Empty, ErrorNote, Unavailable } from '../components/Notes.js';
import { BalancePicture, DriftPicture } from '../components/Pictures.js';
import { MemoryList } from './MemoryList.js';
import { MemoryPanel, type MemoryDraft } from './MemoryPanel.js';

/** The memory browser: search and filters, the list, one memory's page, balance and drift. */
export function MemoriesScreen() {
  const { info, go } = useApp();
  const profile = useCurrentProfile();
  const available = info?.domains.memory ?? false;
  const [typed, setTyped] = useState('');
  const [query, setQuery] = useState('');
  const [tier, setTier] = useState<'L3' | 'L4' | 'all'>('L3');
  const [kinds, setKinds] = useState<MemoryKind[]>([]);
  const [includeArchived, setIncludeArchived] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  // Unsaved edits by memory id: opening another memory keeps them.
  const [edits, setEdits] = useState<ReadonlyMap<string, MemoryDraft>>(new Map());
  const setEdit = (id: string, draft: MemoryDraft | null) =>
    setEdits((m) => {
      const next = new Map(m);
      if (draft === null) next.delete(id);
      else next.set(id, draft);
      return next;
    });
  const [version, setVersion] = useState(0);
  const balance = useQuery('memory.balance', {}, { enabled: available && !!profile, key: `${profile?.id}:${version}` });
  const drift = useQuery('memory.drift', {}, { enabled: available && !!profile, key: profile?.id });

  // Search as you type, without a request per keystroke.
  useEffect(() => {
    const t = setTimeout(() => setQuery(typed.trim()), 250);
    return () => clearTimeout(t);
  }, [typed]);
  useEffect(() => {
    setSelected(null);
  }, [profile?.id]);

  if (!available) return <Unavailable what="The memory browser" />;
  if (!profile)
    return (
      <Empty title="No profile selected">
        <button type="button" onClick={() => go('profiles')}>
          Choose a profile
        </button>
      </Empty>
    );

  return (
    <section className="screen memories" aria-labelledby="memories-title">
      <h1 id="memories-title">Memories</h1>
      <div className="grid two pictures">
        <div className="card">
          <h2>Balance</h2>
          <ErrorNote error={balance.error} />
          {balance.data && <BalancePicture balance={balance.data} />}
        </div>
        <div className="card">
          <h2>Drift</h2>
          <ErrorNote error={drift.error} />
          {drift.data && <DriftPicture drift={drift.data} />}
          <h3>Background work</h3>
          {profile && <BackgroundJobs profileId={profile.id} />}
        </div>
      </div>
      <div className="filters row">
        <input type="search" dir="auto" aria-label="Search memories" placeholder="Search memories" value={typed} onChange={(e) => setTyped(e.target.value)} />
        <select aria-label="Tier" value={tier} onChange={(e) => setTier(e.target.value as typeof tier)}>
          <option value="L3">Memories (L3)</option>
          <option value="L4">Archive (L4)</option>
          <option value="all">Both</option>
        </select>
        <fieldset className="kinds" disabled={tier === 'L4'}>
          <legend className="sr-only">Kinds</legend>
          {MEMORY_KINDS.map((k) => (
            <label key={k} className="chip">
              <input type="checkbox" checked={kinds.includes(k)} onChange={(e) => setKinds(e.target.checked ? [...kinds, k] : kinds.filter((x) => x !== k))} />
              {k}
            </label>
          ))}
        </fieldset>
        <label className="chip">
          <input type="checkbox" checked={includeArchived} onChange={(e) => setIncludeArchived(e.target.checked)} />
          archived too
        </label>
      </div>
      <div className="split">
        <MemoryList filter={{ query, tier, kinds: tier === 'L4' ? [] : kinds, includeArchived, pinnedOnly: false }} selectedId={selected} onSelect={(r) => r.tier === 'L3' && setSelected(r.id)} version={version} />
        <div className="detail">
          {selected ? (
            <MemoryPanel id={selected} editing={edits.get(selected) ?? null} onEditing={(draft) => setEdit(selected, draft)} onOpen={setSelected} onChanged={() => setVersion((v) => v + 1)} onDeleted={() => (setSelected(null), setVersion((v) => v + 1))} />
          ) : (
            <p className="muted">Choose a memory to see its metrics, outcomes, related memories and where it came from.</p>
          )}
        </div>
      </div>
    </section>
  );
}
