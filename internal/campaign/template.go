package campaign

import (
	"fmt"
	"html"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/tessera-cdp/tessera/internal/apperr"
	"github.com/tessera-cdp/tessera/internal/ticket/macro"
)

// Placeholders of campaign templates, rendered with the help desk's macro renderer
// (internal/ticket/macro: one pass, values inserted literally, so a customer named
// "{{unsubscribe.url}}" is printed as such). In the HTML part every value is
// HTML-escaped. A value a customer lacks takes the campaign's default for the
// placeholder, else the built-in one (BuiltinDefaults); a template may only use a
// placeholder that can be empty if one of them exists, so no message goes out as
// "Hello ,".
const (
	PhFirstName  = "customer.firstName"
	PhLastName   = "customer.lastName"
	PhName       = "customer.name"
	PhEmail      = "customer.email"
	PhCity       = "customer.city"
	PhCountry    = "customer.country"
	PhOrderCount = "metrics.orderCount"
	PhRevenue    = "metrics.revenue"
	PhAOV        = "metrics.averageOrderValue"
	PhLastOrder  = "metrics.lastOrderDate"
	PhCampaign   = "campaign.name"
	PhUnsub      = "unsubscribe.url"
	// PhAttribute prefixes a custom attribute: {{customer.attributes.tier}}.
	PhAttribute = "customer.attributes."
	// PhRecommendation prefixes the n-th recommended product (1 to MaxRecommendations).
	PhRecommendation = "recommendation."

	// Internal keys: tracked links and the open pixel (not for templates).
	phLink = "link."
	phOpen = "open.url"

	// MaxRecommendations is the highest recommendation.n.
	MaxRecommendations = 3
)

// Placeholders lists the fixed placeholder keys (besides customer.attributes.<name> and
// recommendation.1 to 3).
var Placeholders = []string{PhFirstName, PhLastName, PhName, PhEmail, PhCity, PhCountry, PhOrderCount, PhRevenue, PhAOV, PhLastOrder, PhCampaign, PhUnsub}

// BuiltinDefaults are the fallbacks used when a campaign sets none.
var BuiltinDefaults = map[string]string{PhFirstName: "there", PhName: "there", PhOrderCount: "0"}

// neverEmpty are placeholders every message has a value for.
var neverEmpty = []string{PhEmail, PhCampaign, PhUnsub}

var attrName = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// known reports a placeholder a template may use.
func known(key string) bool {
	if slices.Contains(Placeholders, key) {
		return true
	}
	if name, ok := strings.CutPrefix(key, PhAttribute); ok {
		return attrName.MatchString(name)
	}
	if n, ok := strings.CutPrefix(key, PhRecommendation); ok {
		i, err := strconv.Atoi(n)
		return err == nil && i >= 1 && i <= MaxRecommendations && n == strconv.Itoa(i)
	}
	return false
}

// Compiled is a campaign's templates ready to render: tracked links replaced by
// {{link.N}} keys, the open pixel and an unsubscribe link added where missing.
type Compiled struct {
	subject, html, text string
	Links               []string
	Used                []string // placeholders the templates use, in order
}

var hrefRe = regexp.MustCompile(`(?i)(\bhref\s*=\s*)("[^"]*"|'[^']*')`)

// Compile checks templates and defaults and prepares them.
func Compile(subject, htmlT, text string, defaults map[string]string) (Compiled, error) {
	for k, v := range defaults {
		if !known(k) {
			return Compiled{}, apperr.Invalidf("defaults: unknown placeholder %q", k)
		}
		if strings.TrimSpace(v) == "" || len(v) > 1000 || strings.ContainsAny(v, "\r\n") {
			return Compiled{}, apperr.Invalidf("defaults: the fallback of %s must be one line of 1 to 1000 characters", k)
		}
	}
	var used []string
	for _, pb := range [][2]string{{"subject", subject}, {"html", htmlT}, {"text", text}} {
		part, body := pb[0], pb[1]
		for _, k := range macro.Placeholders(body) {
			if !known(k) {
				return Compiled{}, apperr.Invalidf("%s: unknown placeholder {{%s}} (known: %s, %s<name>, %s1 to %d)", part, k,
					strings.Join(Placeholders, ", "), PhAttribute, PhRecommendation, MaxRecommendations)
			}
			if !slices.Contains(used, k) {
				used = append(used, k)
			}
		}
	}
	slices.Sort(used)
	var bare []string
	for _, k := range used {
		if !slices.Contains(neverEmpty, k) && defaults[k] == "" && BuiltinDefaults[k] == "" {
			bare = append(bare, k)
		}
	}
	if len(bare) > 0 {
		return Compiled{}, apperr.Invalidf("set a default for %s: a customer may have no value for it", strings.Join(bare, ", "))
	}
	c := Compiled{subject: subject, text: text, Used: used}
	if htmlT != "" {
		c.html = hrefRe.ReplaceAllStringFunc(htmlT, func(m string) string {
			sub := hrefRe.FindStringSubmatch(m)
			raw := html.UnescapeString(sub[2][1 : len(sub[2])-1])
			if strings.Contains(raw, "{{") || !(strings.HasPrefix(strings.ToLower(raw), "https://") || strings.HasPrefix(strings.ToLower(raw), "http://")) {
				return m // mailto:, anchors and personalised links stay as written
			}
			i := slices.Index(c.Links, raw)
			if i < 0 {
				i = len(c.Links)
				c.Links = append(c.Links, raw)
			}
			return fmt.Sprintf(`%s"{{%s%d}}"`, sub[1], phLink, i)
		})
		if !slices.Contains(used, PhUnsub) {
			c.html = beforeBodyEnd(c.html, `<p style="font-size:12px;color:#666666">You receive this because you agreed to hear from us. <a href="{{`+PhUnsub+`}}">Unsubscribe</a></p>`)
		}
		c.html = beforeBodyEnd(c.html, `<img src="{{`+phOpen+`}}" width="1" height="1" alt="" style="display:block;border:0">`)
	}
	if !slices.Contains(used, PhUnsub) {
		c.text = strings.TrimRight(c.text, "\n") + "\n\nUnsubscribe: {{" + PhUnsub + "}}\n"
	}
	if len(c.Links) > 1000 {
		return Compiled{}, apperr.Invalidf("html: at most 1000 distinct links")
	}
	return c, nil
}

// beforeBodyEnd inserts s before the last </body>, or appends it.
func beforeBodyEnd(h, s string) string {
	i := strings.LastIndex(strings.ToLower(h), "</body>")
	if i < 0 {
		return h + s
	}
	return h[:i] + s + h[i:]
}

// Rendered is a message's subject and parts.
type Rendered struct {
	Subject, HTML, Text string
}

// Render fills the compiled templates with data (already completed with defaults);
// links are the tracked links' URLs for this recipient.
func (c Compiled) Render(data map[string]string, links []string, openURL string) Rendered {
	esc := make(map[string]string, len(data)+len(links)+1)
	for k, v := range data {
		esc[k] = html.EscapeString(v)
	}
	for i, l := range links {
		esc[fmt.Sprintf("%s%d", phLink, i)] = html.EscapeString(l)
	}
	esc[phOpen] = html.EscapeString(openURL)
	var out Rendered
	out.Subject, _ = macro.Render(c.subject, data)
	out.Subject = strings.Join(strings.Fields(out.Subject), " ") // no line breaks in a header
	out.Text, _ = macro.Render(c.text, data)
	if c.html != "" {
		out.HTML, _ = macro.Render(c.html, esc)
	}
	return out
}

// Complete gives every used placeholder a value: the customer's, else the campaign's
// default, else the built-in one.
func (c Compiled) Complete(values, defaults map[string]string) map[string]string {
	out := make(map[string]string, len(c.Used)+len(neverEmpty))
	for _, k := range append(slices.Clone(c.Used), neverEmpty...) {
		v := strings.TrimSpace(values[k])
		if v == "" {
			v = defaults[k]
		}
		if v == "" {
			v = BuiltinDefaults[k]
		}
		out[k] = v
	}
	return out
}
