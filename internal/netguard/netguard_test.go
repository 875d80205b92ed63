package netguard

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Issue 12 item 6: internal addresses are refused unless the operator allows them.
func TestPublic(t *testing.T) {
	for _, s := range []string{"169.254.169.254", "127.0.0.1", "127.1.2.3", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
		"0.0.0.0", "::", "100.100.100.200", "fd00:ec2::254", "fe80::1", "fe80::1%eth0", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
		"64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "224.0.0.1", "255.255.255.255", "ff02::1", "192.0.2.1", "2001:db8::1", "240.0.0.1"} {
		if Public(netip.MustParseAddr(s)) {
			t.Errorf("%s counted as public", s)
		}
	}
	for _, s := range []string{"93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"} {
		if !Public(netip.MustParseAddr(s)) {
			t.Errorf("%s counted as internal", s)
		}
	}
}

type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range f[host] {
		out = append(out, netip.MustParseAddr(s))
	}
	if len(out) == 0 {
		return nil, errors.New("no such host")
	}
	return out, nil
}

func TestCheckURL(t *testing.T) {
	res := fakeResolver{"hooks.example.com": {"93.184.216.34"}, "sneaky.example.com": {"93.184.216.34", "10.0.0.5"}, "localhost": {"127.0.0.1", "::1"}}
	deny := &Policy{Resolver: res}
	allow, err := ParseAllowList([]string{"127.0.0.1/32", " ", "localhost:9000", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	allow.Resolver = res
	for _, c := range []struct {
		url         string
		deny, allow bool // allowed by each policy?
	}{
		{"https://hooks.example.com/x", true, true},
		{"http://169.254.169.254/latest/meta-data", false, false},
		{"http://127.0.0.1:9/x", false, true},
		{"http://[::1]:9/x", false, false},
		{"http://[::ffff:127.0.0.1]:9/x", false, true},
		{"http://sneaky.example.com/", false, true},
		{"http://localhost:9000/", false, true},
		{"http://LOCALHOST:9000/", false, true},
		{"http://localhost:9001/", false, false}, // ::1 is not allowed
		{"http://nowhere.example.com/", false, false},
		{"http://0.0.0.0:80/", false, false},
	} {
		u, _ := url.Parse(c.url)
		if err := deny.CheckURL(context.Background(), u); (err == nil) != c.deny || err != nil && !errors.Is(err, ErrRefused) {
			t.Errorf("default policy, %s: %v", c.url, err)
		}
		if err := allow.CheckURL(context.Background(), u); (err == nil) != c.allow {
			t.Errorf("allow-list, %s: %v", c.url, err)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "localhost", "host:0", "host:99999", "a b:80", "::1/200"} {
		if _, err := ParseAllowList([]string{bad}); err == nil {
			t.Errorf("allow-list entry %q accepted", bad)
		}
	}
}

// The client checks the address it connects to: a name that passed CheckURL but points
// at loopback when dialled is refused, and the allow-list opens it.
func TestClientChecksConnectedAddress(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer hs.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(hs.URL, "http://"))
	// The check is told localhost is public (a rebinding DNS answer); the dial finds 127.0.0.1.
	lying := &Policy{Resolver: fakeResolver{"localhost": {"93.184.216.34"}}}
	u, _ := url.Parse("http://localhost:" + port + "/hook")
	if err := lying.CheckURL(context.Background(), u); err != nil {
		t.Fatalf("check: %v", err)
	}
	_, err := lying.Client(5*time.Second).Post(u.String(), "application/json", nil)
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("dial to loopback: %v, want ErrRefused", err)
	}
	for _, p := range []*Policy{MustAllow("127.0.0.0/8", "::1"), MustAllow("localhost:" + port)} {
		resp, err := p.Client(5*time.Second).Post(u.String(), "application/json", nil)
		if err != nil || resp.StatusCode != 204 {
			t.Fatalf("allow-list %v: %v", p, err)
		}
		resp.Body.Close()
	}
	// Redirects are not followed (the target would be a second, unchecked request).
	redir := httptest.NewServer(http.RedirectHandler("http://169.254.169.254/", http.StatusFound))
	defer redir.Close()
	resp, err := MustAllow("127.0.0.1").Client(5 * time.Second).Get(redir.URL)
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("redirect: %v %v", resp, err)
	}
	resp.Body.Close()
}

// FuzzParseAllowList: entries either fail with a message or give prefixes and host:port
// pairs that round trip; the address predicates agree on mapped IPv4.
func FuzzParseAllowList(f *testing.F) {
	for _, s := range []string{"127.0.0.1/32", "::1", "localhost:9000", "[::1]:8080", "10.0.0.0/8", "a:b", "", "1.2.3.4", "x/y", "[fe80::1%eth0]:80", ".:1", "..:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, e string) {
		p, err := ParseAllowList(strings.Split(e, ","))
		if err != nil {
			if !strings.Contains(err.Error(), "allow-list entry") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		for _, pf := range p.Prefixes {
			if !pf.IsValid() || pf != pf.Masked() {
				t.Fatalf("%q: prefix %v", e, pf)
			}
		}
		for _, hp := range p.HostPorts {
			if h, _, err := net.SplitHostPort(hp); err != nil || h == "" {
				t.Fatalf("%q: host:port %q", e, hp)
			}
			if !p.hostPortAllowed(hp) {
				t.Fatalf("%q: %q not allowed by its own list", e, hp)
			}
		}
		if a, err := netip.ParseAddr(e); err == nil && a.Is4() {
			if Public(a) != Public(netip.AddrFrom16(a.As16())) {
				t.Fatalf("%s: mapped form disagrees", a)
			}
		}
	})
}
