package segment

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	"github.com/tessera-cdp/tessera/internal/apperr"
)

// MaxRuleJSON bounds the size of a rule in JSON.
const MaxRuleJSON = 1 << 20

// Parse reads a rule from JSON (the field names of Rule's json tags; unknown fields are
// refused) and validates it.
func Parse(data []byte) (Rule, error) {
	if len(data) > MaxRuleJSON {
		return Rule{}, apperr.Invalidf("rule: larger than %d bytes", MaxRuleJSON)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Rule
	if err := dec.Decode(&r); err != nil {
		return Rule{}, apperr.Invalidf("rule: %s", jsonMessage(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Rule{}, apperr.Invalidf("rule: trailing data after the rule")
	}
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	return r, nil
}

func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "field " + te.Field + ": expected " + te.Type.String()
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "invalid JSON: " + se.Error()
	}
	return "invalid JSON: " + err.Error()
}
