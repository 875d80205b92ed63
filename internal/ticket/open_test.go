package ticket

import (
	"context"
	"errors"
	"strings"
	"testing"
)

type memRequesters struct{ byEmail map[string]string }

func (r memRequesters) RequesterByID(_ context.Context, id string) (string, error) {
	if id == "c1" || id == "absorbed" {
		return "c1", nil
	}
	return "", notFound("customer", id)
}

func (r memRequesters) RequesterByEmail(_ context.Context, email string) (string, error) {
	return r.byEmail[email], nil
}

// openFixture is fixture with requesters wired.
func openFixture(t *testing.T) *Service {
	svc, _, _ := fixture(t)
	svc.Requesters = memRequesters{byEmail: map[string]string{"ada@example.com": "c1"}}
	return svc
}

// invalidMsg is what the API shows of an ErrInvalidInput error.
func invalidMsg(t *testing.T, err error) string {
	t.Helper()
	if !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("err = %v, want invalid input", err)
	}
	return strings.TrimPrefix(err.Error(), ErrInvalidInput.Error()+": ")
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	svc := openFixture(t)
	agent := Actor{Kind: AuthorAgent, ID: "a1"}
	byID, err := svc.Open(ctx, RequesterRef{CustomerID: ptr("absorbed")}, Draft{Subject: "One", Channel: ChannelEmail}, "first", agent)
	must(t, err)
	byMail, err := svc.Open(ctx, RequesterRef{Email: ptr("ada@example.com")}, Draft{Subject: "Two", Channel: ChannelChat}, "second", agent)
	must(t, err)
	if byID.RequesterID != "c1" || byMail.RequesterID != "c1" {
		t.Errorf("requesters %q %q, want c1 (the surviving profile)", byID.RequesterID, byMail.RequesterID)
	}
	for ref, want := range map[RequesterRef]string{
		{CustomerID: ptr("c1"), Email: ptr("ada@example.com")}: "give the requester as customerId or email, not both",
		{}: "give the requester as customerId or email",
	} {
		if _, err := svc.Open(ctx, ref, Draft{Subject: "x", Channel: ChannelEmail}, "x", agent); invalidMsg(t, err) != want {
			t.Errorf("%+v: %v", ref, err)
		}
	}
	if _, err := svc.Open(ctx, RequesterRef{CustomerID: ptr("nobody")}, Draft{Subject: "x", Channel: ChannelEmail}, "x", agent); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown customer: %v", err)
	}

	got, err := svc.GetTicket(ctx, byID.ID)
	must(t, err)
	msgs, err := svc.Messages(ctx, byID.ID)
	must(t, err)
	if got.Subject != "One" || len(msgs) != 1 || msgs[0].Body != "first" {
		t.Errorf("ticket %+v, messages %+v", got, msgs)
	}
}
