package resolvers_test

import (
	"os"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Every root field must say who may call it: a field added without @auth would
// otherwise be open to any key, or to none.
func TestEveryRootFieldHasAuth(t *testing.T) {
	src, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src)})
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
