import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { compose, jobsSdl } from './fixtures/supergraph.js';

let server: TestServer;
let sdl: string;
beforeAll(async () => {
  server = await startTestServer();
  sdl = await jobsSdl(server);
});
afterAll(async () => {
  await server.stop();
});

const TICKETS = { url: 'http://tickets.invalid/graphql' };

describe('composition with @apollo/composition', () => {
  it('links the federation version the pinned composition supports', () => {
    expect(sdl).toMatch(/@link\(url: "https:\/\/specs\.apollo\.dev\/federation\/v2\.14"/);
  });

  it('composes with a subgraph that extends DliJob and WorkspaceJob and stubs NlbJob, without errors or hints', () => {
    const result = compose({ sdl, url: server.url }, TICKETS);
    expect(result.errors?.map((e) => e.message)).toBeUndefined();
    expect(result.hints?.map((h) => h.toString())).toEqual([]);
  });

  it('puts the other subgraph’s fields on our entities and keeps every Job member keyed by id in both graphs', () => {
    const supergraph = compose({ sdl, url: server.url }, TICKETS).supergraphSdl!;
    const typeDef = (name: string) => supergraph.match(new RegExp(`\\ntype ${name} [^{]*\\{[^}]*\\}`))?.[0] ?? '';
    for (const name of ['DataWorksJob', 'NlbJob', 'CfwJob', 'DliJob', 'WorkspaceJob']) {
      expect(typeDef(name)).toContain('@join__type(graph: JOBS, key: "id")');
    }
    expect(typeDef('DliJob')).toContain('@join__type(graph: TICKETS, key: "id")');
    expect(typeDef('DliJob')).toMatch(/owningTeam: String! @join__field\(graph: TICKETS\)/);
    expect(typeDef('WorkspaceJob')).toMatch(/tickets: \[Ticket!\]! @join__field\(graph: TICKETS\)/);
    expect(typeDef('NlbJob')).toContain('@join__type(graph: TICKETS, key: "id", resolvable: false)');
    expect(supergraph).toMatch(/type Subscription\s+@join__type\(graph: JOBS\)/);
  });

  it('rejects a federation version newer than the pinned composition knows (so v2.14 is the newest)', () => {
    const result = compose({ sdl: sdl.replace('federation/v2.14', 'federation/v2.15'), url: server.url }, TICKETS);
    expect(result.errors?.[0]?.message).toMatch(/Invalid version v2\.15 for the federation feature/);
  });

  it('reports a conflicting field type from the other subgraph as a composition error', () => {
    const clash = /* GraphQL */ `
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.14", import: ["@key", "@shareable"])
      type DliJob @key(fields: "id") {
        id: ID!
        state: Int @shareable
      }
      type Query {
        other: DliJob
      }
    `;
    const result = compose({ sdl, url: server.url }, { ...TICKETS, sdl: clash });
    expect(result.errors?.map((e) => e.message).join('\n')).toMatch(/DliJob\.state/);
  });
});
