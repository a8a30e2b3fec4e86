/** The executable subgraph schema: schema.graphql (project root) plus resolvers. */
import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';
import { resolvers } from './resolvers.js';

/** schema.graphql sits two levels up from both src/schema and dist/schema. */
export const SCHEMA_PATH = new URL('../../schema.graphql', import.meta.url);

export function loadTypeDefs(): string {
  return readFileSync(SCHEMA_PATH, 'utf8');
}

export function createSchema(): GraphQLSchema {
  // The generated resolver map types federation's __resolveReference more strictly than
  // buildSubgraphSchema's own (looser) resolver type; the shapes are the same at run time.
  return buildSubgraphSchema({ typeDefs: parse(loadTypeDefs()), resolvers: resolvers as never });
}
