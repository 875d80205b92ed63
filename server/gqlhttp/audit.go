package gqlhttp

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tessera-cdp/tessera/internal/audit"
)

// auditMutations wraps a mutation's response so that, once the operation has run, each
// of its top-level fields is recorded as an audit call: the field's name, its arguments
// (variables resolved), the id of what it returned, and its result (ok or the error
// code of an error on its path). Queries and subscriptions pass untouched.
func auditMutations(record func(context.Context, ...audit.Call)) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		if record == nil || oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
			return next(ctx)
		}
		h := next(ctx)
		return func(ctx context.Context) *graphql.Response {
			resp := h(ctx)
			var fields []*ast.Field
			collectFields(oc.Operation.SelectionSet, &fields, 0)
			var data map[string]json.RawMessage
			var errs gqlerror.List
			if resp != nil {
				_ = json.Unmarshal(resp.Data, &data)
				errs = resp.Errors
			}
			calls := make([]audit.Call, 0, len(fields))
			for _, f := range fields {
				key := f.Alias
				if key == "" {
					key = f.Name
				}
				calls = append(calls, audit.Call{Action: f.Name, Args: f.ArgumentMap(oc.Variables), Targets: returnedIDs(data[key]),
					Result: resultOf(key, errs)})
			}
			record(ctx, calls...)
			return resp
		}
	}
}

func collectFields(set ast.SelectionSet, out *[]*ast.Field, depth int) {
	if depth > 5 {
		return
	}
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			if x.Name != "__typename" {
				*out = append(*out, x)
			}
		case *ast.InlineFragment:
			collectFields(x.SelectionSet, out, depth+1)
		case *ast.FragmentSpread:
			if x.Definition != nil {
				collectFields(x.Definition.SelectionSet, out, depth+1)
			}
		}
	}
}

// resultOf is the code of the first error on the field's path (or of one without a
// path), or ok.
func resultOf(key string, errs gqlerror.List) string {
	for _, e := range errs {
		if e == nil {
			continue
		}
		if len(e.Path) > 0 {
			if name, ok := e.Path[0].(ast.PathName); !ok || string(name) != key {
				continue
			}
		}
		if c, ok := e.Extensions["code"].(string); ok && c != "" {
			return c
		}
		return "INTERNAL"
	}
	return audit.OK
}

// returnedIDs is the id of the object a mutation returned, and those of the objects
// directly inside it (createApiKey { apiKey { id } }), when selected.
func returnedIDs(raw json.RawMessage) []string {
	var obj map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	var out []string
	if id, ok := obj["id"].(string); ok {
		out = append(out, id)
	}
	for _, v := range obj {
		if m, ok := v.(map[string]any); ok {
			if id, ok := m["id"].(string); ok {
				out = append(out, id)
			}
		}
	}
	return out
}
