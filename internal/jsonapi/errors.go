package jsonapi

import (
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/custoscrm/custos/internal/domain"
)

// statusOf is the one table mapping application error codes to HTTP.
var statusOf = map[domain.Code]int{
	domain.CodeInvalid:         http.StatusBadRequest,
	domain.CodeUnauthenticated: http.StatusUnauthorized,
	domain.CodeStepUpRequired:  http.StatusUnauthorized,
	domain.CodeForbidden:       http.StatusForbidden,
	// A session that must set a new password or enroll a second factor
	// first: authenticated, not yet allowed.
	domain.CodeMFAEnrollmentRequired:  http.StatusForbidden,
	domain.CodePasswordChangeRequired: http.StatusForbidden,
	domain.CodeNotFound:               http.StatusNotFound,
	domain.CodeConflict:               http.StatusConflict,
	domain.CodePreconditionFailed:     http.StatusPreconditionFailed,
	domain.CodeTooLarge:               http.StatusRequestEntityTooLarge,
	domain.CodeRateLimited:            http.StatusTooManyRequests,
	domain.CodeUnavailable:            http.StatusServiceUnavailable,
	domain.CodeStoreUnavailable:       http.StatusServiceUnavailable,
	// Stored data that fails its integrity check is the server's fault,
	// and said plainly.
	domain.CodeUnreadable: http.StatusInternalServerError,
	domain.CodeInternal:   http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for an error code.
func StatusOf(c domain.Code) int {
	if s, ok := statusOf[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error errorDetail `json:"error"`
	// Duplicate says what the caller may know of the customer that
	// already holds a value they tried to set (see duplicate.go).
	Duplicate *duplicateJSON `json:"duplicate,omitempty"`
}

type errorDetail struct {
	Code    domain.Code `json:"code"`
	Message string      `json:"message"`
	Field   string      `json:"field,omitempty"`
}

// writeError answers with err's code and safe message. Internal errors
// answer a generic message; their detail goes to the log with the request
// id (and never contains personal data: store and service errors name ids
// and fields, not values).
func (api *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := domain.AsError(err)
	status := StatusOf(e.Code)
	msg := e.Message
	if e.Code == domain.CodeInternal || msg == "" {
		if e.Code == domain.CodeInternal {
			msg = "internal error"
		} else {
			msg = http.StatusText(status)
		}
	}
	if status >= 500 {
		api.log.Error("request failed", slog.String("request_id", domain.RequestInfoFrom(r.Context()).RequestID),
			slog.String("route", r.Pattern), slog.String("code", string(e.Code)), slog.Any("err", errors.Unwrap(e)))
	}
	if e.Code == domain.CodeUnauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="custos"`)
	}
	if e.Code == domain.CodeStepUpRequired {
		w.Header().Set("WWW-Authenticate", `Bearer realm="custos", error="insufficient_user_authentication"`)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(e.RetryAfter.Seconds())), 10))
	}
	body := errorBody{Error: errorDetail{Code: e.Code, Message: msg, Field: e.Field}}
	var dup *domain.DuplicateError
	if errors.As(err, &dup) {
		body.Duplicate = toDuplicateJSON(dup.Duplicate)
	}
	writeJSON(w, status, body)
}
