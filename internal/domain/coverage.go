package domain

// VisitCount is how many visits a rep had planned in one week of a
// coverage report (Week 0 is the report's first week).
type VisitCount struct {
	RepID ID
	Week  int
	Count int
}
