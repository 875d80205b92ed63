package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// gqlClient is the small GraphQL-over-HTTP client the CLI tools use.
type gqlClient struct {
	url, key string
	http     *http.Client
}

func newClient(server, key string) *gqlClient {
	return &gqlClient{url: strings.TrimSuffix(server, "/") + "/query", key: key, http: &http.Client{Timeout: 5 * time.Minute}}
}

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) Error() string {
	if c, ok := e.Extensions["code"]; ok {
		return fmt.Sprintf("%s (%v)", e.Message, c)
	}
	return e.Message
}

// do runs one operation and decodes data into out.
func (c *gqlClient) do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.key)
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %w", c.url, err)
	}
	defer res.Body.Close()
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return fmt.Errorf("%s answered %s", c.url, res.Status)
	}
	if len(r.Errors) > 0 {
		return r.Errors[0]
	}
	return json.Unmarshal(r.Data, out)
}
