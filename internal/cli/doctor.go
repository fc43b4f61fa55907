package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/wiring"
)

// runDoctor opens every sealed value Custos stores and lists the records
// whose data fails its integrity check. It works while a server on the
// same data directory keeps serving.
func runDoctor(ctx context.Context, env *Env, args []string) int {
	cfg := config.Defaults()
	fs := newFlagSet(env, "doctor", "--data DIR [--json]", `Check every stored record's integrity: open every sealed field of every
customer, contact, visit, note and task under its data key, and list each
record whose data key does not unwrap or whose sealed field fails
authentication (tampering, or a damaged disk) by kind, id, customer, field
and reason — never a value. Such records are served as unreadable (their
id and the reason, no data) while every other record keeps being served.
The check is recorded on the audit log. Exits 0 when every record is
readable, 1 when some are not, 2 on a usage error.`)
	groups := config.FlagData | config.FlagDatabase | config.FlagKeys | config.FlagLog
	cfg.Register(fs, groups)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if ok, code := parse(env, fs, args, &cfg, groups); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, "doctor takes no arguments (got %q)", fs.Arg(0))
	}
	if !wiring.Initialized(cfg) {
		return fail(env, "%s is not initialized", cfg.DataDir)
	}
	a, err := wiring.Open(ctx, cfg, cfg.NewLogger(env.Stderr), wiring.Options{})
	if err != nil {
		return fail(env, "%v", err)
	}
	defer a.Close()
	rep, err := a.Records.CheckIntegrity(a.SystemContext(ctx))
	if err != nil {
		return fail(env, "%v", err)
	}
	if *asJSON {
		type problem struct {
			Kind     string `json:"kind"`
			ID       string `json:"id"`
			Customer string `json:"customer_id"`
			Field    string `json:"field,omitempty"`
			Reason   string `json:"reason"`
		}
		out := struct {
			Checked    int64     `json:"checked"`
			Unreadable []problem `json:"unreadable"`
		}{Checked: rep.Checked, Unreadable: []problem{}}
		for _, p := range rep.Problems {
			out.Unreadable = append(out.Unreadable, problem{p.Kind, string(p.ID), string(p.Customer), p.Field, string(p.Reason)})
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return fail(env, "%v", err)
		}
	} else {
		fmt.Fprintf(env.Stdout, "checked %d records: %d unreadable\n", rep.Checked, len(rep.Problems))
		if len(rep.Problems) > 0 {
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KIND\tID\tCUSTOMER\tFIELD\tREASON")
			for _, p := range rep.Problems {
				field := p.Field
				if field == "" {
					field = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Kind, p.ID, p.Customer, field, p.Reason)
			}
			_ = tw.Flush()
		}
	}
	if len(rep.Problems) > 0 {
		return 1
	}
	return 0
}
