// Command matcheval prints how the probabilistic matcher does on labelled
// person data: per data set, pairwise precision, recall and F1 of its
// clusters, the largest predicted and true cluster, and the same figures for
// the pairs the matching job would merge automatically (its guard included).
//
//	go run ./internal/matching/cmd/matcheval [-data DIR] [-dev FILE] [-v]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/tessera-cdp/tessera/internal/matching"
	"github.com/tessera-cdp/tessera/internal/matching/eval"
	"github.com/tessera-cdp/tessera/internal/matchjob"
	"github.com/tessera-cdp/tessera/internal/matchjob/guard"
)

func main() {
	data := flag.String("data", "../shared/data/linkage", "directory with febrl_dataset1..3.csv and fake_1000.csv")
	dev := flag.String("dev", "internal/matching/testdata/dev_people.csv", "generated development set (see cmd/matchgen)")
	verbose := flag.Bool("v", false, "print the trained model of each set")
	job := flag.Bool("job", true, "also score what the matching job would merge")
	flag.Parse()
	sets, err := eval.Standard(*data, *dev)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if len(sets) == 0 {
		fmt.Fprintln(os.Stderr, "no data sets found (see -data and -dev)")
		os.Exit(1)
	}
	ctx := context.Background()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "set\trecords\tcompared\tblocking recall\tP\tR\tF1\tlargest pred\tlargest true\tjob P\tjob R\tjob F1\tjob largest\tseconds\t")
	for _, s := range sets {
		start := time.Now()
		sc, res, m, err := eval.Run(ctx, s, matching.PersonConfig())
		if err != nil {
			fmt.Fprintln(os.Stderr, s.Name, err)
			os.Exit(1)
		}
		jobCols := "-\t-\t-\t-"
		if *job {
			js := guard.Evaluate(m, res, s.Truth, matchjob.New(nil, nil).MaxGroup)
			jobCols = fmt.Sprintf("%.4f\t%.4f\t%.4f\t%d", js.Precision, js.Recall, js.F1, js.LargestPred)
			if *verbose {
				fmt.Printf("%s: job held %v\n", s.Name, js.Held)
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t%d\t%d\t%s\t%.1f\t\n", s.Name, len(s.Records), res.PairsCompared,
			eval.BlockingRecall(m, s.Truth), sc.Precision, sc.Recall, sc.F1, sc.LargestPred, sc.LargestTrue, jobCols, time.Since(start).Seconds())
		if *verbose {
			md := m.Model()
			fmt.Printf("%s: lambda %.3g, EM iterations %d, converged %v\n", s.Name, md.Lambda, md.Iterations, md.Converged)
			for f, fm := range md.Fields {
				w := make([]float64, len(fm.M))
				for l := range w {
					w[l] = md.LevelWeight(f, l)
				}
				fmt.Printf("  %-14s trained %-5v m=%.3f u=%.4f w=%.1f\n", fm.Name, fm.Trained, fm.M, fm.U, w)
			}
		}
	}
	tw.Flush()
}
