package resolvers_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Every root field must say who may call it: a field added without @auth would
// otherwise be open to any key, or to none.
func TestEveryRootFieldHasAuth(t *testing.T) {
	schema, gerr := gqlparser.LoadSchema(schemaSources(t)...)
	if gerr != nil {
		t.Fatal(gerr)
	}
	n := 0
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation, schema.Subscription} {
		for _, f := range root.Fields {
			if len(f.Name) > 1 && f.Name[:2] == "__" {
				continue
			}
			n++
			d := f.Directives.ForName("auth")
			if d == nil || len(d.Arguments.ForName("roles").Value.Children) == 0 {
				t.Errorf("%s.%s has no @auth(roles: [...])", root.Name, f.Name)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d root fields found", n)
	}
}

// schemaSources reads the root schema and every capability's file (as gqlgen.yml lists them).
func schemaSources(t *testing.T) []*ast.Source {
	t.Helper()
	files, err := filepath.Glob("../schema/*.graphqls")
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema/*.graphqls files (%v)", err)
	}
	var out []*ast.Source
	for _, f := range append([]string{"../schema.graphqls"}, files...) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &ast.Source{Name: f, Input: string(src)})
	}
	return out
}
