/**
 * The executable schema and the request limits both transports apply (graphql-armor: depth,
 * aliases, cost, directives; the token limit is the parser's).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLSchema, ValidationRule } from 'graphql';
import type { Config } from '../config.js';
import type { RequestContext } from '../context.js';
import { createSchema } from '../schema/index.js';

export interface GraphqlSetup {
  schema: GraphQLSchema;
  validationRules: ValidationRule[];
  /** armor's Apollo plugins (HTTP only). */
  plugins: ApolloServerPlugin<RequestContext>[];
}

export function buildGraphql(config: Readonly<Config>): GraphqlSetup {
  const armor = new ApolloArmor({
    maxDepth: { n: config.limits.maxDepth },
    maxAliases: { n: config.limits.maxAliases },
    costLimit: { maxCost: config.limits.maxCost },
    // Token limit in the parser instead: armor's plugin turns every syntax error into HTTP 500
    // (graphql-armor#571).
    maxTokens: { enabled: false },
    maxDirectives: { n: config.limits.maxDirectives },
    blockFieldSuggestion: { enabled: config.production },
  }).protect();
  return {
    schema: createSchema(),
    validationRules: armor.validationRules,
    // armor is typed against the CJS build of @apollo/server; the plugin objects are the same.
    plugins: armor.plugins as unknown as ApolloServerPlugin<RequestContext>[],
  };
}
