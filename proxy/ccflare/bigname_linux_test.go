package ccflare

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// The attack of issue 20: one 200 MB name in a ccflare file doubled the
// owner's memory. A row whose field is over its cap is refused by its
// length, which SQLite reads from the record header; the value itself is
// never read, so the process's peak memory stays far below its size.
func TestHugeNameRefusedWithoutReadingIt(t *testing.T) {
	const size = 64 << 20
	path := makeDB(t, oldSchema, fmt.Sprintf(
		`INSERT INTO accounts (id, name, refresh_token, created_at) VALUES ('1', replace(hex(zeroblob(%d)), '0', 'n'), 'r', 0)`, size/2))
	// Peak resident memory from here on: clear_refs 5 resets VmHWM.
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Fatalf("resetting the peak RSS: %v", err)
	}
	before := procStatus(t, "VmHWM")
	_, err := Read(context.Background(), path)
	grew := procStatus(t, "VmHWM") - before
	if err == nil || !strings.Contains(err.Error(), "name") || !strings.Contains(err.Error(), "longer than") {
		t.Fatalf("err = %v, want the name refused as too long", err)
	}
	t.Logf("peak memory grew by %d KiB reading a %d MiB name", grew, size>>20)
	if grew*1024 > size/4 {
		t.Errorf("reading the file grew peak memory by %d MiB for a %d MiB name: the value was read", grew>>10, size>>20)
	}
}

// procStatus is a field of /proc/self/status, in KiB.
func procStatus(t *testing.T, field string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte(field+":")); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(rest)), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}
