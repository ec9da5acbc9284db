/** Removes user:password from every URL in a text, so camera credentials never reach a log or an API answer. */
export function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]+)(:[^/@\s]*)?@/gi, '$1***@');
}
