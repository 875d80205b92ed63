package journey

// StepStats counts one step of one version: visits that reached it, visits that left
// it, and customers waiting at it now; Outcomes counts the ways out (yes/no, arms, sent
// or why not).
type StepStats struct {
	Step      string
	Kind      StepKind
	Entered   int
	Completed int
	Waiting   int
	Outcomes  map[string]int
}

// VersionStats counts the runs of one version. Converted counts runs that reached the
// goal; HoldoutRuns and HoldoutConverted the same for the holdout arm of a split.
type VersionStats struct {
	Version          int
	Entered          int
	InProgress       int
	Done             int
	Exited           int
	Converted        int
	HoldoutRuns      int
	HoldoutConverted int
	Steps            []StepStats
}

// Known is a journey as this process knows it (loaded at start, changed by admin
// actions since) with its versions, newest first.
type Known struct {
	Journey  Journey
	Versions []Version
}
