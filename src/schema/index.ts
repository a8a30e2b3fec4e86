/** The executable subgraph schema: schema.graphql (project root) plus resolvers. */
import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';
import { JobError } from '../errors.js';
import { resolvers, TYPENAME } from './resolvers.js';

/** schema.graphql sits two levels up from both src/schema and dist/schema. */
export const SCHEMA_PATH = new URL('../../schema.graphql', import.meta.url);

export function loadTypeDefs(): string {
  return readFileSync(SCHEMA_PATH, 'utf8');
}

export function createSchema(): GraphQLSchema {
  // The generated resolver map types federation's __resolveReference more strictly than
  // buildSubgraphSchema's own (looser) resolver type; the shapes are the same at run time.
  const schema = buildSubgraphSchema({ typeDefs: parse(loadTypeDefs()), resolvers: resolvers as never });
  guardEntityTypenames(schema);
  return schema;
}

const ENTITY_TYPENAMES: ReadonlySet<unknown> = new Set(Object.values(TYPENAME));

/**
 * Federation representations come from outside. For a `__typename` that is not one of our entity
 * types, @apollo/subgraph throws a plain Error (failing the whole `_entities` field) or cannot
 * resolve the value, and the client would see INTERNAL_SERVER_ERROR. Such a representation is
 * BAD_USER_INPUT at its own index instead; the others resolve as usual.
 */
function guardEntityTypenames(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()._entities;
  const resolve = field?.resolve;
  if (!field || !resolve) return;
  const isEntity = (r: unknown) =>
    typeof r === 'object' && r !== null && ENTITY_TYPENAMES.has((r as { __typename?: unknown }).__typename);
  field.resolve = (source, args: { representations: unknown[] }, context, info) => {
    const known = args.representations.filter(isEntity);
    const resolved = resolve(source, { ...args, representations: known }, context, info) as unknown[];
    let next = 0;
    return args.representations.map((r) =>
      isEntity(r)
        ? resolved[next++]
        : Promise.reject(
            new JobError(
              'BAD_USER_INPUT',
              `representation __typename must be one of ${[...ENTITY_TYPENAMES].join(', ')}`,
            ),
          ),
    );
  };
}
