import { useEffect, useReducer, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { MAX_MESSAGE_CHARS } from '../../../electron/api/contract/views.js';
import { ApiError, newOperationId, useCall, useEvents, useQuery } from '../api/client.js';
import { useApp, useCurrentProfile } from '../appContext.js';
import { Empty, ErrorNote, Unavailable } from '../components/Notes.js';
import { composerKeyAction } from '../logic/chatKeys.js';
import { chatReducer, initialChat } from '../logic/chatStream.js';
import { MessageView, PendingView } from './ChatMessages.js';

/** Chat: conversations on the left, the conversation, and the memories beside each reply. */
export function ChatScreen() {
  const { info, go, screen } = useApp();
  const profile = useCurrentProfile();
  const available = info?.domains.chat ?? false;
  const call = useCall();
  const [conversationId, setConversationId] = useState<string | null>(null);
  const [listVersion, setListVersion] = useState(0);
  const conversations = useQuery('chat.conversations', {}, { enabled: available && !!profile, key: `${profile?.id}:${listVersion}` });
  const readiness = useQuery('chat.readiness', {}, { enabled: available && !!profile, key: profile?.id });
  const [state, dispatch] = useReducer(chatReducer, initialChat);
  const [draft, setDraft] = useState('');
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  // What a screen reader hears: one line when a reply starts and one when it is done, not every
  // token of it (a live region around the messages read the whole stream, and on opening a
  // conversation, all of it).
  const [announcement, setAnnouncement] = useState('');
  const endRef = useRef<HTMLDivElement>(null);
  const adopted = useRef<string | null>(null);

  useEvents((e) => {
    if (e.name === 'chat.token' || e.name === 'chat.memories' || e.name === 'chat.status') dispatch({ type: 'event', name: e.name, payload: e.payload } as never);
  });
  useEffect(() => {
    setConversationId(null);
  }, [profile?.id]);
  useEffect(() => {
    if (!available || !profile) return;
    if (conversationId === null) {
      dispatch({ type: 'loaded', messages: [] });
      return;
    }
    // A conversation our own first message just created is already on screen: no reload, no flicker.
    if (conversationId === adopted.current) {
      adopted.current = null;
      return;
    }
    let live = true;
    call('chat.open', { conversationId })
      .then((d) => live && dispatch({ type: 'loaded', messages: d.messages }))
      .catch((e: unknown) => live && setLoadError(e instanceof ApiError ? e : new ApiError('INTERNAL', String(e))));
    return () => {
      live = false;
    };
  }, [conversationId, available, profile, call]);
  useEffect(() => {
    if (state.restoreDraft !== null) {
      setDraft((d) => (d.trim() === '' ? state.restoreDraft! : d));
      dispatch({ type: 'draftRestored' });
    }
  }, [state.restoreDraft]);
  useEffect(() => {
    // Braces matter: newer Chromium returns a Promise from scrollIntoView, and an effect must return nothing.
    void endRef.current?.scrollIntoView({ block: 'end' });
  }, [state.messages.length, state.pending?.replyText]);
  // Esc stops a reply wherever the focus is, while the chat is shown: on another screen it
  // closes that screen's things (a search, a confirmation) and the reply goes on.
  const pendingId = state.pending?.operationId;
  const shown = screen === 'chat';
  useEffect(() => {
    if (!pendingId || !shown) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      dispatch({ type: 'cancelling' });
      void call('operations.cancel', { operationId: pendingId });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [pendingId, shown, call]);

  if (!available) return <Unavailable what="Chat" />;
  if (!profile)
    return (
      <Empty title="No profile selected">
        <button type="button" onClick={() => go('profiles')}>
          Create or choose a profile
        </button>
      </Empty>
    );

  const send = async () => {
    const text = draft;
    if (text.length > MAX_MESSAGE_CHARS) return dispatch({ type: 'failed', message: `That message is ${text.length.toLocaleString()} characters; the most is ${MAX_MESSAGE_CHARS.toLocaleString()}. Split it and send it in parts.` });
    const operationId = newOperationId();
    dispatch({ type: 'send', operationId, text });
    setDraft('');
    setAnnouncement('Sent. Emily is replying…');
    try {
      const r = await call('chat.send', { operationId, conversationId, text });
      dispatch({ type: 'done', result: r });
      setAnnouncement(r.reply ? `Emily${r.reply.cut ? ' (stopped)' : ''}: ${r.reply.text}` : 'Stopped before Emily said anything; your message is kept.');
      if (conversationId === null) {
        adopted.current = r.conversation.id;
        setConversationId(r.conversation.id);
      }
      setListVersion((v) => v + 1);
    } catch (e) {
      setAnnouncement('');
      dispatch({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  };
  const cancel = () => {
    if (!state.pending) return;
    dispatch({ type: 'cancelling' });
    void call('operations.cancel', { operationId: state.pending.operationId });
  };
  const feedback = async (messageId: string, verdict: 'helpful' | 'wrong') => {
    try {
      await call('chat.feedback', { messageId, verdict });
      dispatch({ type: 'feedback', messageId, verdict });
    } catch (e) {
      dispatch({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  };

  const streaming = state.pending !== null;
  return (
    <section className="screen chat" aria-label="Chat">
      <nav className="conversations" aria-label="Conversations">
        <button type="button" className="primary" onClick={() => setConversationId(null)} disabled={streaming}>
          New conversation
        </button>
        <ErrorNote error={conversations.error} onRetry={conversations.reload} />
        {conversations.data?.length === 0 && <p className="muted small">No conversations yet.</p>}
        <ul className="list compact">
          {conversations.data?.map((c) => (
            <li key={c.id} className={c.id === conversationId ? 'current' : ''}>
              <button type="button" className="link" disabled={streaming} onClick={() => setConversationId(c.id)}>
                {c.title}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      <div className="conversation">
        {readiness.data && !readiness.data.configured && (
          <p className="banner" role="status">
            No model configured — Emily answers from memory. <button type="button" className="link" onClick={() => go('settings')}>Set up a model</button>
          </p>
        )}
        {/* Outside the screen (a portal): a reply that ends while another screen is shown is still heard. */}
        {createPortal(
          <p className="sr-only" role="status" data-testid="chat-announcement">
            {announcement}
          </p>,
          document.body,
        )}
        <div className="messages" role="region" aria-label="Chat history">
          <ErrorNote error={loadError} />
          {state.messages.length === 0 && !streaming && <Empty title="Say hello">Emily remembers what matters to you; what she used for each reply shows beside it.</Empty>}
          {state.messages.map((m) => (
            <MessageView key={m.id} m={m} onFeedback={feedback} />
          ))}
          {state.pending && <PendingView pending={state.pending} />}
          <div ref={endRef} />
        </div>
        <ErrorNote error={state.error} />
        <form className="composer" onSubmit={(e) => (e.preventDefault(), void send())}>
          <textarea
            aria-label="Message"
            dir="auto"
            placeholder="Message Emily (Enter to send, Shift+Enter for a new line)"
            value={draft}
            rows={3}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              const action = composerKeyAction({ key: e.key, shiftKey: e.shiftKey, isComposing: e.nativeEvent.isComposing }, { streaming, text: draft });
              if (action === 'send') {
                e.preventDefault();
                void send();
              } else if (action === 'cancel' || (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing)) {
                // Esc: the window listener stops the reply. Enter while streaming or empty: no newline.
                e.preventDefault();
              }
            }}
          />
          {streaming ? (
            <button type="button" onClick={cancel}>
              Stop
            </button>
          ) : (
            <button type="submit" className="primary" disabled={!draft.trim()}>
              Send
            </button>
          )}
        </form>
      </div>
    </section>
  );
}
