/**
 * `JOBS_ENDPOINT_*` over https on a private network: the CA is whatever Node trusts, extended by
 * the standard `NODE_EXTRA_CA_CERTS` (read once at process start, so the server runs as a child
 * process here). STS and the NLB API sit behind a TLS terminator with a self-signed certificate.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_HUAWEI, SIMULATOR_IDS } from '../../src/simulator/credentials.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ROLE = 'acs:ram::1000000000000002:role/private-net';
const TOKEN = 'private-net-oidc-token';
const JOB = `query($ref: JobRef!) { job(ref: $ref) { ... on CloudJob { id account rawStatus } } }`;

/** A TLS terminator on a free loopback port in front of an http fake; counts its handshakes. */
class TlsFront {
  handshakes = 0;
  readonly #server: tls.Server;

  constructor(target: string, key: Buffer, cert: Buffer) {
    const { hostname, port } = new URL(target);
    this.#server = tls.createServer({ key, cert }, (client) => {
      this.handshakes++;
      const upstream = net.connect(Number(port), hostname);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    // A refused handshake (the server not trusting the certificate) is an expected outcome here.
    this.#server.on('tlsClientError', () => {});
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

interface Child {
  url: string;
  stop(): void;
}

/** Starts the server in live mode as a process of its own; resolves with its URL from its first log line. */
function startServer(env: NodeJS.ProcessEnv): Promise<Child> {
  return new Promise((resolve, reject) => {
    // Node itself with tsx's loader, not the tsx CLI: the CLI runs the server as a grandchild, which
    // a kill of the CLI leaves running.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start; stderr:\n${err}`));
    }, 30_000);
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      for (const line of out.split('\n').slice(0, -1)) {
        const url = /"url":"([^"]+)"/.exec(line)?.[1];
        if (url) {
          clearTimeout(timer);
          resolve({ url, stop: () => child.kill('SIGKILL') });
          return;
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}; stderr:\n${err}`)));
  });
}

async function query(url: string, ref: Record<string, unknown>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: JOB, variables: { ref } }),
  });
  return (await res.json()) as {
    data?: { job: { id: string; account: string; rawStatus: string } | null };
    errors?: { extensions?: { code?: string } }[];
  };
}

const canMakeCertificates = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!canMakeCertificates)('identity and provider endpoints over https', () => {
  let sim: Simulator;
  let sts: TlsFront;
  let nlb: TlsFront;
  let env: NodeJS.ProcessEnv;
  let caFile: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobs-tls-'));
    const made = spawnSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1']
        .concat(['-addext', 'subjectAltName=IP:127.0.0.1'])
        .concat(['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]),
      { encoding: 'utf8' },
    );
    expect(made.status, made.stderr).toBe(0);
    caFile = join(dir, 'cert.pem');
    const key = readFileSync(join(dir, 'key.pem'));
    const cert = readFileSync(caFile);

    sim = await startSimulator({ stepMs: 60_000 });
    sim.identities.addAlibabaRole({ arn: ROLE, trustedAccounts: [], oidcProviderArn: SIMULATOR_IDS.oidcProviderArn });
    sim.identities.trustAlibabaOidcToken(SIMULATOR_IDS.oidcProviderArn, TOKEN);
    sts = new TlsFront(sim.identityEndpoints.STS, key, cert);
    nlb = new TlsFront(sim.endpoints.NLB, key, cert);

    const tokenFile = join(dir, 'oidc-token');
    writeFileSync(tokenFile, TOKEN);
    const accountsFile = join(dir, 'accounts.yaml');
    writeFileSync(
      accountsFile,
      JSON.stringify({
        accounts: [
          {
            name: 'private-net',
            cloud: 'alibaba',
            default: true,
            defaultRegion: 'cn-hangzhou',
            credentials: {
              source: 'oidc',
              roleArn: ROLE,
              oidcProviderArn: SIMULATOR_IDS.oidcProviderArn,
              oidcTokenFile: tokenFile,
            },
          },
          {
            name: 'hw',
            cloud: 'huawei',
            default: true,
            defaultRegion: 'cn-north-4',
            credentials: { source: 'static', ak: SIMULATOR_HUAWEI.ak, sk: SIMULATOR_HUAWEI.sk },
          },
        ],
      }),
    );
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      JOBS_MODE: 'live',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      JOBS_ACCOUNTS_FILE: accountsFile,
      JOBS_ENDPOINT_STS: await sts.listen(),
      JOBS_ENDPOINT_NLB: await nlb.listen(),
    };
  });

  afterAll(async () => {
    await Promise.all([sts?.close(), nlb?.close(), sim?.stop()]);
  });

  it('exchanges the OIDC token and reads the job over https when NODE_EXTRA_CA_CERTS names the CA', async () => {
    const before = { sts: sts.handshakes, nlb: nlb.handshakes };
    const server = await startServer({ ...env, NODE_EXTRA_CA_CERTS: caFile });
    try {
      const r = await query(server.url, { provider: 'NLB', jobId: 'tls-1' });
      expect(r.errors).toBeUndefined();
      expect(r.data?.job).toMatchObject({ account: 'private-net', id: 'NLB:cn-hangzhou:-:tls-1' });
      expect(sts.handshakes).toBeGreaterThan(before.sts);
      expect(nlb.handshakes).toBeGreaterThan(before.nlb);
    } finally {
      server.stop();
    }
  });

  it('refuses the self-signed certificate without it, as a coded error', async () => {
    const server = await startServer(env);
    try {
      const r = await query(server.url, { provider: 'NLB', jobId: 'tls-2' });
      expect(r.data?.job ?? null).toBeNull();
      expect(r.errors?.[0]?.extensions?.code).toBe('CREDENTIALS_UNAVAILABLE');
    } finally {
      server.stop();
    }
  });
});
