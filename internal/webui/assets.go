package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// asset is one static file, with its gzipped form.
type asset struct {
	name, typ  string
	body, gzip []byte
	hash       string
}

// assets are the UI's static files. Each is served at
// /static/<hash>/<name>, so a changed file has a new URL and every URL can
// be cached for a year; the service worker and the web-app manifest keep
// fixed URLs at the root, as browsers require.
type assets struct {
	byName map[string]*asset
	byPath map[string]*asset
}

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]*asset{}, byPath: map[string]*asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(body)
		typ := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".webmanifest":
			typ = "application/manifest+json"
		case ".js":
			typ = "text/javascript; charset=utf-8"
		case ".css":
			typ = "text/css; charset=utf-8"
		case ".svg":
			typ = "image/svg+xml"
		}
		if typ == "" {
			return fmt.Errorf("%s: unknown type", name)
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		x := &asset{name: name, typ: typ, body: body, gzip: gz.Bytes(), hash: hex.EncodeToString(sum[:6])}
		a.byName[name] = x
		a.byPath["/static/"+x.hash+"/"+name] = x
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The manifest names the icon by its hashed URL.
	if m, ok := a.byName["manifest.webmanifest"]; ok {
		icon, err := a.URL("icon.svg")
		if err != nil {
			return nil, err
		}
		m.body = bytes.ReplaceAll(m.body, []byte(`"/static/icon.svg"`), []byte(`"`+icon+`"`))
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = zw.Write(m.body)
		_ = zw.Close()
		m.gzip = gz.Bytes()
	}
	return a, nil
}

// URL is where the named asset is served; an unknown name is a template
// bug, caught when templates are checked.
func (a *assets) URL(name string) (string, error) {
	x, ok := a.byName[name]
	if !ok {
		return "", fmt.Errorf("no asset %q", name)
	}
	return "/static/" + x.hash + "/" + name, nil
}

// CompressedSize is the gzipped size of every script and stylesheet.
func (a *assets) CompressedSize() int {
	n := 0
	for _, x := range a.byName {
		if strings.HasSuffix(x.name, ".js") || strings.HasSuffix(x.name, ".css") {
			n += len(x.gzip)
		}
	}
	return n
}

func (u *UI) assetRoutes() []route {
	return []route{
		{"GET /static/{hash}/{name...}", u.serveAsset},
		{"GET /sw.js", u.serveRootAsset("sw.js")},
		{"GET /favicon.ico", u.serveRootAsset("icon.svg")},
		{"GET /manifest.webmanifest", u.serveRootAsset("manifest.webmanifest")},
	}
}

func (u *UI) serveAsset(w http.ResponseWriter, r *http.Request) {
	x, ok := u.assets.byPath[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	writeAsset(w, r, x)
}

func (u *UI) serveRootAsset(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		x := u.assets.byName[name]
		w.Header().Set("Cache-Control", "no-cache")
		writeAsset(w, r, x)
	}
}

func writeAsset(w http.ResponseWriter, r *http.Request, x *asset) {
	h := w.Header()
	h.Set("Content-Type", x.typ)
	h.Set("ETag", `"`+x.hash+`"`)
	h.Set("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == `"`+x.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := x.body
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = x.gzip
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
