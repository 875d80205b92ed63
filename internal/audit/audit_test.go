package audit_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/tessera-cdp/tessera/internal/audit"
)

func TestRedact(t *testing.T) {
	args := map[string]any{
		"id": "cus_1", "reason": "same", "apiKey": "sk_live", "input": map[string]any{
			"firstName": "Ann", "emails": []any{"ann@example.com"}, "segmentIds": []any{"seg_1", "seg_2"}, "note": "x",
			"tags": []any{"vip", "bob@example.com"}, "smtpPassword": "hunter2",
		},
	}
	got, _ := json.Marshal(audit.Redact(args))
	want := `{"apiKey":"[redacted]","id":"cus_1","input":{"emails":"[personal]","firstName":"[personal]","note":"[personal]",` +
		`"segmentIds":["seg_1","seg_2"],"smtpPassword":"[redacted]","tags":["vip","[personal]"]},"reason":"[personal]"}`
	if string(got) != want {
		t.Errorf("redacted\n%s, want\n%s", got, want)
	}
	if ts := audit.Targets(args); !reflect.DeepEqual(ts, []string{"cus_1", "seg_1", "seg_2"}) {
		t.Errorf("targets %v", ts)
	}
	long := make([]any, 50)
	for i := range long {
		long[i] = "x"
	}
	if l := audit.Redact(map[string]any{"l": long}).(map[string]any)["l"].([]any); len(l) != 21 {
		t.Errorf("a list of 50 kept %d elements", len(l))
	}
}
