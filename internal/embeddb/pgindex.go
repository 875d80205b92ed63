package embeddb

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// On FerretDB v1.24's PostgreSQL backend a find by _id runs `WHERE _jsonb->$1 @> $2`,
// which the unique btree index FerretDB creates on `_jsonb->'_id'` cannot serve: every
// point read was a sequential scan (ingest slower than on SQLite). A GIN index on the
// same expression serves @>. Like the SQLite index, FerretDB does not know it and drops
// it with the table.
//
// The index is built with fastupdate off. With PostgreSQL's default (on), new entries go
// to a pending list that every search reads in full until a vacuum or 4 MB of entries
// moves them into the index; ingest inserts faster than autovacuum cleans, so point
// reads read thousands of pending entries (0.34 ms instead of 0.01 ms each, measured on
// the ingest benchmark's identities; PostgreSQL spent 13 s of CPU per 5000 records
// instead of 8). One key per row makes the direct insertion cheap. jsonb_path_ops keeps
// the index small (one hashed entry per row) and serves @>, the only operator FerretDB
// uses on it.
const pgIDIndexDef = `USING gin ((_jsonb->'_id') jsonb_path_ops) WITH (fastupdate = off)`

// indexerAppName names the indexer's connection in pg_stat_activity.
const indexerAppName = "tessera-embeddb-indexer"

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

// pgIndexer adds the GIN _id index to every collection table of every FerretDB database
// (a schema with FerretDB's metadata table) that lacks it, and turns fastupdate off on
// indexes an earlier version built with it on. It keeps one connection across passes
// (connecting every second costs PostgreSQL a backend start per second for as long as
// the server runs) and reads the catalogs, not information_schema (whose views cost
// milliseconds to plan).
type pgIndexer struct {
	url  string
	conn *pgx.Conn
}

func (x *pgIndexer) index(ctx context.Context) error {
	if x.conn == nil || x.conn.IsClosed() {
		cfg, err := pgx.ParseConfig(x.url)
		if err != nil {
			return err
		}
		cfg.RuntimeParams["application_name"] = indexerAppName
		if x.conn, err = pgx.ConnectConfig(ctx, cfg); err != nil {
			x.conn = nil
			return err
		}
	}
	if err := indexPostgreSQL(ctx, x.conn); err != nil {
		// Start afresh next time: the connection may be broken or in a failed state.
		x.close()
		return err
	}
	return nil
}

func (x *pgIndexer) close() {
	if x.conn != nil {
		x.conn.Close(context.Background())
		x.conn = nil
	}
}

func indexPostgreSQL(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, `SELECT n.oid, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relname = '_ferretdb_database_metadata' AND c.relkind = 'r'`)
	if err != nil {
		return err
	}
	type schema struct {
		oid  uint32
		name string
	}
	schemas, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (schema, error) {
		var s schema
		return s, r.Scan(&s.oid, &s.name)
	})
	if err != nil {
		return err
	}
	for _, s := range schemas {
		// Tables FerretDB lists, whose index is missing (index NULL) or built with the
		// pending list on (an earlier version's).
		q := fmt.Sprintf(`SELECT t.name, i.relname FROM (SELECT m._jsonb->>'table' AS name FROM %s m) t
			LEFT JOIN pg_class i ON i.relnamespace = $1 AND i.relname = left(t.name || $2, 63)
			WHERE i.oid IS NULL OR NOT coalesce('fastupdate=off' = ANY(i.reloptions), false)`,
			pgx.Identifier{s.name, "_ferretdb_database_metadata"}.Sanitize())
		rows, err := conn.Query(ctx, q, s.oid, idIndexSuffix)
		if err != nil {
			if strings.Contains(err.Error(), "does not exist") {
				continue // dropped meanwhile
			}
			return err
		}
		type todo struct {
			table string
			index *string
		}
		tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (todo, error) {
			var t todo
			return t, r.Scan(&t.table, &t.index)
		})
		if err != nil {
			if strings.Contains(err.Error(), "does not exist") {
				continue // dropped meanwhile (pgx reports it when the rows are read)
			}
			return err
		}
		for _, t := range tables {
			var stmts []string
			if t.index == nil {
				name := t.table + idIndexSuffix
				if len(name) > 63 {
					name = name[:63]
				}
				stmts = []string{fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s %s`,
					pgx.Identifier{name}.Sanitize(), pgx.Identifier{s.name, t.table}.Sanitize(), pgIDIndexDef)}
			} else {
				// Built by an earlier version: stop the pending list and empty it.
				idx := pgx.Identifier{s.name, *t.index}.Sanitize()
				stmts = []string{`ALTER INDEX ` + idx + ` SET (fastupdate = off)`,
					`SELECT gin_clean_pending_list('` + strings.ReplaceAll(idx, "'", "''") + `'::regclass)`}
			}
			for _, q := range stmts {
				if _, err := conn.Exec(ctx, q); err != nil && !strings.Contains(err.Error(), "does not exist") {
					return err
				}
			}
		}
	}
	return nil
}
