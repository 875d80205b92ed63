// Command matchgen writes a generated labelled person data set (package
// gen) as CSV: go run ./internal/matching/cmd/matchgen -out FILE.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"os"

	"github.com/tessera-cdp/tessera/internal/matching/gen"
)

func main() {
	people := flag.Int("people", 2000, "distinct people")
	seed := flag.Uint64("seed", 15, "random seed")
	out := flag.String("out", "internal/matching/testdata/dev_people.csv", "output file")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := csv.NewWriter(f)
	_ = w.Write(gen.Columns)
	_ = w.WriteAll(gen.Generate(gen.Options{People: *people, Seed: *seed}))
	if err := w.Error(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
