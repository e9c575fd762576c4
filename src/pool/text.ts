/**
 * The one rule for text the API takes, in a JSON body, a path, a query or a file's cell: well-formed
 * Unicode (no lone UTF-16 surrogate: it cannot be stored as UTF-8, and would come back as U+FFFD) and no
 * control character (Unicode Cc: C0, DEL, C1; PostgreSQL refuses NUL outright). Free text (reasons,
 * descriptions, memos) may hold tab, line feed and carriage return; a name, a reference or a code may not.
 * A refusal names the problem; the caller names the field.
 */
export function textIssue(value: string, options: { multiline?: boolean } = {}): string | null {
  if (!value.isWellFormed()) return 'must be well-formed Unicode (it holds a lone UTF-16 surrogate)';
  const control = options.multiline ? /(?![\t\n\r])\p{Cc}/u : /\p{Cc}/u;
  const found = control.exec(value);
  if (found)
    return `must not contain control characters (U+${found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at ${found.index})${options.multiline ? '; tab, line feed and carriage return are allowed' : ''}`;
  return null;
}
