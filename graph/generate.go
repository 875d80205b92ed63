// Package graph holds the code gqlgen generates from schema.graphqls and schema/*.graphqls;
// never edit it by hand.
package graph

// gqlgen resolves the paths in gqlgen.yml from the working directory, so run it at the root.
//go:generate sh -c "cd .. && go run github.com/99designs/gqlgen generate --config gqlgen.yml"
