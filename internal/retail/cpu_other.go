//go:build !unix

package retail

import "time"

// ProcessCPU is not measured here.
func ProcessCPU() time.Duration { return 0 }
