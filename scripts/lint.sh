#!/usr/bin/env bash
# Static checks for Custos: gofmt, go vet and golangci-lint.
#
# golangci-lint is not installed globally: its version is pinned in the
# separate module tools/go.mod (through a `tool` directive) and run with
#
#     go tool -modfile=tools/go.mod golangci-lint ...
#
# from the repository root. -modfile only tells the go command which module
# file resolves the tool; golangci-lint itself then loads the packages under
# lint through the repository's own go.mod, as any go command run here would.
# Keeping the linter in its own module keeps its many dependencies out of the
# server's go.mod. To upgrade it:
#
#     (cd tools && go get -tool github.com/golangci/golangci-lint/v2/cmd/golangci-lint@vX.Y.Z && go mod tidy)
#
# Extra arguments are passed to golangci-lint (e.g. --fix).
set -euo pipefail

cd "$(dirname "$0")/.."

echo "--> gofmt"
# testdata may hold Go files that are deliberately malformed.
unformatted=$(find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*' -print0 |
	xargs -0 -r gofmt -s -l)
if [[ -n $unformatted ]]; then
	echo "these files need gofmt -w:" >&2
	while IFS= read -r f; do
		echo "  $f" >&2
	done <<<"$unformatted"
	exit 1
fi

echo "--> go vet"
go vet ./...

echo "--> golangci-lint"
go tool -modfile=tools/go.mod golangci-lint version
go tool -modfile=tools/go.mod golangci-lint run --config .golangci.yml "$@" ./...
