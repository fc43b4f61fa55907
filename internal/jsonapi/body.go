package jsonapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/custoscrm/custos/internal/domain"
)

// decodeOptionalJSON decodes a JSON object body into v like decodeJSON,
// but accepts an absent body (v stays as it is).
func decodeOptionalJSON(r *http.Request, v any) error {
	b, err := readBody(r)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return err
	}
	return DecodeStrict(b, v)
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &domain.Error{Code: domain.CodeTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", mbe.Limit)}
		}
		return nil, domain.Invalid("", "could not read the body")
	}
	return b, nil
}

// emptyBody accepts a request without a body, or with an empty JSON
// object, for actions that take no input; anything else is refused.
func emptyBody(r *http.Request) error {
	var none struct{}
	return decodeOptionalJSON(r, &none)
}
