package membership

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/tessera-cdp/tessera/internal/netguard"
)

// Delivery states.
const (
	Pending   = "PENDING"
	Delivered = "DELIVERED"
	Failed    = "FAILED"
)

// batchSize caps the ids of one delivery.
const batchSize = 500

// Delivery is one webhook call in the outbox. The outbox is a collection, so queued
// batches survive a restart and any instance can deliver them.
type Delivery struct {
	ID        string
	SegmentID string
	Body      []byte
	Attempts  int
	NextAt    time.Time
	Status    string
	LastError string
	CreatedAt time.Time
}

// Payload is the JSON body of a delivery.
type Payload struct {
	DeliveryID string    `json:"deliveryId"`
	Event      string    `json:"event"`
	SegmentID  string    `json:"segmentId"`
	Segment    string    `json:"segmentName"`
	At         time.Time `json:"at"`
	Entered    []string  `json:"entered"`
	Exited     []string  `json:"exited"`
}

func batches(seg Segment, d delta, at time.Time) []Delivery {
	var out []Delivery
	add := func(entered, exited []string) {
		id := fmt.Sprintf("%s-%d-%d", seg.ID, at.UnixNano(), len(out))
		body, _ := json.Marshal(Payload{DeliveryID: id, Event: "segment.membership", SegmentID: seg.ID, Segment: seg.Name, At: at,
			Entered: nonNil(entered), Exited: nonNil(exited)})
		out = append(out, Delivery{ID: id, SegmentID: seg.ID, Body: body, Status: Pending, NextAt: at, CreatedAt: at})
	}
	for i := 0; i < len(d.entered); i += batchSize {
		add(d.entered[i:min(i+batchSize, len(d.entered))], nil)
	}
	for i := 0; i < len(d.exited); i += batchSize {
		add(nil, d.exited[i:min(i+batchSize, len(d.exited))])
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Sign returns the X-Tessera-Signature value: HMAC-SHA256 over "<timestamp>.<body>",
// so a receiver can reject replays of old deliveries.
func Sign(secret string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.", timestamp)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Doer sends a request (an *http.Client).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// URLChecker refuses addresses a delivery may not reach (netguard.Policy).
type URLChecker interface {
	CheckURL(ctx context.Context, u *url.URL) error
}

// SignedPost POSTs a JSON body to target, signed with secret at time at (the
// X-Tessera-Timestamp and X-Tessera-Signature headers of every outgoing webhook), with
// headers added (user agent, delivery and idempotency ids). The URL is checked again at
// each delivery: its name may resolve elsewhere now (the client's dialer checks the
// address it connects to). It returns the answer's status line, or what went wrong;
// any answer but 2xx is an error.
func SignedPost(ctx context.Context, client Doer, policy URLChecker, target, secret string, at time.Time, body []byte, headers map[string]string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return "invalid url", err
	}
	if err := policy.CheckURL(ctx, req.URL); err != nil {
		return "address refused", err
	}
	ts := at.Unix()
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("X-Tessera-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Tessera-Signature", Sign(secret, ts, body))
	resp, err := client.Do(req)
	if err != nil {
		return "network error", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return resp.Status, fmt.Errorf("webhook answered %s", resp.Status)
	}
	return resp.Status, nil
}

// Verify checks a signature (for receivers, and the tests).
func Verify(secret string, timestamp int64, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, timestamp, body)), []byte(signature))
}

// DeliveryStore is the outbox.
type DeliveryStore interface {
	Outbox
	Due(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	UpdateDelivery(ctx context.Context, d Delivery) error
	// WebhookResult records the outcome of a call on the segment's webhook.
	WebhookResult(ctx context.Context, segmentID, status string, at time.Time, failed bool) error
	GetSegment(ctx context.Context, id string) (Segment, error)
}

// Deliverer sends queued deliveries with retries and exponential back-off.
type Deliverer struct {
	Store DeliveryStore
	// Policy says which addresses deliveries may reach (nil: public ones only). It is
	// checked on the URL before each call and on the address each connection is made to.
	Policy      *netguard.Policy
	Log         *slog.Logger
	Now         func() time.Time
	MaxAttempts int           // default 8
	Backoff     time.Duration // first retry delay, doubled each attempt (default 2 s, capped at 1 h)

	clientOnce sync.Once
	client     *http.Client
}

func (w *Deliverer) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC()
	}
	return time.Now().UTC()
}

// Run delivers until ctx ends, looking for due deliveries every interval.
func (w *Deliverer) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil && w.Log != nil {
			w.Log.Warn("segment webhooks", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce sends every due delivery once and returns how many it attempted.
func (w *Deliverer) RunOnce(ctx context.Context) (int, error) {
	due, err := w.Store.Due(ctx, w.now(), 50)
	if err != nil {
		return 0, err
	}
	for _, d := range due {
		if err := w.send(ctx, d); err != nil {
			return 0, err
		}
	}
	return len(due), nil
}

func (w *Deliverer) send(ctx context.Context, d Delivery) error {
	seg, err := w.Store.GetSegment(ctx, d.SegmentID)
	if err != nil || seg.Webhook == nil {
		d.Status, d.LastError = Failed, "segment or webhook removed"
		return w.Store.UpdateDelivery(ctx, d)
	}
	status, callErr := w.call(ctx, seg.Webhook, d)
	now := w.now()
	d.Attempts++
	if callErr == nil {
		d.Status, d.LastError = Delivered, ""
		if err := w.Store.UpdateDelivery(ctx, d); err != nil {
			return err
		}
		return w.Store.WebhookResult(ctx, seg.ID, status, now, false)
	}
	d.LastError = callErr.Error()
	maxA := w.MaxAttempts
	if maxA == 0 {
		maxA = 8
	}
	back := w.Backoff
	if back == 0 {
		back = 2 * time.Second
	}
	if d.Attempts >= maxA {
		d.Status = Failed
	} else {
		delay := back << (d.Attempts - 1)
		if delay > time.Hour || delay <= 0 {
			delay = time.Hour
		}
		d.NextAt = now.Add(delay)
	}
	if err := w.Store.UpdateDelivery(ctx, d); err != nil {
		return err
	}
	return w.Store.WebhookResult(ctx, seg.ID, status, now, true)
}

// call POSTs one delivery; any non-2xx answer is a failure to retry.
func (w *Deliverer) call(ctx context.Context, h *Webhook, d Delivery) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	w.clientOnce.Do(func() { w.client = w.Policy.Client(10 * time.Second) })
	return SignedPost(ctx, w.client, w.Policy, h.URL, h.Secret, w.now(), d.Body,
		map[string]string{"User-Agent": "Tessera-Webhooks/1", "X-Tessera-Delivery": d.ID})
}
