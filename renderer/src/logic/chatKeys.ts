/** Keyboard-first chat: Enter sends, Shift+Enter is a newline, Esc cancels a reply. */
export type ComposerAction = 'send' | 'newline' | 'cancel' | null;

export function composerKeyAction(e: { key: string; shiftKey: boolean; isComposing?: boolean }, state: { streaming: boolean; text: string }): ComposerAction {
  if (e.isComposing) return null; // an IME is composing: Enter confirms the character, not the message
  if (e.key === 'Escape') return state.streaming ? 'cancel' : null;
  if (e.key !== 'Enter') return null;
  if (e.shiftKey) return 'newline';
  if (state.streaming || state.text.trim() === '') return null;
  return 'send';
}
