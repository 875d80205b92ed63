// Package netguard decides which network addresses outbound calls made on a user's
// behalf (segment webhooks) may reach. By default it refuses every address that is not
// public: loopback, link-local (cloud metadata at 169.254.169.254), private, unique-local,
// shared (CGNAT), unspecified, multicast and reserved ranges, including IPv4 addresses
// embedded in IPv6 (mapped, NAT64, 6to4). An operator allow-list opens exact exceptions
// for local receivers: CIDR prefixes (127.0.0.1/32) or host:port pairs (localhost:9000).
//
// A URL is checked when it is configured (Policy.CheckURL, resolving its host) and again
// when it is called: the Policy's HTTP client dials through a net.Dialer whose Control
// function checks the address actually connected to, so a DNS answer that changes between
// check and call (rebinding) or a redirect cannot reach a refused address.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is wrapped by every refusal.
var ErrRefused = errors.New("address not allowed")

// Resolver looks up the addresses of a host (net.DefaultResolver does).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Policy is the set of reachable addresses: every public address, plus the allow-list.
// The zero Policy allows public addresses only.
type Policy struct {
	// Prefixes are allowed even when not public.
	Prefixes []netip.Prefix
	// HostPorts are allowed whatever their host resolves to, "host:port" lowercased
	// (IPv6 hosts in brackets).
	HostPorts []string
	// Resolver is used by CheckURL (nil: net.DefaultResolver).
	Resolver Resolver
}

// ParseAllowList reads allow-list entries: CIDR prefixes ("10.0.0.0/8", "::1/128"), single
// addresses ("127.0.0.1", "::1", taken as one-address prefixes) and host:port pairs
// ("localhost:9000", "[::1]:8080", "hooks.internal:443"). Empty entries are skipped.
func ParseAllowList(entries []string) (*Policy, error) {
	p := &Policy{}
	for _, raw := range entries {
		e := strings.TrimSpace(raw)
		if e == "" {
			continue
		}
		if strings.Contains(e, "/") {
			pf, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("webhook allow-list entry %q: not a CIDR prefix", raw)
			}
			p.Prefixes = append(p.Prefixes, pf.Masked())
			continue
		}
		if a, err := netip.ParseAddr(e); err == nil {
			a = a.Unmap()
			p.Prefixes = append(p.Prefixes, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		host, port, err := net.SplitHostPort(e)
		host = strings.ToLower(strings.TrimSuffix(host, "."))
		if _, ipErr := netip.ParseAddr(host); err != nil || ipErr != nil && !hostname.MatchString(host) {
			return nil, fmt.Errorf("webhook allow-list entry %q: want a CIDR (10.0.0.0/8), an address or host:port", raw)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("webhook allow-list entry %q: port must be 1-65535", raw)
		}
		p.HostPorts = append(p.HostPorts, net.JoinHostPort(host, port))
	}
	return p, nil
}

var hostname = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$`)

// MustAllow is ParseAllowList for fixed lists (tests); it panics on a bad entry.
func MustAllow(entries ...string) *Policy {
	p, err := ParseAllowList(entries)
	if err != nil {
		panic(err)
	}
	return p
}

// String lists the allow-list for logs.
func (p *Policy) String() string {
	if p == nil {
		return "public addresses only"
	}
	var out []string
	for _, pf := range p.Prefixes {
		out = append(out, pf.String())
	}
	out = append(out, p.HostPorts...)
	if len(out) == 0 {
		return "public addresses only"
	}
	return "public addresses and " + strings.Join(out, ", ")
}

// special are the non-public ranges beyond what netip's predicates cover.
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (CGNAT; some cloud metadata)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2001::/23"),       // IETF protocol assignments (Teredo included)
}

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	nat64L = netip.MustParsePrefix("64:ff9b:1::/48")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// Public reports whether a is a globally routable unicast address.
func Public(a netip.Addr) bool {
	if !a.IsValid() || a.Zone() != "" {
		return false
	}
	a = a.Unmap()
	if a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() ||
		a.IsMulticast() || a.IsPrivate() || a.IsUnspecified() || !a.IsGlobalUnicast() {
		return false
	}
	for _, pf := range special {
		if pf.Contains(a) {
			return false
		}
	}
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64.Contains(a):
			return Public(netip.AddrFrom4([4]byte(b[12:16])))
		case nat64L.Contains(a):
			return false
		case sixTo4.Contains(a):
			return Public(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	return true
}

// Allowed reports whether the policy lets a connection reach addr (an address, without
// regard to host:port entries).
func (p *Policy) Allowed(a netip.Addr) bool {
	a = a.Unmap()
	if p != nil {
		for _, pf := range p.Prefixes {
			if pf.Contains(a) {
				return true
			}
		}
	}
	return Public(a)
}

func (p *Policy) hostPortAllowed(hostport string) bool {
	if p == nil {
		return false
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	return slices.Contains(p.HostPorts, net.JoinHostPort(strings.ToLower(strings.TrimSuffix(host, ".")), port))
}

// hostPort is the host and port a URL connects to.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// CheckURL checks an http(s) URL: an allowed host:port, or a host whose every address is
// allowed (an IP literal, or every address its name resolves to now).
func (p *Policy) CheckURL(ctx context.Context, u *url.URL) error {
	if u == nil || u.Hostname() == "" {
		return fmt.Errorf("%w: no host", ErrRefused)
	}
	hp := hostPort(u)
	if p.hostPortAllowed(hp) {
		return nil
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if !p.Allowed(a) {
			return fmt.Errorf("%w: %s is not a public address (loopback, link-local, private and reserved addresses need the operator's allow-list)", ErrRefused, a)
		}
		return nil
	}
	var r Resolver = net.DefaultResolver
	if p != nil && p.Resolver != nil {
		r = p.Resolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return fmt.Errorf("%w: host %q does not resolve", ErrRefused, host)
	}
	for _, a := range addrs {
		if !p.Allowed(a) {
			return fmt.Errorf("%w: %s resolves to %s, which is not a public address (loopback, link-local, private and reserved addresses need the operator's allow-list)", ErrRefused, host, a.Unmap())
		}
	}
	return nil
}

// control is a net.Dialer Control function: it runs after the address is resolved and
// before the connection is made, with the address actually dialled.
func (p *Policy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrRefused, address)
	}
	if !p.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s is not a public address", ErrRefused, ap.Addr().Unmap())
	}
	return nil
}

// DialContext dials addr ("host:port") if the policy allows it: a host:port on the
// allow-list as is, anything else only to an allowed address, checked on the address
// connected to.
func (p *Policy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !p.hostPortAllowed(addr) {
		d.Control = p.control
	}
	return d.DialContext(ctx, network, addr)
}

// Client returns an HTTP client that reaches only what the policy allows. It uses no
// proxy (a proxy would be the address checked) and follows no redirects: a webhook
// answers 2xx or fails.
func (p *Policy) Client(timeout time.Duration) *http.Client {
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           p.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
