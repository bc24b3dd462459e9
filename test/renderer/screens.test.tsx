// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { METRIC_NAMES, type Metrics } from '../../electron/api/contract/views.js';
import { deleteUser } from '../../electron/operations/users.js';
import { BridgeProvider } from '../../renderer/src/api/client.js';
import { App } from '../../renderer/src/App.js';
import { ConfirmByName } from '../../renderer/src/components/ConfirmByName.js';
import { MetricChart } from '../../renderer/src/components/MetricChart.js';
import { useBrowserMode } from '../support/browserMode.js';
import { inProcessBridge } from '../support/inProcessBridge.js';

// The real API on the test cluster; the screens talk to it through an in-process bridge.
const b = useBrowserMode({ rendererDir: '/nonexistent' });
afterEach(cleanup);

describe('ConfirmByName', () => {
  it('keeps the action disabled until the exact name is typed', () => {
    const confirmed: string[] = [];
    render(<ConfirmByName name="Ana" action="Delete Ana" onConfirm={(t) => void confirmed.push(t)} onCancel={() => undefined} />);
    const button = screen.getByRole('button', { name: 'Delete Ana' });
    const input = screen.getByLabelText('Type the profile name to confirm');
    fireEvent.change(input, { target: { value: 'ana' } });
    expect((button as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(button);
    expect(confirmed).toEqual([]);
    fireEvent.change(input, { target: { value: 'Ana' } });
    expect((button as HTMLButtonElement).disabled).toBe(false);
    fireEvent.click(button);
    expect(confirmed).toEqual(['Ana']);
  });
});

describe('ConfirmByName from the keyboard, and twice', () => {
  it('confirms with Enter once the name is right, cancels with Escape, and runs a pending action only once', async () => {
    const confirmed: string[] = [];
    let cancelled = 0;
    let finish = () => undefined as void;
    const pending = new Promise<void>((r) => (finish = r));
    render(<ConfirmByName name="Ana" action="Delete Ana" onConfirm={(t) => (confirmed.push(t), pending)} onCancel={() => cancelled++} />);
    const input = screen.getByLabelText('Type the profile name to confirm');
    fireEvent.change(input, { target: { value: 'Ana' } });
    fireEvent.submit(input.closest('form')!);
    fireEvent.click(screen.getByRole('button', { name: 'Working…' }));
    fireEvent.submit(input.closest('form')!);
    expect(confirmed).toEqual(['Ana']);
    finish();
    await waitFor(() => screen.getByRole('button', { name: 'Delete Ana' }));
    fireEvent.keyDown(input, { key: 'Escape' });
    expect(cancelled).toBe(1);
  });
});

describe('MetricChart', () => {
  it('draws the 14 metrics, valence from the middle', () => {
    const metrics = Object.fromEntries(METRIC_NAMES.map((m) => [m, 0.5])) as Metrics;
    metrics.valence = -0.5;
    const { container } = render(<MetricChart metrics={metrics} />);
    const groups = container.querySelectorAll('g[data-metric]');
    expect(groups.length).toBe(14);
    const bar = (name: string) => container.querySelector(`g[data-metric="${name}"] rect.bar`)!;
    expect(bar('epsilon').getAttribute('x')).toBe('96');
    expect(Number(bar('epsilon').getAttribute('width'))).toBe(100);
    // valence −0.5: half of the half-width, left of the centre line (96 + 100).
    expect(Number(bar('valence').getAttribute('x'))).toBe(146);
    expect(Number(bar('valence').getAttribute('width'))).toBe(50);
  });
});

describe('App against the real core', () => {
  it('creates a profile from the Profiles screen and shows it as current', async () => {
    localStorage.clear();
    b.api.deps.state.update({ currentProfileId: null });
    render(
      <BridgeProvider bridge={inProcessBridge(b.api)}>
        <App />
      </BridgeProvider>,
    );
    await waitFor(() => expect(screen.getByTestId('current-profile').textContent).toBe('No profile'), { timeout: 10_000 });
    fireEvent.click(screen.getByRole('button', { name: 'Profiles' }));
    await screen.findByRole('heading', { name: 'Profiles' });
    fireEvent.change(screen.getByLabelText('New profile name'), { target: { value: 'Component Carla' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create profile' }));
    await waitFor(() => expect(screen.getByTestId('current-profile').textContent).toBe('Component Carla'), { timeout: 20_000 });
    const id = b.api.deps.state.get().currentProfileId!;
    expect((await b.t.emily.catalog.get(id)).displayName).toBe('Component Carla');
    const row = screen.getAllByTestId('profile-row').find((r) => r.textContent?.includes('Component Carla'))!;
    expect(within(row).getByText('current')).toBeTruthy();
    await deleteUser(b.t.emily, id);
  });

  it('shows "not available in this build" for chat when the build has no chat service', async () => {
    render(
      <BridgeProvider bridge={inProcessBridge(b.api)}>
        <App />
      </BridgeProvider>,
    );
    fireEvent.click(await screen.findByRole('button', { name: 'Chat' }));
    await screen.findByText('Chat is not available in this build.', undefined, { timeout: 10_000 });
  });
});
