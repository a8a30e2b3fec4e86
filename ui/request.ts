/**
 * What the page's fetcher adds to GraphiQL's request. DOM-free so the tests can run it in Node.
 */
import { Kind, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';

export interface CurrentOperation {
  operationName: string | null | undefined;
  /** The parsed document, when it parses (the toolkit uses it to route subscriptions to the WebSocket). */
  documentAST: DocumentNode | undefined;
}

/**
 * GraphiQL 5 learns a tab's operation name from the editor 100 ms after its text changes, so Run
 * right after switching tabs sends the previous tab's name ("Unknown operation named …") and, for a
 * subscription, goes over HTTP instead of the WebSocket. This re-reads the document actually being
 * sent: when the given name is not in it and it holds exactly one operation, that one is meant.
 */
export function currentOperation(query: string, operationName: string | null | undefined): CurrentOperation {
  let documentAST: DocumentNode;
  try {
    documentAST = parse(query);
  } catch {
    // Let the server report the syntax error.
    return { operationName, documentAST: undefined };
  }
  const operations = documentAST.definitions.filter(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  );
  const names = operations.map((o) => o.name?.value);
  if (operationName && !names.includes(operationName) && operations.length === 1) {
    return { operationName: names[0] ?? null, documentAST };
  }
  return { operationName, documentAST };
}

/** Header and connection_init key of the router secret (src/security/router-secret.ts). */
const ROUTER_SECRET_HEADER = 'x-router-secret';
const ROUTER_SECRET_PARAM = 'routerSecret';

/**
 * graphql-ws `connectionParams` from the Headers pane: browsers cannot set headers on a WebSocket,
 * so a router secret entered there for HTTP goes into `connection_init` for subscriptions.
 */
export function connectionParamsFrom(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === ROUTER_SECRET_HEADER && typeof value === 'string' && value !== '')
      return { [ROUTER_SECRET_PARAM]: value };
  }
  return {};
}
