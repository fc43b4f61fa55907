package cli

import (
	"context"
	"fmt"
	"strings"
)

// group is a command with subcommands (custos keys, custos audit, …).
type group struct {
	name   string    // the group's name: "keys"
	usage  string    // what follows "custos NAME" on the usage line
	footer string    // a paragraph after the list of commands
	subs   []command // in the order help lists them
}

// run dispatches args to a subcommand. No arguments print the usage to
// stderr (exit 2); -h, --help and help print it to stdout (exit 0); an
// unknown subcommand is an error naming the known ones.
func (g group) run(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := env.Stdout
		if len(args) == 0 {
			w = env.Stderr
		}
		fmt.Fprintf(w, "Usage: custos %s %s\n\nCommands:\n", g.name, g.usage)
		width := 0
		for _, c := range g.subs {
			width = max(width, len(c.name))
		}
		for _, c := range g.subs {
			fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
		}
		fmt.Fprintf(w, "\n%sRun 'custos %s <command> --help' for a command's flags.\n", g.footer, g.name)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	names := make([]string, len(g.subs))
	for i, c := range g.subs {
		if c.name == args[0] {
			return c.run(ctx, env, args[1:])
		}
		names[i] = c.name
	}
	fmt.Fprintf(env.Stderr, "custos %s: unknown command %q (%s)\n", g.name, args[0], strings.Join(names, ", "))
	return 2
}
