package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestKillMidIngest runs the real server as a subprocess on a data directory, imports a
// CSV with the real `tessera import`, kills the server with SIGKILL at random moments
// (mid-batch most of the time), restarts it on the same directory, and finally imports
// the whole file again. The profiles must be exactly the groups of an independent
// union-find over the input (shared e-mail or phone), every record counted once.
func TestKillMidIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "tessera")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	const n = 2400
	rows, want := crashRows(n, 42)
	csvPath := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(csvPath, []byte("id,email,phone,firstName\n"+strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	const key = "tsk_crash_test_admin_key_0123456789"
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)

	srv := startServer(t, bin, data, key)
	c := newClient(srv.url, key)
	ctx := context.Background()
	var created struct{ CreateSource struct{ Name string } }
	if err := c.do(ctx, `mutation { createSource(input: {name: "shop", kind: WEB_SHOP, identifierFields: [{field: "email", target: "email"}, {field: "phone", target: "phone"}]}) { name } }`, nil, &created); err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		imp := exec.Command(bin, "import", "-server", srv.url, "-key", key, "-source", "shop", "-batch", "200", "-quiet", "-rejects", filepath.Join(dir, "rejects.csv"), csvPath)
		if err := imp.Start(); err != nil {
			t.Fatal(err)
		}
		wait := time.Duration(500+rng.IntN(2500)) * time.Millisecond
		time.Sleep(wait)
		srv.kill(t)
		done := make(chan error, 1)
		go func() { done <- imp.Wait() }()
		select {
		case <-done:
		case <-time.After(time.Minute):
			_ = imp.Process.Kill()
			<-done
		}
		t.Logf("round %d: killed the server %v into the import", round, wait)
		srv = startServer(t, bin, data, key)
		c = newClient(srv.url, key)
		var jobs struct {
			IngestJobs []struct{ State string } `json:"ingestJobs"`
		}
		if err := c.do(ctx, `{ ingestJobs(first: 1) { state } }`, nil, &jobs); err != nil {
			t.Fatal(err)
		}
		if len(jobs.IngestJobs) == 1 && jobs.IngestJobs[0].State == "RUNNING" {
			t.Errorf("round %d: the killed import's job is still RUNNING after a restart", round)
		}
	}
	out, err := exec.Command(bin, "import", "-server", srv.url, "-key", key, "-source", "shop", "-batch", "200", "-quiet", "-rejects", filepath.Join(dir, "rejects.csv"), csvPath).CombinedOutput()
	if err != nil {
		t.Fatalf("final import: %v\n%s", err, out)
	}
	got := profileGroups(t, c)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		extra, missing := diffSets(got, want)
		t.Fatalf("after 3 kills and a re-import: %d profiles, want %d (union-find over the input)\nunexpected: %v\nmissing: %v",
			len(got), len(want), head(extra, 10), head(missing, 10))
	}
	var srcs struct {
		Sources []struct {
			Name        string
			RecordCount int
		}
	}
	if err := c.do(ctx, `{ sources { name recordCount } }`, nil, &srcs); err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs.Sources {
		if s.Name == "shop" && s.RecordCount != n {
			t.Errorf("source recordCount %d, want %d records stored", s.RecordCount, n)
		}
	}
	srv.kill(t)
}

// crashRows makes n rows where about 30% reuse an earlier e-mail and 10% an earlier
// phone, and returns them with the expected profiles: the groups of a union-find over
// shared e-mails and phones, as sorted external ids.
func crashRows(n int, seed uint64) ([]string, []string) {
	rng := rand.New(rand.NewPCG(seed, 2))
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	byEmail, byPhone := map[string]int{}, map[string]int{}
	var rows []string
	for i := range n {
		email := fmt.Sprintf("p%d@example.com", i)
		if i > 0 && rng.Float64() < 0.3 {
			email = fmt.Sprintf("p%d@example.com", rng.IntN(i))
		}
		phone := ""
		if i > 0 && rng.Float64() < 0.1 {
			phone = fmt.Sprintf("07911 %06d", rng.IntN(i))
		}
		for key, m := range map[string]map[string]int{email: byEmail, phone: byPhone} {
			if key == "" {
				continue
			}
			if j, ok := m[key]; ok {
				parent[find(i)] = find(j)
			} else {
				m[key] = i
			}
		}
		rows = append(rows, fmt.Sprintf("r%d,%s,%s,First%d", i, email, phone, i%97))
	}
	groups := map[int][]string{}
	for i := range n {
		groups[find(i)] = append(groups[find(i)], fmt.Sprint("r", i))
	}
	var want []string
	for _, g := range groups {
		sort.Strings(g)
		want = append(want, strings.Join(g, ","))
	}
	sort.Strings(want)
	return rows, want
}

// profileGroups pages through every live customer and returns its records' external ids.
func profileGroups(t *testing.T, c *gqlClient) []string {
	t.Helper()
	var out []string
	after := ""
	for {
		var page struct {
			Customers struct {
				Edges []struct {
					Node struct {
						SourceRecords []struct{ ExternalID string } `json:"sourceRecords"`
					}
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		vars := map[string]any{}
		if after != "" {
			vars["a"] = after
		}
		if err := c.do(context.Background(), `query($a: String) { customers(first: 50, after: $a) { edges { node { sourceRecords(first: 20) { externalId } } } pageInfo { hasNextPage endCursor } } }`, vars, &page); err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Customers.Edges {
			var ids []string
			for _, r := range e.Node.SourceRecords {
				ids = append(ids, r.ExternalID)
			}
			sort.Strings(ids)
			out = append(out, strings.Join(ids, ","))
		}
		if !page.Customers.PageInfo.HasNextPage {
			break
		}
		after = page.Customers.PageInfo.EndCursor
	}
	sort.Strings(out)
	return out
}

func diffSets(got, want []string) (extra, missing []string) {
	w := map[string]bool{}
	for _, x := range want {
		w[x] = true
	}
	g := map[string]bool{}
	for _, x := range got {
		g[x] = true
		if !w[x] {
			extra = append(extra, x)
		}
	}
	for _, x := range want {
		if !g[x] {
			missing = append(missing, x)
		}
	}
	return extra, missing
}

func head(xs []string, n int) []string {
	if len(xs) > n {
		return append(xs[:n:n], "...")
	}
	return xs
}

type proc struct {
	url string
	cmd *exec.Cmd
}

func startServer(t *testing.T, bin, data, key string) *proc {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "-addr", addr, "-data", data, "-bootstrap-key", key, "-log-level", "error")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{url: "http://" + addr, cmd: cmd}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	for range 600 {
		if r, err := http.Get(p.url + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("server not ready after 60 s")
	return nil
}

// kill sends SIGKILL: no shutdown code runs.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = p.cmd.Process.Wait()
}
