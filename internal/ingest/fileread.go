package ingest

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Row is one record read from a file, or the reason it cannot be used.
type Row struct {
	Line       int
	ExternalID string
	Payload    map[string]any
	Err        error
}

// RowReader streams records from CSV or JSON Lines, one at a time, so files of any size
// import in constant memory.
type RowReader struct {
	next func() (Row, bool)
	// Columns of a CSV file (nil for JSON Lines).
	Columns []string
}

// Format of an input file.
type Format string

const (
	CSV   Format = "csv"
	JSONL Format = "jsonl"
)

// FormatOf guesses the format from a file name.
func FormatOf(name string) (Format, error) {
	n := strings.TrimSuffix(strings.ToLower(name), ".gz")
	switch {
	case strings.HasSuffix(n, ".csv"), strings.HasSuffix(n, ".tsv"):
		return CSV, nil
	case strings.HasSuffix(n, ".jsonl"), strings.HasSuffix(n, ".ndjson"), strings.HasSuffix(n, ".json"):
		return JSONL, nil
	}
	return "", fmt.Errorf("cannot tell the format of %q: use .csv or .jsonl, or give --format", name)
}

// NewRowReader reads r (gzip-compressed if gz) in the given format; idColumn names the
// field holding the record's external id.
func NewRowReader(r io.Reader, f Format, idColumn string, gz bool) (*RowReader, error) {
	if gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		r = zr
	}
	switch f {
	case CSV:
		return newCSV(r, idColumn)
	case JSONL:
		return newJSONL(r, idColumn), nil
	}
	return nil, fmt.Errorf("unknown format %q", f)
}

func newCSV(r io.Reader, idColumn string) (*RowReader, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 1<<16))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true // FEBRL-style ", " separators
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read CSV header: %w", err)
	}
	cols := make([]string, len(header))
	idIdx := -1
	for i, h := range header {
		cols[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if cols[i] == idColumn {
			idIdx = i
		}
	}
	if idIdx < 0 {
		return nil, fmt.Errorf("id column %q not in header (%s)", idColumn, strings.Join(cols, ", "))
	}
	line := 1
	return &RowReader{Columns: cols, next: func() (Row, bool) {
		rec, err := cr.Read()
		line++
		if errors.Is(err, io.EOF) {
			return Row{}, false
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err != csv.ErrFieldCount {
				return Row{Line: line, Err: err}, true
			}
		}
		if len(rec) != len(cols) {
			return Row{Line: line, Err: fmt.Errorf("%d fields, header has %d", len(rec), len(cols))}, true
		}
		p := make(map[string]any, len(cols))
		for i, c := range cols {
			if v := strings.TrimSpace(rec[i]); v != "" && c != "" {
				p[c] = v
			}
		}
		return Row{Line: line, ExternalID: strings.TrimSpace(rec[idIdx]), Payload: p}, true
	}}, nil
}

func newJSONL(r io.Reader, idColumn string) *RowReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	line := 0
	return &RowReader{next: func() (Row, bool) {
		for sc.Scan() {
			line++
			b := strings.TrimSpace(sc.Text())
			if b == "" {
				continue
			}
			d := json.NewDecoder(strings.NewReader(b))
			d.UseNumber()
			var p map[string]any
			if err := d.Decode(&p); err != nil || p == nil {
				return Row{Line: line, Err: fmt.Errorf("not a JSON object")}, true
			}
			id, _ := asString(p[idColumn])
			return Row{Line: line, ExternalID: id, Payload: p}, true
		}
		if err := sc.Err(); err != nil {
			line++
			return Row{Line: line, Err: err}, true
		}
		return Row{}, false
	}}
}

// Next returns the next row; ok is false at the end.
func (r *RowReader) Next() (Row, bool) { return r.next() }
