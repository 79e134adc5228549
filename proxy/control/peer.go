package control

import (
	"fmt"
	"log/slog"
	"net"
)

// sameUser is the rule checkPeer applies: only the owner's own user.
func sameUser(peer, self int) error {
	if peer != self {
		return fmt.Errorf("refused a control connection from uid %d (this Sluice runs as uid %d)", peer, self)
	}
	return nil
}

// peerListener accepts only connections that pass checkPeer, closing the
// others before a byte is read.
type peerListener struct {
	net.Listener
	log *slog.Logger
}

func (l peerListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if err := checkPeer(c); err != nil {
			l.log.Warn("control socket", "err", err)
			_ = c.Close()
			continue
		}
		return c, nil
	}
}
