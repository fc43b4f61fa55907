package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/custoscrm/custos/internal/demo"
)

// importSeeder seeds a started server's data directory by writing n
// generated customers to a CSV file and running `custos import customers`
// on it, as an operator would (the server keeps serving meanwhile).
func importSeeder(binary string) func(ctx context.Context, dataDir, databaseURL, owner string, n int) error {
	return func(ctx context.Context, dataDir, databaseURL, owner string, n int) error {
		f, err := os.CreateTemp(filepath.Dir(dataDir), "seed-*.csv")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		w := bufio.NewWriterSize(f, 1<<20)
		if err := demo.NewGenerator(1).WriteCSV(w, 0, n); err != nil {
			_ = f.Close()
			return err
		}
		if err := w.Flush(); err != nil {
			_ = f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		args := []string{"import", "customers", "--data", dataDir, "--owner", owner, "--quiet", "--log-level", "warn"}
		if databaseURL != "" {
			args = append(args, "--database-url", databaseURL)
		}
		out, err := exec.CommandContext(ctx, binary, append(args, f.Name())...).CombinedOutput() //nolint:gosec // our own binary
		if err != nil {
			return fmt.Errorf("custos import: %w: %s", err, out)
		}
		return nil
	}
}
