import { Component, type ReactNode } from 'react';

/** A screen that fails to render says so (and how to recover) instead of blanking the app. */
export class ScreenBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="note error" role="alert">
        <span>
          This screen hit a bug and stopped: {this.state.error.message}. Your data is safe. Try again, or reload the window.
        </span>
        <button type="button" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </div>
    );
  }
}
