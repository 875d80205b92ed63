package helpdeskmail

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

// Parsed is what the help desk keeps of a received e-mail.
type Parsed struct {
	MessageID  string // without angle brackets; derived from the content when absent
	InReplyTo  string
	References []string // oldest first
	From       string   // address
	FromName   string
	Subject    string
	// Text is the body as text (text/plain preferred, else the HTML part as text);
	// Visible is Text without the quoted tail of earlier messages.
	Text, Visible string
	Attachments   []AttachmentMeta
	// Auto says the message is machine-made (see Classify), "" for a person's mail.
	Auto AutoKind
}

// AttachmentMeta describes an attachment; its bytes are not kept.
type AttachmentMeta struct {
	Name        string
	ContentType string
	Size        int64
}

// AutoKind names what a machine-made message is.
type AutoKind string

const (
	AutoReply AutoKind = "auto-reply"
	Bounce    AutoKind = "bounce"
)

// Limits of the MIME walk: a hostile message must not make the parser recurse or
// allocate without bound.
const (
	maxDepth = 8
	maxParts = 200
	// maxRefs keeps the newest References (threading needs the last few).
	maxRefs = 30
)

// ErrRefused is a message that can never be taken: unparsable, without a usable
// sender, or refused by the ticket rules. The receiver answers it with a 5xx.
var ErrRefused = errors.New("message refused")

var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(r), nil
}

// Parse reads a raw RFC 5322 message. It never panics on any input (FuzzParse).
func Parse(raw []byte) (Parsed, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Parsed{}, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	h := msg.Header
	in := Parsed{Subject: decodeHeader(h.Get("Subject"))}
	ap := mail.AddressParser{WordDecoder: wordDecoder}
	if from, err := ap.Parse(h.Get("From")); err == nil {
		in.From, in.FromName = strings.ToLower(from.Address), from.Name
	}
	in.MessageID = firstID(h.Get("Message-Id"))
	if in.MessageID == "" {
		sum := sha256.Sum256(raw)
		in.MessageID = hex.EncodeToString(sum[:16]) + "@no-message-id.invalid"
	}
	in.InReplyTo = firstID(h.Get("In-Reply-To"))
	in.References = msgIDs(h.Get("References"))
	if len(in.References) > maxRefs {
		in.References = in.References[len(in.References)-maxRefs:]
	}
	w := walker{}
	w.part(h, msg.Body, 0)
	in.Attachments = w.atts
	switch {
	case w.text != "":
		in.Text = w.text
	case w.html != "":
		in.Text = HTMLToText(w.html)
	}
	in.Text = strings.TrimSpace(strings.ReplaceAll(in.Text, "\r\n", "\n"))
	in.Visible = StripQuoted(in.Text)
	in.Auto = classify(h, in.From, w.report)
	return in, nil
}

// header is the slice of a part's header the walk reads (mail.Header, a part's
// textproto.MIMEHeader).
type header interface{ Get(string) string }

// classify recognises auto-replies (RFC 3834 Auto-Submitted, the de-facto X-Autoreply and
// Precedence) and bounces (delivery-status reports, the mailer daemon). The empty return
// path is checked by the caller, which knows the envelope.
func classify(h header, from string, report bool) AutoKind {
	local, _, _ := strings.Cut(from, "@")
	switch {
	case report, local == "mailer-daemon", local == "postmaster":
		return Bounce
	case h.Get("Auto-Submitted") != "" && !strings.EqualFold(strings.TrimSpace(h.Get("Auto-Submitted")), "no"),
		h.Get("X-Autoreply") != "", h.Get("X-Autorespond") != "", h.Get("X-Auto-Response") != "":
		return AutoReply
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "list", "auto_reply":
		return AutoReply
	}
	if rp := strings.TrimSpace(h.Get("Return-Path")); rp == "<>" {
		return Bounce
	}
	return ""
}

func decodeHeader(v string) string {
	if d, err := wordDecoder.DecodeHeader(v); err == nil {
		v = d
	}
	return strings.TrimSpace(strings.ToValidUTF8(v, "\uFFFD"))
}

var idRe = regexp.MustCompile(`<([^<>\s]+)>`)

// msgIDs returns the <…> ids in a header, without brackets.
func msgIDs(v string) []string {
	var out []string
	for _, m := range idRe.FindAllStringSubmatch(v, -1) {
		out = append(out, m[1])
	}
	return out
}

// firstID is the first <…> id, or the whole value when it has no brackets.
func firstID(v string) string {
	if ids := msgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	v = strings.TrimSpace(v)
	if strings.ContainsAny(v, " \t<>") {
		return ""
	}
	return v
}

// walker collects the first text/plain and text/html bodies and the attachments.
type walker struct {
	text, html string
	atts       []AttachmentMeta
	parts      int
	report     bool
}

func (w *walker) part(h header, body io.Reader, depth int) {
	w.parts++
	if w.parts > maxParts || depth > maxDepth {
		return
	}
	ctype, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || ctype == "" {
		ctype, params = "text/plain", map[string]string{}
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	name = decodeHeader(name)
	if strings.HasPrefix(ctype, "multipart/") {
		if ctype == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status") {
			w.report = true
		}
		if params["boundary"] == "" {
			return
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart() // raw: the transfer encoding is decoded here
			if err != nil {
				return
			}
			w.part(p.Header, p, depth+1)
			if w.parts > maxParts {
				return
			}
		}
	}
	if ctype == "message/delivery-status" {
		w.report = true
	}
	data := decode(h.Get("Content-Transfer-Encoding"), body)
	attachment := disp == "attachment" || name != "" || !strings.HasPrefix(ctype, "text/")
	if !attachment && (ctype == "text/plain" && w.text == "" || ctype == "text/html" && w.html == "") {
		b, _ := io.ReadAll(io.LimitReader(data, 4<<20))
		s := toUTF8(params["charset"], b)
		if ctype == "text/plain" {
			w.text = s
		} else {
			w.html = s
		}
		return
	}
	if !attachment {
		return // a second text part of the same kind: the first one is the body
	}
	n, _ := io.Copy(io.Discard, data)
	if name == "" {
		name = "attachment"
	}
	w.atts = append(w.atts, AttachmentMeta{Name: name, ContentType: ctype, Size: n})
}

// decode undoes a transfer encoding.
func decode(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &base64Clean{r: bufio.NewReader(r)})
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// base64Clean drops what is not base64 alphabet (spaces, stray characters some mailers
// emit), so one bad byte does not lose the part.
type base64Clean struct{ r *bufio.Reader }

func (c *base64Clean) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		b, err := c.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '=' {
			p[n] = b
			n++
		}
	}
	return n, nil
}

// toUTF8 converts from the part's charset; unknown charsets keep valid UTF-8 only.
func toUTF8(charset string, b []byte) string {
	if charset != "" && !strings.EqualFold(charset, "utf-8") && !strings.EqualFold(charset, "us-ascii") {
		if enc, err := htmlindex.Get(charset); err == nil {
			if d, err := enc.NewDecoder().Bytes(b); err == nil {
				b = d
			}
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

var (
	dropRe  = regexp.MustCompile(`(?is)<(script|style|head)\b.*?</(script|style|head)\s*>`)
	breakRe = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6]|/blockquote)\b[^>]*>`)
	tagRe   = regexp.MustCompile(`(?s)<[^>]*>`)
	blankRe = regexp.MustCompile(`\n[ \t]*\n([ \t]*\n)+`)
	spaceRe = regexp.MustCompile(`[ \t]+`)
)

// HTMLToText turns an HTML body into plain text for agents: no scripts or styles, line
// breaks for block ends, entities decoded.
func HTMLToText(s string) string {
	s = dropRe.ReplaceAllString(s, "")
	s = strings.NewReplacer("\r\n", " ", "\n", " ").Replace(s)
	s = breakRe.ReplaceAllString(s, "\n")
	s = tagRe.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = spaceRe.ReplaceAllString(s, " ")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.TrimSpace(blankRe.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

var (
	// "On Tue, 3 Mar 2026 at 10:00, Ann <ann@x> wrote:" (may wrap over two lines), and
	// the common translations' shape "… schrieb …:".
	wroteRe = regexp.MustCompile(`(?im)^([^>\n][^\n]{0,300})?\b(wrote|schrieb|a écrit|escribió|ha scritto|schreef)[^\n]{0,200}:[ \t]*$`)
	origRe  = regexp.MustCompile(`(?im)^\s*(-{2,}\s*original message\s*-{2,}|_{10,}\s*$|from:\s.+\n\s*sent:\s)`)
)

// StripQuoted cuts the quoted tail of a reply: from an "On … wrote:" line, an Outlook
// "Original Message" block, or the first line of a block of "> " lines that runs to the
// end. A message that is all quote keeps its text.
func StripQuoted(text string) string {
	cut := len(text)
	if loc := wroteRe.FindStringIndex(text); loc != nil {
		cut = min(cut, loc[0])
	}
	if loc := origRe.FindStringIndex(text); loc != nil {
		cut = min(cut, loc[0])
	}
	// A trailing run of quoted (or blank) lines.
	lines := strings.SplitAfter(text, "\n")
	pos, start := len(text), -1
	for i := len(lines) - 1; i >= 0; i-- {
		pos -= len(lines[i])
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, ">") {
			if strings.HasPrefix(l, ">") {
				start = pos
			}
			continue
		}
		break
	}
	if start >= 0 {
		cut = min(cut, start)
	}
	if v := strings.TrimSpace(text[:cut]); v != "" {
		return v
	}
	return text
}
