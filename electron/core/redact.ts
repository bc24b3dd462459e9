/**
 * Text from a remote server with the caller's own secret taken out. A server may echo the
 * request's Authorization header in an error body; that text goes into error messages, which
 * are printed and kept with the turn (and so end up in exports).
 */
export function withoutSecret(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join('[your API key]');
}
