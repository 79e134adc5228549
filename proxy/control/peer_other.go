//go:build !linux

package control

import "net"

// checkPeer relies on the socket's 0600 mode in a 0700 dir where the OS has
// no SO_PEERCRED.
func checkPeer(net.Conn) error { return nil }
