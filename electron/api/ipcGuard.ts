/** The origin our renderer is served from inside Electron (a custom, privileged scheme). */
export const APP_ORIGIN = 'app://emily';

/**
 * Main accepts IPC only from its own window showing its own renderer: a frame from any
 * other origin (a navigated-away page, an injected iframe) is refused. Pure, so it is
 * tested without Electron.
 */
export function isTrustedSender(frameUrl: string | undefined | null, fromOurWindow: boolean): boolean {
  if (!fromOurWindow || !frameUrl) return false;
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  return url.protocol === 'app:' && url.host === 'emily' && url.username === '' && url.password === '' && url.port === '';
}
