package domain

import "time"

// changes applies the fields a patch sets to a copy of a record and
// collects the names of those whose value changed, in the order applied.
// After the first error it does nothing more.
type changes struct {
	names []string
	err   error
}

func (c *changes) mark(field string, differs bool) {
	if differs {
		c.names = append(c.names, field)
	}
}

func (c *changes) has(field string) bool {
	for _, n := range c.names {
		if n == field {
			return true
		}
	}
	return false
}

func (c *changes) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// text normalizes *in with norm into *dst when in is set.
func (c *changes) text(field string, in *string, dst *string, norm func(field, s string) (string, error)) {
	if c.err != nil || in == nil {
		return
	}
	v, err := norm(field, *in)
	if err != nil {
		c.fail(err)
		return
	}
	c.mark(field, v != *dst)
	*dst = v
}

// id parses *in as an id of kind into *dst when in is set.
func (c *changes) id(field, kind string, in *ID, dst *ID) {
	if c.err != nil || in == nil {
		return
	}
	v, err := ParseID(kind, field, string(*in))
	if err != nil {
		c.fail(err)
		return
	}
	c.mark(field, v != *dst)
	*dst = v
}

// time parses *in as an RFC 3339 time into *dst when in is set; the empty
// string clears an optional time, and is refused when required.
func (c *changes) time(field string, in *string, dst *time.Time, required bool) {
	if c.err != nil || in == nil {
		return
	}
	var v time.Time
	if *in != "" || required {
		var err error
		if v, err = ParseTime(field, *in); err != nil {
			c.fail(err)
			return
		}
	}
	c.mark(field, !v.Equal(*dst))
	*dst = v
}

// Normalizers for patch fields.

func requiredName(field, s string) (string, error) {
	v, err := NormalizeName(field, s)
	if err == nil && v == "" {
		err = Invalid(field, "%s is required", field)
	}
	return v, err
}

func optionalPhone(field, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	return NormalizePhone(field, s, DefaultPhoneRegion)
}

func optionalEmail(field, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	return NormalizeEmail(field, s)
}

func shortText(field, s string) (string, error) {
	return NormalizeText(field, s, MaxShortText, false)
}

func requiredShortText(field, s string) (string, error) {
	v, err := NormalizeText(field, s, MaxShortText, false)
	if err == nil && v == "" {
		err = Invalid(field, "%s is required", field)
	}
	return v, err
}

func longText(field, s string) (string, error) {
	return NormalizeText(field, s, MaxLongText, true)
}

func requiredLongText(field, s string) (string, error) {
	v, err := longText(field, s)
	if err == nil && v == "" {
		err = Invalid(field, "%s is required", field)
	}
	return v, err
}

func optionalDate(field, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	return ParseDate(field, s)
}

// requiredID parses the id of the record a new one belongs to.
func requiredID(field, kind string, v ID) (ID, error) {
	if v == "" {
		return "", Invalid(field, "%s is required", field)
	}
	return ParseID(kind, field, string(v))
}

// given returns &v for a non-empty create field and nil otherwise, so a
// create input becomes a patch over an empty record.
func given[T ~string](v T) *T {
	if v == "" {
		return nil
	}
	return &v
}
