/**
 * The one line of an error's message that a job's `errors[]` shows: what failed, not where it
 * lives. The first non-blank line, except for Prisma's messages, which open with a blank line and
 * "Invalid `x()` invocation in <file>" and end with the cause; at most 300 characters, with file
 * paths taken out.
 */
export function errorLine(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (!lines.length) return 'no message';
  const line = /^Invalid `[^`]*` invocation/.test(lines[0]) ? lines[lines.length - 1] : lines[0];
  return line.slice(0, 300).replace(/(['"]?)\/[^\s'"]+\1/g, '<path>');
}
