// Package eval loads labelled person data sets (FEBRL, Splink's fake_1000,
// the generated development set) and measures a matcher on them: pairwise
// precision, recall and F1 of the predicted clusters, and the largest
// predicted and true cluster.
package eval

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/tessera-cdp/tessera/internal/matching"
)

// Set is a labelled data set: records and the true cluster of each record ID
// (records with an empty cluster are ignored by Score).
type Set struct {
	Name    string
	Records []matching.Record
	Truth   map[string]string
}

// readCSV reads a CSV whose separator may be followed by spaces (FEBRL uses
// ", ") and returns its rows as maps by trimmed column name.
func readCSV(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1
	all, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	head := all[0]
	rows := make([]map[string]string, 0, len(all)-1)
	for _, rec := range all[1:] {
		row := make(map[string]string, len(head))
		for i, h := range head {
			if i < len(rec) {
				row[strings.TrimSpace(h)] = rec[i]
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func load(name, path, id string, truth func(row map[string]string) string, fields map[string]string) (Set, error) {
	rows, err := readCSV(path)
	if err != nil {
		return Set{}, err
	}
	s := Set{Name: name, Truth: map[string]string{}}
	for _, row := range rows {
		rec := matching.Record{ID: row[id], Fields: map[string]string{}}
		for f, c := range fields {
			rec.Fields[f] = row[c]
		}
		s.Records = append(s.Records, rec)
		s.Truth[rec.ID] = truth(row)
	}
	return s, nil
}

var febrlTruth = regexp.MustCompile(`-(org|dup-\d+)$`)

// FEBRL loads a FEBRL data set (rec-N-org / rec-N-dup-K), without soc_sec_id.
func FEBRL(name, path string) (Set, error) {
	return load(name, path, "rec_id", func(r map[string]string) string { return febrlTruth.ReplaceAllString(r["rec_id"], "") },
		map[string]string{matching.FFirstName: "given_name", matching.FLastName: "surname", matching.FStreetNumber: "street_number",
			matching.FStreet: "address_1", matching.FStreet2: "address_2", matching.FSuburb: "suburb",
			matching.FPostcode: "postcode", matching.FState: "state", matching.FBirthDate: "date_of_birth"})
}

// Fake1000 loads Splink's fake_1000 (e-mail is a fuzzy field there, not an
// identifier).
func Fake1000(path string) (Set, error) {
	return load("fake_1000", path, "unique_id", func(r map[string]string) string { return r["cluster"] },
		map[string]string{matching.FFirstName: "first_name", matching.FLastName: "surname", matching.FBirthDate: "dob",
			matching.FSuburb: "city", matching.FEmail: "email"})
}

// Generated loads a file written by the generator (package gen): the
// default schema's field names as columns, rec_id and person_id.
func Generated(name, path string) (Set, error) {
	cols := map[string]string{}
	for _, f := range matching.PersonConfig().Fields {
		cols[f.Name] = f.Name
	}
	for _, c := range []string{matching.FGender, matching.FCountry} {
		cols[c] = c
	}
	return load(name, path, "rec_id", func(r map[string]string) string { return r["person_id"] }, cols)
}

// Standard loads the data sets the evaluation reports on: FEBRL 1-3 and
// fake_1000 from linkageDir (skipped if missing) and the development set
// from devPath (skipped if empty or missing).
func Standard(linkageDir, devPath string) ([]Set, error) {
	var sets []Set
	for _, n := range []string{"1", "2", "3"} {
		p := filepath.Join(linkageDir, "febrl_dataset"+n+".csv")
		if _, err := os.Stat(p); err != nil {
			continue
		}
		s, err := FEBRL("febrl"+n, p)
		if err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	if p := filepath.Join(linkageDir, "fake_1000.csv"); exists(p) {
		s, err := Fake1000(p)
		if err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	if devPath != "" && exists(devPath) {
		s, err := Generated("generated", devPath)
		if err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	return sets, nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// Scores are pairwise figures of a clustering against the truth, as in
// shared/conformance/linkage-score.mjs: a pair counts when both records share
// a cluster.
type Scores struct {
	TruePairs, PredPairs, TP int
	Precision, Recall, F1    float64
	// LargestPred and LargestTrue are the sizes of the largest clusters.
	LargestPred, LargestTrue int
}

func (s Scores) String() string {
	return fmt.Sprintf("P %.4f R %.4f F1 %.4f (true pairs %d, predicted %d, tp %d), largest cluster %d (true %d)",
		s.Precision, s.Recall, s.F1, s.TruePairs, s.PredPairs, s.TP, s.LargestPred, s.LargestTrue)
}

func groups(cluster map[string]string) map[string][]string {
	g := map[string][]string{}
	for id, c := range cluster {
		if c != "" {
			g[c] = append(g[c], id)
		}
	}
	return g
}

// PairsOf lists the record pairs (sorted IDs) that share a cluster.
func PairsOf(cluster map[string]string) map[[2]string]bool {
	pairs := map[[2]string]bool{}
	for _, ids := range groups(cluster) {
		sort.Strings(ids)
		for i := range ids {
			for j := i + 1; j < len(ids); j++ {
				pairs[[2]string{ids[i], ids[j]}] = true
			}
		}
	}
	return pairs
}

// Score compares predicted clusters with the truth. Records without a true
// cluster are left out of both.
func Score(truth, pred map[string]string) Scores {
	p := make(map[string]string, len(pred))
	for id, c := range pred {
		if truth[id] != "" {
			p[id] = c
		}
	}
	return ScorePairs(PairsOf(truth), PairsOf(p), truth, p)
}

// ScorePairs scores predicted pairs against true pairs; truth and pred
// clusterings give the largest cluster sizes.
func ScorePairs(T, P map[[2]string]bool, truth, pred map[string]string) Scores {
	s := Scores{TruePairs: len(T), PredPairs: len(P)}
	for p := range P {
		if T[p] {
			s.TP++
		}
	}
	if s.PredPairs > 0 {
		s.Precision = float64(s.TP) / float64(s.PredPairs)
	} else if s.TruePairs == 0 {
		s.Precision = 1
	}
	if s.TruePairs > 0 {
		s.Recall = float64(s.TP) / float64(s.TruePairs)
	}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	s.LargestPred, s.LargestTrue = largest(pred), largest(truth)
	return s
}

func largest(cl map[string]string) int {
	best := 0
	for _, ids := range groups(cl) {
		best = max(best, len(ids))
	}
	return best
}

// Run matches a set with cfg and scores the clusters.
func Run(ctx context.Context, s Set, cfg matching.Config) (Scores, *matching.Result, *matching.Matcher, error) {
	m, err := matching.New(cfg)
	if err != nil {
		return Scores{}, nil, nil, err
	}
	res, err := m.Match(ctx, s.Records)
	if err != nil {
		return Scores{}, nil, nil, err
	}
	return Score(s.Truth, res.Clusters), res, m, nil
}

// BlockingRecall is the share of true pairs that blocking put up for
// comparison in the matcher's last run.
func BlockingRecall(m *matching.Matcher, truth map[string]string) float64 {
	T := PairsOf(truth)
	if len(T) == 0 {
		return 1
	}
	found := 0
	m.ForEachCandidate(func(a, b string) {
		if a > b {
			a, b = b, a
		}
		if T[[2]string{a, b}] {
			found++
		}
	})
	return float64(found) / float64(len(T))
}
