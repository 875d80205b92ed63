package testdb

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The structural tests of DESIGN.md count the commands a request path sends, at two
// database sizes, and check their filters: CommandLog records them from a client's
// command monitor, BareID tells the one filter FerretDB serves without a scan.

// Command is one command as the driver sent it, with the filter of each statement
// (find: filter; update, delete: each q; findAndModify: query; none for inserts).
type Command struct {
	Name, Coll string
	Filters    []bson.Raw
}

func (c Command) String() string { return fmt.Sprintf("%s %s %v", c.Name, c.Coll, c.Filters) }

// CommandLog records, while on, the commands of the client it monitors.
type CommandLog struct {
	// Only, if set, keeps just the commands on these collections; Skip leaves these out.
	Only, Skip []string

	mu   sync.Mutex
	on   bool
	cmds []Command
}

// Monitor is the command monitor to give the client (options.Client().SetMonitor).
func (l *CommandLog) Monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, ev *event.CommandStartedEvent) {
		if ev.CommandName == "endSessions" { // the driver's housekeeping at disconnect
			return
		}
		c := Command{Name: ev.CommandName}
		c.Coll, _ = ev.Command.Index(0).Value().StringValueOK()
		if len(l.Only) > 0 && !slices.Contains(l.Only, c.Coll) || slices.Contains(l.Skip, c.Coll) {
			return
		}
		switch ev.CommandName {
		case "update", "delete":
			arr, _ := ev.Command.Lookup(ev.CommandName + "s").ArrayOK()
			vals, _ := arr.Values()
			for _, v := range vals {
				q, _ := v.Document().Lookup("q").DocumentOK()
				c.Filters = append(c.Filters, q)
			}
		case "find":
			f, _ := ev.Command.Lookup("filter").DocumentOK()
			c.Filters = append(c.Filters, f)
		case "findAndModify":
			f, _ := ev.Command.Lookup("query").DocumentOK()
			c.Filters = append(c.Filters, f)
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.on {
			l.cmds = append(l.cmds, c)
		}
	}}
}

// Record switches recording on or off and returns what was recorded since the last call.
func (l *CommandLog) Record(on bool) []Command {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = on
	out := l.cmds
	l.cmds = nil
	return out
}

// BareID reports a filter that is exactly {_id: "<string>"}: on FerretDB the only one
// served without scanning the collection.
func BareID(f bson.Raw) bool {
	els, err := f.Elements()
	return err == nil && len(els) == 1 && els[0].Key() == "_id" && els[0].Value().Type == bson.TypeString
}

// MonitoredClient connects a client to the package's database server whose commands log
// records; it is closed when the test ends.
func MonitoredClient(t testing.TB, log *CommandLog) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(URI(t)).SetMonitor(log.Monitor()))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}
