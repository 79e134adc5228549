package proxy

// fileLimit stands in for the open-file limit, which Windows does not
// have: a process may hold about 16 million handles. The caps derived from
// it (connLimits) stay at their largest.
func fileLimit() uint64 { return 1 << 15 }
