// Package embeddb runs FerretDB in-process on SQLite (or PostgreSQL), so the server and
// the tests talk to a real MongoDB wire protocol server through the official driver with
// no setup.
package embeddb

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Config selects the backend.
type Config struct {
	// Dir is the SQLite data directory; ignored when Memory or PostgreSQLURL is set.
	Dir string
	// Memory keeps nothing: SQLite files go to a temporary directory removed on Close.
	// (FerretDB's own in-memory mode gives SQLite a single connection, which deadlocks
	// as soon as a cursor stays open while another query runs.)
	Memory bool
	// PostgreSQLURL switches to FerretDB's PostgreSQL handler, much faster on large
	// collections.
	PostgreSQLURL string
	// Addr is where FerretDB listens ("" = a free loopback port). Setting it lets a
	// second server instance share this database through -mongodb-uri. FerretDB runs
	// without authentication, so keep it on loopback or a private network.
	Addr   string
	Logger *slog.Logger
	// LogLevel is the least level of FerretDB's own messages passed on to Logger (nil:
	// error). FerretDB warns at length about things that are normal for Tessera (a
	// collection that does not exist yet, drivers' endSessions), so warnings and below
	// are only for debugging the database.
	LogLevel slog.Leveler
}

// DB is a running embedded FerretDB.
type DB struct {
	URI    string
	cancel context.CancelFunc
	done   chan struct{}
	tmp    string
	log    *slog.Logger
	kick   chan struct{}
	// indexed is closed when the indexer goroutine has stopped.
	indexed chan struct{}
}

// Start runs FerretDB on a free loopback port and returns once it accepts connections.
func Start(cfg Config) (*DB, error) {
	fc := &ferretdb.Config{Handler: "sqlite"}
	tmp, sqliteDir := "", ""
	switch {
	case cfg.PostgreSQLURL != "":
		fc.Handler, fc.PostgreSQLURL = "postgresql", withCustomPlans(cfg.PostgreSQLURL)
	default:
		dir, err := filepath.Abs(cfg.Dir)
		if cfg.Memory {
			dir, err = os.MkdirTemp("", "tessera-db-")
			tmp = dir
		}
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		// WAL with synchronous=NORMAL is SQLite's advice for WAL: no corruption on power
		// loss, and no fsync per transaction (FerretDB runs one per updated document).
		// A throw-away database needs no durability at all.
		sync := "normal"
		if cfg.Memory {
			sync = "off"
		}
		sqliteDir = dir
		fc.SQLiteURL = "file:" + strings.TrimSuffix(dir, "/") + "/?_pragma=synchronous(" + sync + ")"
	}
	addr := cfg.Addr
	if addr == "" {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		addr = l.Addr().String()
		l.Close()
	} else if l, err := net.Listen("tcp", addr); err != nil {
		return nil, fmt.Errorf("embedded FerretDB address: %w", err) // taken: fail now, not in FerretDB's goroutine
	} else {
		l.Close()
	}
	fc.Listener.TCP = addr
	// FerretDB logs every connection at info level and routine answers as multi-line
	// warnings; by default only its errors are passed on.
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	var level slog.Leveler = slog.LevelError
	if cfg.LogLevel != nil {
		level = cfg.LogLevel
	}
	fc.Logger = slog.New(levelFilter{logger.Handler(), level})
	f, err := ferretdb.New(fc)
	if err != nil {
		return nil, fmt.Errorf("start embedded FerretDB: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	db := &DB{URI: "mongodb://" + addr + "/", cancel: cancel, done: make(chan struct{}), tmp: tmp,
		log: logger, kick: make(chan struct{}, 1), indexed: make(chan struct{})}
	go func() {
		defer close(db.done)
		_ = f.Run(ctx)
	}()
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			index, done := func(ctx context.Context) error { return indexIDs(ctx, sqliteDir) }, func() {}
			if cfg.PostgreSQLURL != "" {
				x := &pgIndexer{url: cfg.PostgreSQLURL}
				index, done = x.index, x.close
			}
			go func() {
				defer close(db.indexed)
				defer done()
				db.runIndexer(ctx, index, time.Second)
			}()
			return db, nil
		}
		if i == 100 {
			cancel()
			return nil, fmt.Errorf("embedded FerretDB did not start on %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Close stops FerretDB and waits for it to release its files.
func (d *DB) Close() {
	d.cancel()
	<-d.indexed
	<-d.done
	if d.tmp != "" {
		os.RemoveAll(d.tmp)
	}
}

type levelFilter struct {
	slog.Handler
	min slog.Leveler
}

func (h levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min.Level() && h.Handler.Enabled(ctx, l)
}
func (h levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{h.Handler.WithAttrs(a), h.min}
}
func (h levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{h.Handler.WithGroup(n), h.min}
}
