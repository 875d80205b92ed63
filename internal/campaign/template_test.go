package campaign

import (
	"strings"
	"testing"
)

func TestCompileChecksPlaceholdersAndDefaults(t *testing.T) {
	for _, tc := range []struct {
		subject, html, text string
		defaults            map[string]string
		bad                 string // part of the error, "" for none
	}{
		{"Hi {{customer.firstName}}", "", "x", nil, ""},
		{"Hi {{customer.nickname}}", "", "x", nil, "unknown placeholder {{customer.nickname}}"},
		{"Hi {{customer.lastName}}", "", "x", nil, "set a default for customer.lastName"},
		{"Hi {{customer.lastName}}", "", "x", map[string]string{PhLastName: "friend"}, ""},
		{"x", "", "{{customer.attributes.tier}} {{recommendation.2}}", map[string]string{"customer.attributes.tier": "Gold", "recommendation.2": "a mug"}, ""},
		{"x", "", "{{recommendation.4}}", nil, "unknown placeholder"},
		{"x", "", "{{recommendation.01}}", nil, "unknown placeholder"},
		{"x", "<a href=\"{{link.0}}\">", "x", nil, "unknown placeholder {{link.0}}"},
		{"x", "", "{{open.url}}", nil, "unknown placeholder"},
		{"x", "", "x", map[string]string{"customer.nickname": "y"}, "defaults: unknown placeholder"},
		{"x", "", "x", map[string]string{PhFirstName: " "}, "fallback of customer.firstName"},
		{"{{customer.email}} {{campaign.name}} {{unsubscribe.url}}", "", "x", nil, ""},
	} {
		_, err := Compile(tc.subject, tc.html, tc.text, tc.defaults)
		if tc.bad == "" && err != nil || tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad)) {
			t.Errorf("%q %q %q %v: %v, want %q", tc.subject, tc.html, tc.text, tc.defaults, err, tc.bad)
		}
	}
}

func TestRenderEscapesHTMLTracksLinksAndFallsBack(t *testing.T) {
	c, err := Compile("Hi {{customer.firstName}}!", `<body><a href="https://shop.example/a?x=1&amp;y=2">A</a> <a href='https://shop.example/a?x=1&y=2'>again</a> `+
		`<a href="https://shop.example/u/{{customer.email}}">mine</a> <a href="#top">top</a> {{customer.firstName}}</body>`, "Hi {{customer.firstName}}", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Links) != 1 || c.Links[0] != "https://shop.example/a?x=1&y=2" {
		t.Fatalf("links %q", c.Links)
	}
	vals := map[string]string{PhFirstName: `<script>"x"</script>`, PhEmail: "a&b@example.com"}
	out := c.Render(c.Complete(vals, nil), []string{"https://t.example/c/T0"}, "https://t.example/o/O.gif")
	if out.Subject != `Hi <script>"x"</script>!` || !strings.HasPrefix(out.Text, `Hi <script>"x"</script>`) {
		t.Fatalf("subject/text %q %q", out.Subject, out.Text)
	}
	for _, want := range []string{`href="https://t.example/c/T0">A</a>`, `href="https://t.example/c/T0">again</a>`,
		`href="https://shop.example/u/a&amp;b@example.com"`, `href="#top"`, `&lt;script&gt;&#34;x&#34;&lt;/script&gt;`,
		`<img src="https://t.example/o/O.gif"`, `>Unsubscribe</a></p><img`} {
		if !strings.Contains(out.HTML, want) {
			t.Errorf("html lacks %s:\n%s", want, out.HTML)
		}
	}
	if !strings.HasSuffix(out.HTML, "</body>") || !strings.Contains(out.Text, "\n\nUnsubscribe: ") {
		t.Errorf("footer: %q / %q", out.HTML, out.Text)
	}
	// A missing first name falls back; a value that is a placeholder stays literal.
	out = c.Render(c.Complete(map[string]string{PhFirstName: "  "}, nil), []string{"l"}, "o")
	if out.Subject != "Hi there!" {
		t.Fatalf("fallback: %q", out.Subject)
	}
	out = c.Render(c.Complete(map[string]string{PhFirstName: "{{unsubscribe.url}}"}, map[string]string{PhFirstName: "friend"}), []string{"l"}, "o")
	if out.Subject != "Hi {{unsubscribe.url}}!" {
		t.Fatalf("injection: %q", out.Subject)
	}
	// Subjects stay one line whatever the values.
	out = c.Render(c.Complete(map[string]string{PhFirstName: "Ann\r\nBcc: x@example.com"}, nil), nil, "o")
	if strings.ContainsAny(out.Subject, "\r\n") {
		t.Fatalf("subject %q", out.Subject)
	}
}
