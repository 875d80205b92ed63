import { errorMessage, GqlError } from '../lib/graphql';

/** A failed call with its GraphQL extensions.code (BAD_USER_INPUT, CONFLICT, …), shown inline. */
export function ServerError({ error }: { error: unknown }) {
  const code = error instanceof GqlError ? error.code : undefined;
  return (
    <p className="error server-error" role="alert" data-code={code}>
      {code && <span className="code">{code}</span>} {errorMessage(error)}
    </p>
  );
}
