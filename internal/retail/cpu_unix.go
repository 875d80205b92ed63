//go:build unix

package retail

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time the process has used (user and system), the embedded
// database's included: a measure of a phase's work that other load on the machine
// does not inflate the way it does wall time.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
