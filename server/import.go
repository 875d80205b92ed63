package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/tessera-cdp/tessera/internal/ingest"
)

const ingestMutation = `mutation($s: String!, $r: [RecordInput!]!, $j: ID) { ingestRecords(source: $s, records: $r, jobId: $j) {
	created updated unchanged merged rejected rejects { index externalId reason } } }`

type ingestResult struct {
	ingest.Counts
	Rejects []struct {
		Index      int    `json:"index"`
		ExternalID string `json:"externalId"`
		Reason     string `json:"reason"`
	} `json:"rejects"`
}

// importCmd streams a CSV or JSON Lines file into a running server in batches, showing
// progress, and writes every rejected row with its reason to a rejects file.
func importCmd(args []string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	server := fs.String("server", env("TESSERA_SERVER", "http://127.0.0.1:8080"), "server URL (TESSERA_SERVER)")
	key := fs.String("key", env("TESSERA_API_KEY", ""), "API key with role ingest or admin (TESSERA_API_KEY)")
	source := fs.String("source", "", "source name (required)")
	idCol := fs.String("id-column", "id", "field holding the record's external id")
	format := fs.String("format", "", "csv or jsonl (default: from the file name; .gz is read compressed)")
	batch := fs.Int("batch", 500, "records per request (at most 1000)")
	rejectsPath := fs.String("rejects", "", "rejects file (default FILE.rejects.csv)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: tessera import --source NAME [flags] FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *source == "" {
		fs.Usage()
		return errors.New("give --source and one file")
	}
	if *key == "" {
		return errors.New("give an API key with --key or TESSERA_API_KEY")
	}
	if *batch < 1 || *batch > ingest.MaxBatch {
		return fmt.Errorf("--batch must be 1 to %d", ingest.MaxBatch)
	}
	path := fs.Arg(0)
	f := ingest.Format(*format)
	if f == "" {
		var err error
		if f, err = ingest.FormatOf(path); err != nil {
			return err
		}
	}
	gz := strings.HasSuffix(path, ".gz")
	total, err := countRows(path, f, *idCol, gz)
	if err != nil {
		return err
	}
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	rr, err := ingest.NewRowReader(file, f, *idCol, gz)
	if err != nil {
		return err
	}
	if *rejectsPath == "" {
		*rejectsPath = path + ".rejects.csv"
	}
	rf, err := os.Create(*rejectsPath)
	if err != nil {
		return err
	}
	defer rf.Close()
	rejects := csv.NewWriter(rf)
	rejects.Write([]string{"line", "externalId", "reason"})

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	c := newClient(*server, *key)
	var job struct {
		StartIngestJob struct{ ID string } `json:"startIngestJob"`
	}
	if err := c.do(ctx, `mutation($s: String!, $t: Int) { startIngestJob(source: $s, total: $t) { id } }`, map[string]any{"s": *source, "t": total}, &job); err != nil {
		return err
	}
	jobID := job.StartIngestJob.ID

	var bar *progressbar.ProgressBar
	if !*quiet {
		bar = progressbar.NewOptions(total, progressbar.OptionSetDescription("importing "+*source), progressbar.OptionShowCount(),
			progressbar.OptionShowIts(), progressbar.OptionSetItsString("rec"), progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionOnCompletion(func() { fmt.Fprintln(os.Stderr) }))
	}
	var sum ingest.Counts
	start := time.Now()
	var recs []map[string]any
	var lines []int
	send := func() error {
		if len(recs) == 0 {
			return nil
		}
		var out struct {
			IngestRecords ingestResult `json:"ingestRecords"`
		}
		// A batch is idempotent on the server, so a failed request is simply sent again.
		var err error
		for attempt := range 3 {
			if err = c.do(ctx, ingestMutation, map[string]any{"s": *source, "r": recs, "j": jobID}, &out); err == nil || ctx.Err() != nil {
				break
			}
			time.Sleep(time.Duration(attempt+1) * time.Second)
		}
		if err != nil {
			return fmt.Errorf("batch ending at line %d: %w", lines[len(lines)-1], err)
		}
		r := out.IngestRecords
		sum.Created += r.Created
		sum.Updated += r.Updated
		sum.Unchanged += r.Unchanged
		sum.Merged += r.Merged
		sum.Rejected += r.Rejected
		for _, rj := range r.Rejects {
			rejects.Write([]string{strconv.Itoa(lines[rj.Index]), rj.ExternalID, rj.Reason})
		}
		if bar != nil {
			bar.Add(len(recs))
		}
		recs, lines = recs[:0], lines[:0]
		return nil
	}
	for {
		row, ok := rr.Next()
		if !ok {
			break
		}
		if row.Err != nil || row.ExternalID == "" {
			reason := "no value in the id column"
			if row.Err != nil {
				reason = row.Err.Error()
			}
			rejects.Write([]string{strconv.Itoa(row.Line), row.ExternalID, reason})
			sum.Rejected++
			if bar != nil {
				bar.Add(1)
			}
			continue
		}
		recs = append(recs, map[string]any{"externalId": row.ExternalID, "payload": row.Payload})
		lines = append(lines, row.Line)
		if len(recs) == *batch {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if err := send(); err != nil {
		return err
	}
	rejects.Flush()
	var done struct{}
	if err := c.do(ctx, `mutation($j: ID!) { finishIngestJob(id: $j) { id } }`, map[string]any{"j": jobID}, &done); err != nil {
		return err
	}
	el := time.Since(start)
	n := sum.Processed()
	fmt.Printf("imported %d records into %s in %s (%.0f records/s): %d created, %d updated, %d unchanged, %d merges, %d rejected\n",
		n, *source, el.Round(time.Millisecond), float64(n)/el.Seconds(), sum.Created, sum.Updated, sum.Unchanged, sum.Merged, sum.Rejected)
	if sum.Rejected > 0 {
		fmt.Printf("rejects with reasons: %s\n", *rejectsPath)
	}
	fmt.Printf("job: %s\n", jobID)
	return nil
}

// countRows counts data rows for the progress bar: one cheap pass over the file.
func countRows(path string, f ingest.Format, idCol string, gz bool) (int, error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer file.Close()
	rr, err := ingest.NewRowReader(bufio.NewReader(file), f, idCol, gz)
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		if _, ok := rr.Next(); !ok {
			return n, nil
		}
		n++
	}
}
