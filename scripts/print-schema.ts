/**
 * Prints the subgraph SDL exactly as the running server answers `{ _service { sdl } }`, which is
 * what `rover subgraph introspect` returns and what `rover subgraph publish` / `check` take.
 *
 *   npm run schema:print                  # to stdout
 *   npm run schema:print -- jobs.graphql  # to a file
 */
import { writeFileSync } from 'node:fs';
import { graphql } from 'graphql';
import { createSchema } from '../src/schema/index.js';

async function subgraphSdl(): Promise<string> {
  const result = await graphql({ schema: createSchema(), source: '{ _service { sdl } }' });
  const sdl = (result.data?._service as { sdl?: unknown } | undefined)?.sdl;
  if (result.errors?.length || typeof sdl !== 'string') {
    throw new Error(`could not read the subgraph SDL: ${result.errors?.map((e) => e.message).join('; ') ?? 'no sdl'}`);
  }
  return sdl;
}

// Byte for byte what `_service.sdl` returns, so a diff against the live server is empty.
const out = process.argv[2];
const sdl = await subgraphSdl();
if (out) writeFileSync(out, sdl);
else process.stdout.write(sdl);
