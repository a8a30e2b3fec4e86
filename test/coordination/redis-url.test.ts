/**
 * REDIS_URL forms (parseRedisUrl and readRedis in src/config.ts) and the ioredis options they
 * become (src/coordination/redis-connection.ts). Real servers of each form are in
 * coordinator.contract.test.ts; this file needs none.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseRedisUrl, resolveConfig, type RedisTarget } from '../../src/config.js';
import { clusterOptions, sentinelOptions } from '../../src/coordination/redis-connection.js';

const settings = { name: 'jobs-subgraph-pub', connectTimeoutMs: 2_000 };

function failure(url: string): ConfigError {
  try {
    parseRedisUrl(url);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`${url} was accepted`);
}

describe('REDIS_URL', () => {
  it('hands redis:// and rediss:// to ioredis as written', () => {
    for (const url of ['redis://127.0.0.1:6379', 'rediss://:pw@cache.example:6380/2'])
      expect(parseRedisUrl(url)).toEqual({ mode: 'standalone', url });
  });

  it('reads sentinels, master name, db and both sets of credentials from redis+sentinel://', () => {
    expect(
      parseRedisUrl(
        'redis+sentinel://app:p%40ss%3Aword@s1.example,10.0.0.2:26380,[::1]:26381/my-master/3?sentinelUsername=watch&sentinelPassword=s%26cret',
      ),
    ).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1.example', port: 26_379 },
        { host: '10.0.0.2', port: 26_380 },
        { host: '::1', port: 26_381 },
      ],
      masterName: 'my-master',
      db: 3,
      tls: false,
      auth: { username: 'app', password: 'p@ss:word' },
      sentinelAuth: { username: 'watch', password: 's&cret' },
    });
    expect(parseRedisUrl('rediss+sentinel://:pw@s1/m')).toMatchObject({
      tls: true,
      db: 0,
      auth: { password: 'pw' },
      sentinelAuth: {},
    });
  });

  it('reads seed nodes and credentials from redis+cluster://', () => {
    expect(parseRedisUrl('redis+cluster://node-a:7000,node-b,node-c:7002/')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'node-a', port: 7_000 },
        { host: 'node-b', port: 6_379 },
        { host: 'node-c', port: 7_002 },
      ],
      tls: false,
      auth: {},
    });
    expect(parseRedisUrl('rediss+cluster://default:pw@n1:6379')).toMatchObject({
      tls: true,
      auth: { username: 'default', password: 'pw' },
    });
  });

  it.each([
    ['an unknown scheme', 'http://u:hunter2@host:6379', /expected redis:\/\/host:6379/],
    ['an empty host list', 'redis+cluster://u:hunter2@/', /expected redis:\/\//],
    ['an empty host in the list', 'redis+cluster://u:hunter2@a:1,,b:2', /host 2 of the list/],
    ['a port out of range', 'redis+cluster://u:hunter2@a:70000', /port out of range/],
    ['a database in a cluster URL', 'redis+cluster://u:hunter2@a:1/2', /database 0 only/],
    ['a parameter in a cluster URL', 'redis+cluster://u:hunter2@a:1?sentinelPassword=x', /takes none/],
    ['a sentinel URL without master name', 'redis+sentinel://u:hunter2@s:26379', /\/master-name/],
    ['a sentinel URL with a bad db', 'redis+sentinel://u:hunter2@s:26379/m/x', /\/master-name\/db/],
    ['an unknown sentinel parameter', 'redis+sentinel://u:hunter2@s/m?password=x', /unknown parameter "password"/],
    ['a broken escape', 'redis+cluster://u:hunter2%zz@a:1', /password is not valid percent-encoding/],
  ])('refuses %s, naming REDIS_URL and never quoting the password', (_what, url, message) => {
    const err = failure(url);
    expect(err.variable).toBe('REDIS_URL');
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain('hunter2');
  });

  it('gives the parsed target with the URL in the configuration, and refuses a malformed one at start-up', () => {
    const url = 'redis+cluster://u:hunter2@a:1,b:2';
    const config = resolveConfig({ REDIS_URL: url, REDIS_PREFIX: 'p' });
    expect(config.redis?.url).toBe(url);
    expect(config.redis?.target).toEqual(parseRedisUrl(url));
    expect(() => resolveConfig({ REDIS_URL: 'redis:/u:hunter2@a', REDIS_PREFIX: 'p' })).toThrow(/^REDIS_URL: expected/);
    expect(() => resolveConfig({ REDIS_URL: 'redis:/u:hunter2@a', REDIS_PREFIX: 'p' })).not.toThrow(/hunter2/);
  });
});

describe('ioredis options of each form', () => {
  const sentinel = (url: string) => sentinelOptions(parseRedisUrl(url) as Extract<RedisTarget, { mode: 'sentinel' }>);
  const cluster = (url: string) =>
    clusterOptions(parseRedisUrl(url) as Extract<RedisTarget, { mode: 'cluster' }>, settings);

  it('asks the sentinels for the named master with the data credentials, and the sentinels with their own', () => {
    expect(sentinel('redis+sentinel://app:pw@s1/mymaster/2?sentinelPassword=sp')).toMatchObject({
      sentinels: [{ host: 's1', port: 26_379 }],
      name: 'mymaster',
      db: 2,
      username: 'app',
      password: 'pw',
      sentinelPassword: 'sp',
      failoverDetector: true,
    });
    expect(sentinel('redis+sentinel://s1/m').tls).toBeUndefined();
  });

  it('turns TLS on for sentinels and master alike with rediss+sentinel://', () => {
    expect(sentinel('rediss+sentinel://s1/m')).toMatchObject({
      tls: {},
      sentinelTLS: {},
      enableTLSForSentinelMode: true,
    });
  });

  it('gives every cluster node the credentials, TLS and fail-fast settings, and the cluster client its own retry', () => {
    const options = cluster('rediss+cluster://app:pw@n1:7000');
    expect(options).toMatchObject({ enableOfflineQueue: false });
    expect(options.clusterRetryStrategy?.(50)).toBe(2_000);
    expect(options.redisOptions).toMatchObject({
      username: 'app',
      password: 'pw',
      tls: {},
      maxRetriesPerRequest: 1,
      connectTimeout: 2_000,
      connectionName: 'jobs-subgraph-pub',
    });
    expect(cluster('redis+cluster://n1').redisOptions?.tls).toBeUndefined();
  });

  it('sends a demoted master back to the sentinels on READONLY, and only then', () => {
    const reconnect = sentinel('redis+sentinel://s1/m').reconnectOnError as (err: Error) => boolean;
    expect(reconnect(new Error("READONLY You can't write against a read only replica."))).toBe(true);
    expect(reconnect(new Error('ERR unknown command'))).toBe(false);
  });
});
