package jsonapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

// decodeJSON reads exactly one JSON object from the request body into v.
// Unknown fields, wrong types, trailing data, an empty body and a body
// over the size limit are refused with an error naming what was wrong.
// The body is read as JSON whatever its Content-Type says: API calls
// authenticate with bearer tokens, never cookies, so there is no
// cross-site form to guard against here.
func decodeJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &domain.Error{Code: domain.CodeTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", mbe.Limit)}
		}
		return domain.Invalid("", "could not read the body")
	}
	return DecodeStrict(body, v)
}

// DecodeStrict decodes one JSON value from b into v, refusing unknown
// fields and trailing data, and naming the offending field in errors.
// Invalid UTF-8, lone surrogate escapes and duplicate member names are
// refused before decoding (checkJSON), so v holds exactly what was sent.
func DecodeStrict(b []byte, v any) error {
	if len(bytes.TrimSpace(b)) == 0 {
		return domain.Invalid("", "the body is empty; send a JSON object")
	}
	if err := checkJSON(b); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return domain.Invalid("", "the body holds more than one JSON value")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err != io.EOF {
		return domain.Invalid("", "the body holds data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return domain.Invalid("", "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return domain.Invalid("", "the body must be a JSON object")
		}
		return domain.Invalid(field, "%s must be %s, not %s", field, jsonTypeName(typ.Type.Kind().String()), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return domain.Invalid("", "the JSON ends too early")
	}
	// encoding/json reports unknown fields only by message.
	const unknown = "json: unknown field "
	if msg := err.Error(); strings.HasPrefix(msg, unknown) {
		field := clip(strings.Trim(strings.TrimPrefix(msg, unknown), `"`), 64)
		return domain.Invalid(field, "unknown field %q", field)
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return de
	}
	return domain.Invalid("", "malformed JSON: %s", safeJSONMessage(err))
}

// safeJSONMessage keeps decoder messages short and free of input echoes.
func safeJSONMessage(err error) string {
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return strings.TrimPrefix(msg, "json: ")
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	case "bool":
		return "true or false"
	case "float64", "float32", "int", "int64", "int32", "uint32", "uint64", "uint8":
		return "a number"
	}
	return kind
}

// writeJSON answers with status and v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
