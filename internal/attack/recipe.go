package attack

import "context"

// Request is what a recipe builds for one cell.
type Request struct {
	Path string
	Body any
	// Token overrides the caller's actor session ("" keeps it).
	Token string
	// Allow lists values the answer may show although the caller's role
	// masks them (the reveal endpoint shows one field on purpose).
	Allow []string
	// ContentType, when set, sends Body ([]byte) as it is with this
	// Content-Type (an upload) rather than as JSON.
	ContentType string
}

// Recipe tells the suite how to call one route and what to expect.
type Recipe struct {
	Rule Rule
	// Relations the cells take (none: one cell per role).
	Relations []Relation
	// Records: the relations name seeded customer records (only reps and
	// managers have records of their own).
	Records  bool
	Variants []Variant
	Build    func(ctx context.Context, w *World, c Cell) (Request, error)
	// Query names the query parameters the route takes, with a valid
	// sample value each (sqlmap and the hostile inputs use them).
	Query map[string]string
}
