//go:build !unix

package datadir

import "io/fs"

// Windows has no O_NOFOLLOW; the data dir lives in the user's profile,
// whose ACL keeps other users out.
const noFollow = 0

// ownerOf reports no owner: Windows ownership is an ACL, not a uid.
func ownerOf(fs.FileInfo) (int, bool) { return 0, false }
