// Command desktop is the Tessera admin app (Wails v2). Build it with
//
//	(cd desktop/frontend && npm ci && npm run build)
//	go build -tags desktop,production,webkit2_41 -o bin/tessera-desktop ./desktop
//
// Without those tags it still compiles (so `go vet ./...` and `go test ./...` need no
// webkit), but wails.Run refuses to start.
package main

import (
	"embed"
	"fmt"
	"os"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
)

// dist holds the built frontend; the committed dist/.gitkeep keeps the embed valid before
// the first `npm run build`.
//
//go:embed all:frontend/dist
var dist embed.FS

func main() {
	path, err := DefaultSettingsPath()
	if err == nil {
		var app *App
		if app, err = NewApp(path, os.Getenv, os.Stdout); err == nil {
			err = wails.Run(&options.App{
				Title:       "Tessera",
				Width:       1200,
				Height:      800,
				MinWidth:    800,
				MinHeight:   560,
				AssetServer: &assetserver.Options{Assets: dist},
				OnStartup:   app.startup,
				Bind:        []any{app},
			})
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tessera-desktop:", err)
		fmt.Fprintln(os.Stderr, "build with: go build -tags desktop,production,webkit2_41 ./desktop")
		os.Exit(1)
	}
}
