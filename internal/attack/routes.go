package attack

import (
	"io"
	"log/slog"
	"strings"

	"github.com/custoscrm/custos/internal/jsonapi"
)

// RouteInfo is one API route as the route table lists it.
type RouteInfo struct {
	Method  string
	Pattern string
	Public  bool
}

// Key is "METHOD /pattern", the way recipes name routes.
func (r RouteInfo) Key() string { return r.Method + " " + r.Pattern }

// HasPathID reports whether the route takes a {…} path segment.
func (r RouteInfo) HasPathID() bool { return strings.Contains(r.Pattern, "{") }

// APIRoutes returns every route the JSON API serves, read from the API's
// own route table. The table is built without services: building it only
// names handlers, it calls none, so nothing is opened.
func APIRoutes() []RouteInfo {
	api := jsonapi.New(jsonapi.Services{}, slog.New(slog.NewTextHandler(io.Discard, nil)), jsonapi.Options{})
	var out []RouteInfo
	for _, r := range api.Routes() {
		out = append(out, RouteInfo{Method: r.Method, Pattern: r.Pattern, Public: r.Auth == jsonapi.Public})
	}
	return out
}
