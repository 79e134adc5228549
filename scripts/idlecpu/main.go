//go:build ignore

// idlecpu runs the desktop app (tray + window) on a real engine in a temp
// dir, for scripts/idle-cpu.sh to measure at rest. SLUICE_IDLE_HIDDEN=1
// starts with the window closed (tray only).
//
//	go run -tags migrated_fynedo scripts/idlecpu/main.go
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sluice-proxy/sluice/app"
	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/proxy/journal"
	"github.com/sluice-proxy/sluice/vault"
)

func main() {
	dir, err := os.MkdirTemp("", "sluice-idle-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := journal.Open(filepath.Join(dir, "sluice.db"))
	if err != nil {
		panic(err)
	}
	store, err := vault.Open(vault.Config{Backend: "file", FileDir: filepath.Join(dir, "keyring"), FilePassword: "idle"})
	if err != nil {
		panic(err)
	}
	svc, err := proxy.New(context.Background(), proxy.Config{Port: 0, Upstream: "http://127.0.0.1:9"}, proxy.Deps{Journal: db, Keyring: store})
	if err != nil {
		panic(err)
	}
	if _, err := svc.AddAPIKey(context.Background(), "idle", "sk-ant-idle"); err != nil {
		panic(err)
	}
	err = app.Run(svc, app.Options{StartProxy: true, Hidden: os.Getenv("SLUICE_IDLE_HIDDEN") == "1"})
	_ = svc.Close(context.Background())
	_ = db.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
