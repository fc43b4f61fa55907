package jsonapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/csvimport"
	"github.com/custoscrm/custos/internal/domain"
	"github.com/custoscrm/custos/internal/records"
)

// Imports: a file is uploaded (a raw text/csv body, or multipart with one
// part named "file"), checked as a whole (its encoding, header and line
// lengths) before the answer, then imported in the background: the
// answer is 202 with the import, whose state and rows done the client
// polls, and whose report of refused rows it downloads afterwards.

// DefaultMaxUploadBytes is the largest upload an import takes unless
// Options say otherwise.
const DefaultMaxUploadBytes = 256 << 20

// uploadTimeout is how long a client may take to send an upload (the
// server's usual read and write timeouts are for JSON bodies).
const uploadTimeout = 15 * time.Minute

func (api *API) importRoutes() []Route {
	return []Route{
		{"POST", "/api/v1/imports/{kind}", Authenticated, api.startImport},
		{"GET", "/api/v1/imports/{id}", Authenticated, api.getImport},
		{"GET", "/api/v1/imports/{id}/report", Authenticated, api.importReport},
	}
}

// IsUpload reports whether r uploads an import file: its body may be as
// large as the upload limit rather than the body limit.
func IsUpload(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	kind, ok := strings.CutPrefix(r.URL.Path, "/api/v1/imports/")
	return ok && domain.ValidImportKind(domain.ImportKind(kind))
}

// importJSON is an import as the API shows it. State is validating or
// writing while it runs, then done, invalid, validated (a dry run without
// problems) or aborted.
type importJSON struct {
	ID          domain.ID         `json:"id"`
	Kind        domain.ImportKind `json:"kind"`
	State       string            `json:"state"`
	Encoding    string            `json:"encoding"`
	RowsTotal   int               `json:"rows_total"`
	RowsDone    int               `json:"rows_done"`
	Imported    int               `json:"imported"`
	Problems    int               `json:"problems"`
	RowsInvalid int               `json:"rows_invalid"`
	Message     string            `json:"message,omitempty"`
	Report      string            `json:"report,omitempty"`
	StartedAt   time.Time         `json:"started_at"`
	FinishedAt  *time.Time        `json:"finished_at,omitempty"`
}

func toImportJSON(imp *domain.Import) importJSON {
	out := importJSON{ID: imp.ID, Kind: imp.Kind, State: string(imp.State), Encoding: imp.Encoding,
		RowsTotal: imp.RowsTotal, RowsDone: imp.RowsDone, Problems: imp.Problems, RowsInvalid: imp.RowsInvalid,
		Message: imp.Message, StartedAt: imp.StartedAt, FinishedAt: optTime(imp.FinishedAt)}
	switch {
	case imp.State == domain.ImportRunning && imp.Phase == domain.PhaseWrite:
		out.State = "writing"
	case imp.State == domain.ImportRunning:
		out.State = "validating"
	case imp.State == domain.ImportDone:
		out.Imported = imp.RowsDone
	}
	if imp.ReportBytes > 0 {
		out.Report = "/api/v1/imports/" + string(imp.ID) + "/report"
	}
	return out
}

func (api *API) startImport(w http.ResponseWriter, r *http.Request) {
	kind := domain.ImportKind(r.PathValue("kind"))
	if !domain.ValidImportKind(kind) {
		api.writeError(w, r, domain.Invalid("kind", "import customers, contacts or deals"))
		return
	}
	q := r.URL.Query()
	if err := checkQuery(q, "owner_id", "dry_run"); err != nil {
		api.writeError(w, r, err)
		return
	}
	owner, err := queryID(q, "owner_id", domain.KindUser)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	var dryRun bool
	switch q.Get("dry_run") {
	case "", "false":
	case "true":
		dryRun = true
	default:
		api.writeError(w, r, domain.Invalid("dry_run", "dry_run must be true or false"))
		return
	}
	// Refused before a byte of the upload is read.
	if err := api.records.CanImport(r.Context(), kind); err != nil {
		api.writeError(w, r, err)
		return
	}
	if r.ContentLength > api.opts.MaxUploadBytes {
		api.writeError(w, r, tooLarge(api.opts.MaxUploadBytes))
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(uploadTimeout))
	_ = rc.SetWriteDeadline(time.Now().Add(uploadTimeout))
	spool, err := csvimport.NewSpool(api.opts.SpoolDir)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	file, err := api.receive(r, spool, kind)
	if err != nil {
		_ = spool.Close()
		api.writeError(w, r, err)
		return
	}
	// The import owns the file (and its spool) from here.
	imp, err := api.records.StartImport(r.Context(), file, records.ImportOptions{Kind: kind, Owner: string(owner),
		DryRun: dryRun, Encoding: file.Encoding(), Rows: file.Rows()})
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/imports/"+string(imp.ID))
	writeJSON(w, http.StatusAccepted, toImportJSON(imp))
}

// receive spools the upload and inspects it: a file refused as a whole
// is invalid input naming the line and byte offset, never the content.
func (api *API) receive(r *http.Request, spool *csvimport.Spool, kind domain.ImportKind) (*csvimport.File, error) {
	body, err := uploadBody(r)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(spool, body); err != nil {
		return nil, uploadError(err, api.opts.MaxUploadBytes)
	}
	if mr, ok := body.(*partReader); ok {
		if err := mr.end(); err != nil {
			return nil, uploadError(err, api.opts.MaxUploadBytes)
		}
	}
	if err := spool.Finish(); err != nil {
		return nil, err
	}
	file, err := csvimport.Inspect(spool.Open, kind, spool)
	var fe *csvimport.FileError
	if errors.As(err, &fe) {
		return nil, domain.Invalid("file", "%s", fe.Error())
	}
	return file, err
}

// uploadBody returns the file of an upload: the body of a text/csv
// request, or the one part named "file" of a multipart/form-data one.
func uploadBody(r *http.Request) (io.Reader, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil && ct != "" {
		return nil, domain.Invalid("Content-Type", "the Content-Type cannot be read; send text/csv or multipart/form-data")
	}
	switch mt {
	case "text/csv":
		return r.Body, nil
	case "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, domain.Invalid("Content-Type", "a multipart upload needs a boundary")
		}
		p, err := mr.NextPart()
		if err != nil {
			return nil, uploadError(err, 0)
		}
		if p.FormName() != "file" {
			return nil, domain.Invalid("file", "a multipart upload has one part, named file")
		}
		return &partReader{Part: p, mr: mr}, nil
	}
	return nil, domain.Invalid("Content-Type", "send the file as text/csv, or as multipart/form-data with one part named file")
}

// partReader is the file part of a multipart upload.
type partReader struct {
	*multipart.Part
	mr *multipart.Reader
}

// end checks that the file was the only part.
func (p *partReader) end() error {
	if _, err := p.mr.NextPart(); !errors.Is(err, io.EOF) {
		if err != nil {
			return err
		}
		return domain.Invalid("file", "a multipart upload has one part, named file")
	}
	return nil
}

func uploadError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	var de *domain.Error
	switch {
	case errors.As(err, &mbe):
		return tooLarge(mbe.Limit)
	case errors.As(err, &de):
		return err
	case errors.Is(err, multipart.ErrMessageTooLarge):
		return tooLarge(limit)
	}
	return domain.Invalid("file", "the upload could not be read whole (a malformed multipart body, or the connection ended)")
}

func tooLarge(limit int64) error {
	return &domain.Error{Code: domain.CodeTooLarge, Message: fmt.Sprintf("the upload is larger than %d bytes", limit)}
}

func (api *API) getImport(w http.ResponseWriter, r *http.Request) {
	id, err := recordID(r, domain.KindImport)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	imp, err := api.records.GetImport(r.Context(), id)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toImportJSON(imp))
}

// importReport streams the report of an import's refused rows (see
// records.Service.ImportReport).
func (api *API) importReport(w http.ResponseWriter, r *http.Request) {
	id, err := recordID(r, domain.KindImport)
	if err != nil {
		api.writeError(w, r, err)
		return
	}
	out := &lazyResponse{w: w, begin: func() {
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="custos-import-`+string(id)+`-report.csv"`)
		w.WriteHeader(http.StatusOK)
	}}
	if err := api.records.ImportReport(r.Context(), id, out); err != nil {
		if !out.begun {
			api.writeError(w, r, err)
			return
		}
		// Headers are gone: abort so the client sees a broken transfer,
		// never a silently short report.
		api.log.Error("import report failed midway", "err", err)
		panic(http.ErrAbortHandler)
	}
}

// lazyResponse writes the response's headers at its first write.
type lazyResponse struct {
	w     http.ResponseWriter
	begin func()
	begun bool
}

func (l *lazyResponse) Write(p []byte) (int, error) {
	if !l.begun {
		l.begun = true
		l.begin()
	}
	return l.w.Write(p)
}
