/**
 * A boolean query value: `true` or `false` in any case. Python clients (aepp, through `requests`)
 * write a bool parameter as `True`/`False`, and AEP's services read it without regard to case.
 * Anything else is undefined here, for the caller to refuse naming the parameter.
 */
export function parseQueryBoolean(value: unknown): boolean | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : undefined;
}

/** class-transformer form: a boolean when the text is one, else the value as it came (IsBoolean names it). */
export const toBoolean = ({ value }: { value: unknown }) => parseQueryBoolean(value) ?? value;
