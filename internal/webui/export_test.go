package webui

// Patterns lists the UI's route patterns ("GET /customers/{id}"), so a
// test can walk every route.
func (u *UI) Patterns() []string {
	var out []string
	for _, group := range u.routeGroups() {
		for _, rt := range group {
			out = append(out, rt.pattern)
		}
	}
	return out
}
