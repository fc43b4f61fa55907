// Package architecture holds no code: its test checks the import
// direction that docs/architecture.md describes, so that a package
// reaching into a room it may not (a service importing the store, an
// adapter importing another adapter) fails the build's tests.
package architecture
