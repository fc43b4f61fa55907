// Command custos is the Custos CRM server and its operator tools.
package main

import (
	"context"
	"os"

	"github.com/custoscrm/custos/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), &cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}, os.Args[1:]))
}
