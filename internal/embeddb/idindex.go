package embeddb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses
)

// FerretDB v1.24's SQLite backend indexes _id as `_ferretdb_sjson->"_id"` but looks
// documents up by `_ferretdb_sjson->'$._id'`. SQLite uses an expression index only for
// the same expression, so every find, update and delete by _id parses the JSON of every
// row: ingest was quadratic in the collection size. The indexer adds an index on the
// expression FerretDB queries by, to every collection table. FerretDB does not know the
// index (it is not in its metadata) and drops it with the table.
const idIndexSuffix = "_tessera_id"

// indexIDs adds the _id lookup index to every table of every database in dir that
// lacks it. Databases are opened afresh each time: FerretDB deletes the file of a
// dropped database, and a cached handle would keep writing to the deleted file.
func indexIDs(ctx context.Context, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.sqlite"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := indexFile(ctx, f); err != nil && ctx.Err() == nil {
			if _, statErr := os.Stat(f); os.IsNotExist(statErr) {
				continue // dropped meanwhile
			}
			return fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
	}
	return nil
}

func indexFile(ctx context.Context, file string) error {
	// mode=rw: never create a database FerretDB has just dropped.
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: file}).EscapedPath()+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT c.table_name FROM _ferretdb_collections c
		WHERE NOT EXISTS (SELECT 1 FROM sqlite_master m WHERE m.type = 'index' AND m.name = c.table_name || ?)`, idIndexSuffix)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil // a database FerretDB is still creating
		}
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+idIndexSuffix, t)
		if _, err := db.ExecContext(ctx, q); err != nil && !strings.Contains(err.Error(), "no such table") {
			return err
		}
	}
	return nil
}

// runIndexer indexes new tables until ctx ends: at start, on every IndexNow, and every
// interval (collections are created lazily, by their first write).
func (d *DB) runIndexer(ctx context.Context, index func(context.Context) error, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := index(ctx); err != nil && ctx.Err() == nil && d.log != nil {
			d.log.Warn("embedded database: adding _id index", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.kick:
		}
	}
}

// IndexNow asks the indexer to index new collections now (for example right after
// the application created its collections). It does not wait.
func (d *DB) IndexNow() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}
