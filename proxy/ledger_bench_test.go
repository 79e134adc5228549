package proxy_test

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkHandlerSubscription is BenchmarkHandler with the answer a
// subscription gets: unified limit headers naming the 5-hour and weekly
// windows, which the pool parses and the quota ledger and pace follow on
// every response. Compare with BenchmarkHandler (per-minute headers only)
// for the cost of following the windows.
func BenchmarkHandlerSubscription(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			rp := recordAnswer(b, bc.body)
			reset := time.Now().Add(3 * time.Hour).Unix()
			for k, v := range map[string]string{
				"anthropic-ratelimit-unified-status":         "allowed",
				"anthropic-ratelimit-unified-5h-status":      "allowed",
				"anthropic-ratelimit-unified-5h-utilization": "0.42",
				"anthropic-ratelimit-unified-5h-reset":       fmt.Sprint(reset),
				"anthropic-ratelimit-unified-7d-status":      "allowed",
				"anthropic-ratelimit-unified-7d-utilization": "0.13",
				"anthropic-ratelimit-unified-7d-reset":       fmt.Sprint(reset + 72*3600),
			} {
				rp.header.Set(k, v)
			}
			e := newBenchEnv(b, rp)
			runHandler(b, e.svc.Handler(), e.key, bc.body, rp)
		})
	}
}
