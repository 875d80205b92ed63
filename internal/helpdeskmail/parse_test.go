package helpdeskmail

import (
	"strings"
	"testing"
)

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

const multipartMail = `From: =?UTF-8?Q?Ann_M=C3=BCller?= <Ann@Customer.Example>
To: support@shop.example
Subject: =?UTF-8?Q?Br=C3=B6ken?= order [#T-abcdef1234]
Message-ID: <m2@customer.example>
In-Reply-To: <m1@customer.example>
References: <m0@customer.example>
 <m1@customer.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: multipart/alternative; boundary="b2"

--b2
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe, it broke.

On Mon, 2 Mar 2026 at 10:00, Support <support@shop.example> wrote:
> How can we help?
--b2
Content-Type: text/html; charset=utf-8

<p>ignored, there is a text part</p>
--b2--
--b1
Content-Type: application/pdf; name="invoice.pdf"
Content-Disposition: attachment; filename="invoice.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
JUVPRgo=
--b1--
`

func TestParseMultipart(t *testing.T) {
	in, err := Parse(crlf(multipartMail))
	if err != nil {
		t.Fatal(err)
	}
	if in.From != "ann@customer.example" || in.FromName != "Ann Müller" || in.Subject != "Bröken order [#T-abcdef1234]" {
		t.Fatalf("header: %+v", in)
	}
	if in.MessageID != "m2@customer.example" || in.InReplyTo != "m1@customer.example" || strings.Join(in.References, ",") != "m0@customer.example,m1@customer.example" {
		t.Fatalf("ids: %q %q %q", in.MessageID, in.InReplyTo, in.References)
	}
	if in.Visible != "Grüße, it broke." || !strings.Contains(in.Text, "> How can we help?") {
		t.Fatalf("text %q visible %q", in.Text, in.Visible)
	}
	if len(in.Attachments) != 1 || in.Attachments[0] != (AttachmentMeta{Name: "invoice.pdf", ContentType: "application/pdf", Size: 14}) {
		t.Fatalf("attachments: %+v", in.Attachments)
	}
	if in.Auto != "" || TokenIn(in.Subject) != "T-abcdef1234" {
		t.Fatalf("auto %q token %q", in.Auto, TokenIn(in.Subject))
	}
}

func TestParseHTMLOnly(t *testing.T) {
	in, err := Parse(crlf("From: a@b.example\nContent-Type: text/html\n\n<html><head><style>p{}</style></head><body><p>Hello &amp; welcome</p><p>Line<br>two</p><script>x()</script></body></html>"))
	if err != nil {
		t.Fatal(err)
	}
	if in.Text != "Hello & welcome\nLine\ntwo" {
		t.Fatalf("%q", in.Text)
	}
	if !strings.HasSuffix(in.MessageID, "@no-message-id.invalid") {
		t.Fatalf("derived id %q", in.MessageID)
	}
}

func TestClassify(t *testing.T) {
	for name, c := range map[string]struct {
		mail string
		want AutoKind
	}{
		"person":            {"From: a@b.example\nAuto-Submitted: no\n\nhi", ""},
		"auto-submitted":    {"From: a@b.example\nAuto-Submitted: auto-replied\n\nI am away", AutoReply},
		"x-autoreply":       {"From: a@b.example\nX-Autoreply: yes\n\nI am away", AutoReply},
		"precedence bulk":   {"From: a@b.example\nPrecedence: bulk\n\nnews", AutoReply},
		"precedence auto":   {"From: a@b.example\nPrecedence: auto_reply\n\naway", AutoReply},
		"mailer-daemon":     {"From: MAILER-DAEMON@mx.example\n\nfailed", Bounce},
		"empty return path": {"Return-Path: <>\nFrom: a@b.example\n\nfailed", Bounce},
		"dsn":               {"From: mx@b.example\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\nContent-Type: text/plain\n\nfailed\n--x\nContent-Type: message/delivery-status\n\nStatus: 5.1.1\n--x--\n", Bounce},
	} {
		in, err := Parse(crlf(c.mail))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if in.Auto != c.want {
			t.Errorf("%s: %q, want %q", name, in.Auto, c.want)
		}
	}
}

func TestStripQuoted(t *testing.T) {
	for in, want := range map[string]string{
		"Thanks!\n\n> earlier\n> more\n":                                 "Thanks!",
		"Yes\n-----Original Message-----\nFrom: x":                       "Yes",
		"Sure\nOn Tue, Ann <a@b>\nwrote:\n> x":                           "Sure\nOn Tue, Ann <a@b>", // a wrapped attribution keeps its first line
		"> only a quote":                                                 "> only a quote",
		"Answer inline:\n> q1\nA1\n> q2\nA2":                             "Answer inline:\n> q1\nA1\n> q2\nA2",
		"Hi\nAm 2. März 2026 um 10:00 schrieb Support <s@x>:\n> Hallo\n": "Hi",
	} {
		if got := StripQuoted(in); got != want {
			t.Errorf("StripQuoted(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSubjects(t *testing.T) {
	if got := CleanSubject("RE: Fwd: AW: Where is my order [#T-abc123xyz]"); got != "Where is my order" {
		t.Fatal(got)
	}
	if got := ReplySubject("Re: Where is my order", "T-abc123xyz"); got != "Re: Where is my order [#T-abc123xyz]" {
		t.Fatal(got)
	}
	tok := TokenOf("01J")
	if len(tok) != 12 || tok == TokenOf("01K") || TokenIn(strings.ToUpper(ReplySubject("x", tok))) != tok {
		t.Fatal("tokens:", tok)
	}
}

// FuzzParse: no input makes the parser panic or return a body that is not valid UTF-8.
// `go test` runs the seeds; `go test -fuzz FuzzParse ./internal/helpdeskmail/` explores.
func FuzzParse(f *testing.F) {
	f.Add(crlf(multipartMail))
	f.Add([]byte("From: a@b\r\n\r\nhi"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x--"))
	f.Add([]byte("Content-Transfer-Encoding: base64\r\nContent-Type: text/plain; charset=shift_jis\r\n\r\n!!!gg=="))
	f.Add([]byte("Subject: =?utf-8?B?////?=\r\nFrom: <>\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		in, err := Parse(raw)
		if err != nil {
			return
		}
		for _, s := range []string{in.Text, in.Visible, in.Subject} {
			if !strings.Contains(s, "\uFFFD") && !isUTF8(s) {
				t.Fatalf("invalid UTF-8: %q", s)
			}
		}
		if len(in.References) > maxRefs {
			t.Fatalf("%d references", len(in.References))
		}
	})
}

func isUTF8(s string) bool { return strings.ToValidUTF8(s, "") == s }
