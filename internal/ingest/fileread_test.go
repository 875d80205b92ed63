package ingest

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

func readAll(t *testing.T, rr *RowReader) []Row {
	var out []Row
	for {
		r, ok := rr.Next()
		if !ok {
			return out
		}
		out = append(out, r)
	}
}

func TestCSVReader(t *testing.T) {
	in := "\ufeffrec_id, given_name, surname\nrec-1-org, ann, lee\nrec-1-dup-0, anne,\nbroken\n"
	rr, err := NewRowReader(strings.NewReader(in), CSV, "rec_id", false)
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, rr)
	if len(rows) != 3 || rows[0].ExternalID != "rec-1-org" || rows[0].Payload["given_name"] != "ann" {
		t.Fatalf("rows = %+v", rows)
	}
	if _, has := rows[1].Payload["surname"]; has {
		t.Fatal("empty fields must be left out")
	}
	if rows[2].Err == nil || rows[2].Line != 4 {
		t.Fatalf("broken row = %+v", rows[2])
	}
	if _, err := NewRowReader(strings.NewReader(in), CSV, "id", false); err == nil || !strings.Contains(err.Error(), "rec_id") {
		t.Fatalf("missing id column: %v", err)
	}
}

func TestJSONLReaderGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("{\"id\": 7, \"email\": \"a@b.io\"}\n\n[1]\n{\"id\":\"x\"}\n"))
	zw.Close()
	rr, err := NewRowReader(&buf, JSONL, "id", true)
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, rr)
	if len(rows) != 3 || rows[0].ExternalID != "7" || rows[1].Err == nil || rows[1].Line != 3 || rows[2].ExternalID != "x" {
		t.Fatalf("rows = %+v", rows)
	}
}

func FuzzRowReader(f *testing.F) {
	f.Add("id,a\n1,x\n", true)
	f.Add("{\"id\":1}\n", false)
	f.Fuzz(func(t *testing.T, s string, isCSV bool) {
		format := JSONL
		if isCSV {
			format = CSV
		}
		rr, err := NewRowReader(strings.NewReader(s), format, "id", false)
		if err != nil {
			return
		}
		for range 10000 {
			r, ok := rr.Next()
			if !ok {
				return
			}
			if r.Err == nil && r.Payload == nil {
				t.Fatalf("row without payload or error: %+v", r)
			}
		}
	})
}
