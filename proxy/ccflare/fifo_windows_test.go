package ccflare

import "os"

// mkfifo makes a directory: Windows has no FIFO in the file system, and a
// directory is the other thing a path names that is not a regular file.
func mkfifo(path string) error { return os.Mkdir(path, 0o700) }
