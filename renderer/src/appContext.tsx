import { createContext, useContext } from 'react';
import type { ProfilesView, SystemInfo } from '../../electron/api/contract/index.js';

export type Screen = 'chat' | 'memories' | 'data' | 'profiles' | 'settings';

export interface AppContextValue {
  info: SystemInfo | undefined;
  profiles: ProfilesView | undefined;
  reloadProfiles(): void;
  /** The screen shown now (the others may stay mounted, hidden). */
  screen: Screen;
  go(screen: Screen): void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const v = useContext(AppContext);
  if (!v) throw new Error('useApp outside AppContext');
  return v;
}

export function useCurrentProfile() {
  const { profiles } = useApp();
  return profiles?.profiles.find((p) => p.id === profiles.currentId) ?? null;
}
