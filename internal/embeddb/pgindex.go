package embeddb

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// On FerretDB v1.24's PostgreSQL backend a find by _id runs `WHERE _jsonb->'_id' @> $1`,
// which the unique btree index FerretDB creates on `_jsonb->'_id'` cannot serve: every
// point read was a sequential scan (ingest slower than on SQLite). A GIN index on the
// same expression serves @>. Like the SQLite index, FerretDB does not know it and drops
// it with the table.

// withCustomPlans makes FerretDB's connections plan every statement with its parameters:
// FerretDB passes the key of `_jsonb->$1 @> $2` as a parameter, and the generic plan that
// PostgreSQL switches a prepared statement to after five runs cannot match the index
// expression `_jsonb->'_id'`, so point reads went back to sequential scans (ingest slowed
// down as it ran). pgx sends unknown URL parameters as run-time settings.
func withCustomPlans(url string) string {
	if strings.Contains(url, "plan_cache_mode=") {
		return url
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "plan_cache_mode=force_custom_plan"
}

// indexPostgreSQL adds the GIN _id index to every collection table of every FerretDB
// database (a schema with FerretDB's metadata table) that lacks it.
func indexPostgreSQL(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT table_schema FROM information_schema.tables WHERE table_name = '_ferretdb_database_metadata'`)
	if err != nil {
		return err
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, s := range schemas {
		q := fmt.Sprintf(`SELECT m._jsonb->>'table' FROM %s m WHERE NOT EXISTS
			(SELECT 1 FROM pg_indexes i WHERE i.schemaname = $1 AND i.indexname = left(m._jsonb->>'table' || $2, 63))`,
			pgx.Identifier{s, "_ferretdb_database_metadata"}.Sanitize())
		rows, err := conn.Query(ctx, q, s, idIndexSuffix)
		if err != nil {
			if strings.Contains(err.Error(), "does not exist") {
				continue // dropped meanwhile
			}
			return err
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, t := range tables {
			name := t + idIndexSuffix
			if len(name) > 63 {
				name = name[:63]
			}
			q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s USING gin ((_jsonb->'_id'))`,
				pgx.Identifier{name}.Sanitize(), pgx.Identifier{s, t}.Sanitize())
			if _, err := conn.Exec(ctx, q); err != nil && !strings.Contains(err.Error(), "does not exist") {
				return err
			}
		}
	}
	return nil
}
