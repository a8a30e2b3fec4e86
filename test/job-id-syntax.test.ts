/**
 * The job-id rule people read (README, the GraphiQL page, the BAD_USER_INPUT message) is the rule the
 * validator enforces: each statement is parsed and probed against resolveJobRef, character by
 * character and at the length bound; and all of them come from src/job-id-syntax.ts.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JobError } from '../src/errors.js';
import { JOB_ID_RULE, jobIdRule } from '../src/job-id-syntax.js';
import { PROVIDERS, type ProviderName } from '../src/providers/types.js';
import { resolveJobRef } from '../src/refs.js';
import { refDefaults } from './helpers/ref-defaults.js';
import { SIMULATOR_NOTES } from '../ui/examples.js';

const README = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');

const defaults = refDefaults({
  alibabaRegion: 'cn-hangzhou',
  huaweiRegion: 'cn-north-4',
  huaweiProjectId: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
});

/** null when the validator takes `jobId`, else its BAD_USER_INPUT message. */
async function rejection(provider: ProviderName, jobId: string): Promise<string | null> {
  try {
    await resolveJobRef({ provider, jobId }, defaults);
    return null;
  } catch (err) {
    if (err instanceof JobError && err.code === 'BAD_USER_INPUT') return err.message;
    throw err;
  }
}

const accepts = async (provider: ProviderName, jobId: string) => (await rejection(provider, jobId)) === null;

interface StatedRule {
  text: string;
  maxLength: number;
  punctuation: string;
  nlbAlso: string;
  startsWithLetterOrDigit: boolean;
}

/** Every statement of the job-id syntax in `text` (Markdown code marks ignored). */
function statedRules(text: string): StatedRule[] {
  const plain = text.replace(/`/g, '');
  const found = [
    ...plain.matchAll(
      /1[–-](\d+) (?:characters )?of letters, digits and (\S+?)(?=[.,]?\s)( \(NLB also (\S+)\))?(, starting with a letter or digit)?/g,
    ),
  ];
  return found.map((m) => ({
    text: m[0],
    maxLength: Number(m[1]),
    punctuation: m[2]!,
    nlbAlso: m[4] ?? '',
    startsWithLetterOrDigit: m[5] !== undefined,
  }));
}

/** Printable ASCII that is neither a letter nor a digit. */
const PUNCTUATION = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).filter(
  (c) => !/[A-Za-z0-9]/.test(c),
);

/** What the validator does that the statement says it should not (empty: they agree). */
async function disagreements(rule: StatedRule, providers: readonly ProviderName[] = PROVIDERS): Promise<string[]> {
  const wrong: string[] = [];
  const check = async (provider: ProviderName, jobId: string, stated: boolean) => {
    if ((await accepts(provider, jobId)) !== stated)
      wrong.push(`${provider} ${JSON.stringify(jobId)}: stated ${stated ? 'valid' : 'invalid'}`);
  };
  for (const provider of providers) {
    const allowed = rule.punctuation + (provider === 'NLB' ? rule.nlbAlso : '');
    await check(provider, '', false);
    await check(provider, 'a', true);
    await check(provider, 'aZ09', true);
    await check(provider, 'a'.repeat(rule.maxLength), true);
    await check(provider, 'a'.repeat(rule.maxLength + 1), false);
    for (const c of PUNCTUATION) {
      await check(provider, `a${c}b`, allowed.includes(c));
      if (allowed.includes(c)) await check(provider, `${c}a`, !rule.startsWithLetterOrDigit);
    }
  }
  return wrong;
}

describe('the job-id rule', () => {
  it.each([
    ['README', README],
    ['the GraphiQL page', SIMULATOR_NOTES.join('\n')],
    ['the code (JOB_ID_RULE)', JOB_ID_RULE],
  ])('as %s states it, is what the validator enforces', async (_where, text) => {
    const rules = statedRules(text);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(await disagreements(rule), rule.text).toEqual([]);
  });

  it.each(PROVIDERS)('as the %s BAD_USER_INPUT message states it, is what the validator enforces', async (provider) => {
    const message = await rejection(provider, 'a/b');
    expect(message).toBe(`${provider} jobId must be ${jobIdRule(provider)}`);
    const rules = statedRules(message!);
    expect(rules).toHaveLength(1);
    // The message lists this provider's punctuation in full, extras included.
    expect(await disagreements({ ...rules[0]!, nlbAlso: '' }, [provider])).toEqual([]);
  });

  it('is stated in the same words, from the code, in the README and on the GraphiQL page', () => {
    expect(README.replace(/`/g, '')).toContain(JOB_ID_RULE);
    expect(SIMULATOR_NOTES).toContain(JOB_ID_RULE);
  });
});
