/**
 * The syntax of a provider job id: the one definition that refs.ts enforces and that the README and
 * the GraphiQL page state (ui/examples.ts imports this file into the browser bundle, so it imports
 * nothing). Formats from the providers' docs: UUIDs (DataWorks, CFW, DLI, in either case), NLB's
 * masked `…5****`, Workspace's decimal snowflakes. DLI documents 1–64 characters; the bound applies
 * everywhere. Nothing that could change the request path ('/', '?', '#', '%').
 */

export const JOB_ID_MAX_LENGTH = 64;

/** Allowed after the first character (which is a letter or digit) for every provider. */
export const JOB_ID_PUNCTUATION = '._-';

/** Allowed on top of JOB_ID_PUNCTUATION, per provider (NLB masks ids with `*`). */
export const JOB_ID_EXTRA_PUNCTUATION = { NLB: '*' } as const satisfies Record<string, string>;

function punctuationOf(provider: string): string {
  const extra = (JOB_ID_EXTRA_PUNCTUATION as Record<string, string>)[provider] ?? '';
  // '-' last, where it reads as itself in a character class and in prose.
  return `${JOB_ID_PUNCTUATION.replace('-', '')}${extra}-`;
}

/** The pattern refs.ts tests `provider`'s job ids against. */
export function jobIdPattern(provider: string): RegExp {
  const punctuation = punctuationOf(provider).replace(/[\\\]^-]/g, '\\$&');
  return new RegExp(`^[A-Za-z0-9][A-Za-z0-9${punctuation}]{0,${JOB_ID_MAX_LENGTH - 1}}$`);
}

/** `provider`'s rule in words, e.g. for a BAD_USER_INPUT message. */
export function jobIdRule(provider: string): string {
  return `1–${JOB_ID_MAX_LENGTH} characters of letters, digits and ${punctuationOf(provider)}, starting with a letter or digit`;
}

/** Every provider's rule in one sentence, as the README and the GraphiQL page say it. */
export const JOB_ID_RULE = `Job ids must be 1–${JOB_ID_MAX_LENGTH} characters of letters, digits and ${JOB_ID_PUNCTUATION} (${Object.entries(
  JOB_ID_EXTRA_PUNCTUATION,
)
  .map(([provider, extra]) => `${provider} also ${extra}`)
  .join('; ')}), starting with a letter or digit.`;
