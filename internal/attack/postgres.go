package attack

import (
	"context"
	"fmt"
	"net/url"
	"regexp"

	"github.com/jackc/pgx/v5"
)

var dbNameRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// freshPostgresDB creates database name in the cluster of baseURL and
// returns its URL: every server on PostgreSQL gets an empty database of
// its own (a data directory's keys match one database only).
func freshPostgresDB(ctx context.Context, baseURL, name string) (string, error) {
	if !dbNameRe.MatchString(name) {
		return "", fmt.Errorf("bad database name %q", name)
	}
	conn, err := pgx.Connect(ctx, baseURL)
	if err != nil {
		return "", fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil { // name checked above
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", fmt.Errorf("parse PostgreSQL URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}
