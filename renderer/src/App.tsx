import { useEffect, useState, type ReactElement } from 'react';
import type { ProfilesView } from '../../electron/api/contract/index.js';
import { useBridge, useEvents, useQuery } from './api/client.js';
import { AppContext, type Screen } from './appContext.js';
import { ChatScreen } from './screens/ChatScreen.js';
import { DataScreen } from './screens/DataScreen.js';
import { MemoriesScreen } from './screens/MemoriesScreen.js';
import { ProfilesScreen } from './screens/ProfilesScreen.js';
import { SettingsScreen } from './screens/SettingsScreen.js';
import { ErrorNote } from './components/Notes.js';
import { ScreenBoundary } from './components/ScreenBoundary.js';

const SCREENS: { id: Screen; label: string }[] = [
  { id: 'chat', label: 'Chat' },
  { id: 'memories', label: 'Memories' },
  { id: 'data', label: 'Your data' },
  { id: 'profiles', label: 'Profiles' },
  { id: 'settings', label: 'Settings' },
];

const SCREEN_VIEWS: Record<Screen, () => ReactElement> = {
  chat: () => <ChatScreen />,
  memories: () => <MemoriesScreen />,
  data: () => <DataScreen />,
  profiles: () => <ProfilesScreen />,
  settings: () => <SettingsScreen />,
};

type Theme = 'system' | 'light' | 'dark';

export function App() {
  const bridge = useBridge();
  const info = useQuery('system.info', {});
  const profilesQ = useQuery('profiles.list', {});
  const [profiles, setProfiles] = useState<ProfilesView | undefined>();
  const [screen, setScreen] = useState<Screen>('chat');
  const [visited, setVisited] = useState<ReadonlySet<Screen>>(() => new Set<Screen>(['chat']));
  const [connection, setConnection] = useState<'open' | 'lost'>('open');
  const [theme, setTheme] = useState<Theme>(() => (localStorage.getItem('emily.theme') as Theme | null) ?? 'system');

  useEffect(() => {
    setProfiles(profilesQ.data);
  }, [profilesQ.data]);
  useEffect(() => {
    // First launch: no profile yet, so start where one is made.
    if (profilesQ.data && profilesQ.data.profiles.length === 0) setScreen('profiles');
  }, [profilesQ.data]);
  useEvents((e) => e.name === 'profiles.changed' && setProfiles(e.payload));
  useEffect(
    () =>
      bridge.onConnection((s) => {
        setConnection(s);
        if (s === 'open') profilesQ.reload();
      }),
    [bridge, profilesQ.reload],
  );
  useEffect(() => setVisited((v) => (v.has(screen) ? v : new Set(v).add(screen))), [screen]);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('emily.theme', theme);
  }, [theme]);

  const current = profiles?.profiles.find((p) => p.id === profiles.currentId);
  const value = { info: info.data, profiles, reloadProfiles: profilesQ.reload, screen, go: setScreen };
  return (
    <AppContext.Provider value={value}>
      <div className="app">
        <aside className="sidebar">
          <div className="brand">Emily</div>
          <nav aria-label="Screens">
            {SCREENS.map((s) => (
              <button key={s.id} type="button" className={screen === s.id ? 'nav current' : 'nav'} aria-current={screen === s.id ? 'page' : undefined} onClick={() => setScreen(s.id)}>
                {s.label}
              </button>
            ))}
          </nav>
          <div className="grow" />
          <button type="button" className="profile-chip" onClick={() => setScreen('profiles')} data-testid="current-profile">
            {current ? current.name : 'No profile'}
          </button>
          <label className="small">
            Theme{' '}
            <select aria-label="Theme" value={theme} onChange={(e) => setTheme(e.target.value as Theme)}>
              <option value="system">System</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
          {info.data && <div className="muted small">v{info.data.version} · {info.data.mode === 'desktop' ? 'desktop' : `${info.data.mode} mode`}</div>}
          {info.data?.mode === 'server' && (
            <button type="button" className="small" onClick={() => void fetch('/auth/logout', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: '{}' }).finally(() => location.assign('/login'))}>
              Sign out
            </button>
          )}
        </aside>
        <main className="main">
          {connection === 'lost' && (
            <div className="banner warn" role="alert">
              Lost the connection to Emily. Reconnecting… (if it does not come back, start Emily again; what you typed is kept)
            </div>
          )}
          <ErrorNote error={info.error ?? profilesQ.error} onRetry={() => (info.reload(), profilesQ.reload())} />
          {/* A screen stays mounted (hidden) once visited, so that leaving it keeps what is on it: a
              half-typed message, the open conversation, a reply still streaming, an import's
              progress. Another profile starts every screen afresh. */}
          <div key={profiles?.currentId ?? 'none'} className="screens">
            {SCREENS.filter((s) => s.id === screen || visited.has(s.id)).map((s) => (
              <div key={s.id} hidden={s.id !== screen} className="screen-slot" data-screen={s.id}>
                <ScreenBoundary>{SCREEN_VIEWS[s.id]()}</ScreenBoundary>
              </div>
            ))}
          </div>
        </main>
      </div>
    </AppContext.Provider>
  );
}

