/**
 * A host that does not resolve is a configuration error, a resolver that fails for now is not
 * (src/providers/http.ts): ENOTFOUND is PROVIDER_MISCONFIGURED, never retried and never counted by
 * the circuit breaker as an outage; EAI_AGAIN stays a transient PROVIDER_UNAVAILABLE. The DNS
 * answer comes from the transport's `lookup` seam, so the test does not depend on this machine's
 * resolver.
 */
import type { LookupFunction } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { JobError } from '../../src/errors.js';
import { HttpTransport } from '../../src/providers/http.js';
import { createNlbClient } from '../../src/providers/nlb/client.js';
import { EndpointBreaker, type BreakerChange } from '../../src/providers/resilience/circuit-breaker.js';
import { retryClassOf } from '../../src/providers/resilience/classify.js';
import { CallDeadline } from '../../src/providers/resilience/deadline.js';
import { retrying } from '../../src/providers/resilience/retry.js';
import type { JobKey } from '../../src/providers/types.js';
import { SIMULATOR_ALIBABA } from '../../src/simulator/credentials.js';
import { rejection } from '../helpers/provider-harness.js';

/** A resolver that answers every name with `code`, counting the names asked. */
function failingResolver(code: 'ENOTFOUND' | 'EAI_AGAIN') {
  const asked: string[] = [];
  const lookup = ((hostname: string, _options: unknown, callback: (err: NodeJS.ErrnoException) => void) => {
    asked.push(hostname);
    const err: NodeJS.ErrnoException = new Error(`getaddrinfo ${code} ${hostname}`);
    err.code = code;
    err.syscall = 'getaddrinfo';
    process.nextTick(() => callback(err));
  }) as unknown as LookupFunction;
  return { lookup, asked };
}

const KEY: JobKey = { provider: 'NLB', account: null, region: 'cn-hangzhou', projectId: null, jobId: 'dns-1' };
const transports: HttpTransport[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) await t.close();
});

function transportWith(lookup: LookupFunction): HttpTransport {
  const t = new HttpTransport({ lookup, deadlineMs: 2_000 });
  transports.push(t);
  return t;
}

describe('a host that does not resolve', () => {
  it('is PROVIDER_MISCONFIGURED, not transient, with no host name in the message', async () => {
    const dns = failingResolver('ENOTFOUND');
    const err = await rejection(
      transportWith(dns.lookup).send('NLB', {
        method: 'POST',
        url: new URL('https://nlb.internal-vpc.example.invalid/'),
        headers: {},
      }),
    );
    expect(err.code).toBe('PROVIDER_MISCONFIGURED');
    expect(err.transient).toBe(false);
    expect(err.details.provider).toBe('NLB');
    expect(err.message).toMatch(/^NLB endpoint host does not resolve \(ENOTFOUND\): check the region/);
    expect(err.message).not.toContain('example.invalid');
    expect(dns.asked).toEqual(['nlb.internal-vpc.example.invalid']);
  });

  it('is never retried and never opens the breaker: three calls, three lookups, the breaker stays closed', async () => {
    const dns = failingResolver('ENOTFOUND');
    const client = createNlbClient({
      transport: transportWith(dns.lookup),
      credentials: SIMULATOR_ALIBABA,
      endpointOverride: 'https://nlb.{region}.example.invalid',
    });
    const changes: BreakerChange[] = [];
    // A breaker that would open on the first counted failure, and a retry budget of 3 attempts.
    const breaker = new EndpointBreaker('NLB', 'cn-hangzhou', { threshold: 1, cooldownMs: 60_000 }, (c) =>
      changes.push(c),
    );
    const call = async () => {
      const deadline = new CallDeadline(5_000);
      try {
        return await retrying(
          () =>
            breaker.execute(
              () => client.fetchJob(KEY, deadline.signal),
              () => false,
            ),
          deadline,
          {
            maxAttempts: 3,
            baseDelayMs: 1,
            maxDelayMs: 5,
          },
        );
      } finally {
        deadline.dispose();
      }
    };
    for (let i = 1; i <= 3; i++) {
      const err = await rejection(call());
      expect(err.code).toBe('PROVIDER_MISCONFIGURED');
      expect(retryClassOf(err)).toBe('never');
      expect(dns.asked).toHaveLength(i);
    }
    expect(changes).toEqual([]);
  });
});

describe('a resolver that fails for now (EAI_AGAIN)', () => {
  it('is a transient PROVIDER_UNAVAILABLE, retried, and counted by the breaker', async () => {
    const dns = failingResolver('EAI_AGAIN');
    const client = createNlbClient({
      transport: transportWith(dns.lookup),
      credentials: SIMULATOR_ALIBABA,
      endpointOverride: 'https://nlb.{region}.example.invalid',
    });
    const changes: BreakerChange[] = [];
    const breaker = new EndpointBreaker('NLB', 'cn-hangzhou', { threshold: 3, cooldownMs: 60_000 }, (c) =>
      changes.push(c),
    );
    const deadline = new CallDeadline(5_000);
    const err = await rejection(
      retrying(
        () =>
          breaker.execute(
            () => client.fetchJob(KEY, deadline.signal),
            () => false,
          ),
        deadline,
        {
          maxAttempts: 3,
          baseDelayMs: 1,
          maxDelayMs: 5,
        },
      ),
    );
    deadline.dispose();
    expect(err).toBeInstanceOf(JobError);
    expect(err.code).toBe('PROVIDER_UNAVAILABLE');
    expect(err.transient).toBe(true);
    expect(dns.asked).toHaveLength(3);
    expect(changes.map((c) => c.state)).toEqual(['open']);
  });
});
