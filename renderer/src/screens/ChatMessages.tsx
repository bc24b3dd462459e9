import type { ChatMessage, UsedMemory } from '../../../electron/api/contract/index.js';
import type { ChatState } from '../logic/chatStream.js';

function UsedMemories({ uses }: { uses: UsedMemory[] }) {
  if (uses.length === 0) return <p className="muted small">No memories came up for this.</p>;
  return (
    <ul className="uses" aria-label="Memories used">
      {uses.map((u) => (
        <li key={u.id} data-testid="used-memory">
          <span className="text">{u.text}</span>
          <span className="score" title="Why it came up">
            total {u.score.total.toFixed(2)} · similarity {u.score.similarity.toFixed(2)} · text {u.score.textMatch.toFixed(2)} · ECGL {u.score.ecgl.toFixed(2)} · recency {u.score.recency.toFixed(2)} · working memory {u.score.activation.toFixed(2)}
          </span>
        </li>
      ))}
    </ul>
  );
}

const MEMORY_LABELS: Record<NonNullable<ChatMessage['memoryReason']>, string> = {
  'no-model': 'No model configured — answering from memory.',
  unreachable: 'The model could not be reached — answering from memory.',
  'model-failed': 'The model failed to answer — answering from memory.',
};

function MemoryLabel({ m }: { m: Pick<ChatMessage, 'answeredBy' | 'memoryReason' | 'modelError'> }) {
  if (m.answeredBy !== 'memory') return null;
  return (
    <>
      <p className="label-memory">{MEMORY_LABELS[m.memoryReason ?? 'no-model']}</p>
      {m.modelError && m.memoryReason !== 'no-model' && <p className="muted small">{m.modelError}</p>}
    </>
  );
}

export function MessageView({ m, onFeedback }: { m: ChatMessage; onFeedback(id: string, verdict: 'helpful' | 'wrong'): void }) {
  return (
    <div className={`message ${m.role}`} data-testid={`message-${m.role}`}>
      <div className="bubble">
        {m.role === 'assistant' && <MemoryLabel m={m} />}
        <div className="text" dir="auto">
          {m.text}
        </div>
        {m.cut && <span className="muted small">(cut short)</span>}
        {m.role === 'assistant' && (
          <div className="row feedback">
            <button type="button" aria-pressed={m.feedback === 'helpful'} onClick={() => onFeedback(m.id, 'helpful')}>
              Helpful
            </button>
            <button type="button" aria-pressed={m.feedback === 'wrong'} onClick={() => onFeedback(m.id, 'wrong')}>
              Wrong
            </button>
          </div>
        )}
      </div>
      {m.role === 'assistant' && (
        <aside className="beside">
          <UsedMemories uses={m.uses} />
        </aside>
      )}
    </div>
  );
}

export function PendingView({ pending }: { pending: NonNullable<ChatState['pending']> }) {
  const status = pending.status;
  return (
    <>
      <div className="message user">
        <div className="bubble">
          <div className="text" dir="auto">
            {pending.userText}
          </div>
        </div>
      </div>
      <div className="message assistant streaming" data-testid="message-streaming" aria-busy="true">
        <div className="bubble">
          {status?.answeredBy === 'memory' && <p className="label-memory">{status.message}</p>}
          {status?.reason === 'model-error' && <p className="warn">{status.message}</p>}
          <div className="text">{pending.replyText || <span className="muted">{pending.cancelling ? 'Stopping…' : 'Thinking…'}</span>}</div>
          <span className="muted small">Esc to stop</span>
        </div>
        <aside className="beside">
          <UsedMemories uses={pending.uses} />
        </aside>
      </div>
    </>
  );
}
