// Command tessera is the Tessera server and its data-team tools:
//
//	tessera [serve] [flags]          run the GraphQL server
//	tessera import --source S FILE   stream a CSV or JSON Lines file into a running server
//	tessera export -kind K -o FILE   download a full export (CSV or Parquet) from a running server
//	tessera bench ingest [flags]     measure ingest throughput against raw bulk inserts
package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/tessera-cdp/tessera/server/bench"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

func main() {
	args := os.Args[1:]
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(args)
	case "import":
		err = importCmd(args)
	case "demo":
		err = demoCmd(args)
	case "export":
		err = exportCmd(args)
	case "bench":
		err = bench.Cmd(args, func(d bench.DB, log *slog.Logger) (*mongo.Client, func(), error) {
			return openDB(Config{Memory: d.Memory, PostgreSQLURL: d.PostgreSQLURL, MongoURI: d.MongoURI, DBLogLevel: "error"}, log)
		})
	case "help":
		fmt.Println("usage: tessera [serve|import|export|bench] [flags]; tessera CMD -h for flags")
	default:
		err = fmt.Errorf("unknown command %q (serve, import, export, bench)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tessera:", err)
		os.Exit(1)
	}
}
