package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/custoscrm/custos/internal/config"
	"github.com/custoscrm/custos/internal/jobs"
	"github.com/custoscrm/custos/internal/wiring"
)

// runPool holds the operator's view of the customer pool: every team's
// pool settings, and the automatic return run now. Both act as the
// system through the pool service (and its audit log), like the API.
func runPool(ctx context.Context, env *Env, args []string) int {
	return group{name: "pool", usage: "<command> --data DIR [flags]",
		footer: "The customer pool (公海池) holds customers without an owner; see docs/pool.md.\n",
		subs: []command{
			{"settings", "list every team's pool settings (daily claims, most owned, return and warning days)", runPoolSettings},
			{"return", "run the automatic return now: warn owners, return customers without a follow-up to the pool", runPoolReturn},
		}}.run(ctx, env, args)
}

const poolGroups = config.FlagData | config.FlagDatabase | config.FlagKeys | config.FlagLog

// poolCommand parses a pool command's flags and opens Custos.
func poolCommand(ctx context.Context, env *Env, name, description string, args []string) (*wiring.App, bool, bool, int) {
	cfg := config.Defaults()
	fs := newFlagSet(env, "pool "+name, "--data DIR [--json]", description)
	cfg.Register(fs, poolGroups)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if ok, code := parse(env, fs, args, &cfg, poolGroups); !ok {
		return nil, false, false, code
	}
	if fs.NArg() > 0 {
		return nil, false, false, fail(env, "pool %s takes no arguments (got %q)", name, fs.Arg(0))
	}
	if !wiring.Initialized(cfg) {
		return nil, false, false, fail(env, "%s is not initialized", cfg.DataDir)
	}
	a, err := wiring.Open(ctx, cfg, cfg.NewLogger(env.Stderr), wiring.Options{})
	if err != nil {
		return nil, false, false, fail(env, "%v", err)
	}
	return a, *asJSON, true, 0
}

func runPoolSettings(ctx context.Context, env *Env, args []string) int {
	a, asJSON, ok, code := poolCommand(ctx, env, "settings", `List every team's customer pool settings: how many customers a rep may
claim in any 24 hours, how many they may own and still claim, after how
many days without a follow-up an owned customer returns to the pool
(0: never), and how many days before that its owner is warned. Teams that
never set theirs show the defaults. Managers change them with
PUT /api/v1/teams/{id}/pool-settings. Exit status: 0 shown, 1 failed,
2 bad usage.`, args)
	if !ok {
		return code
	}
	defer a.Close()
	all, err := a.Pool.AllSettings(a.SystemContext(ctx))
	if err != nil {
		return fail(env, "%v", err)
	}
	if asJSON {
		type row struct {
			TeamID      string `json:"team_id"`
			TeamName    string `json:"team_name"`
			DailyClaims int    `json:"daily_claims"`
			MaxOwned    int    `json:"max_owned"`
			ReturnDays  int    `json:"return_days"`
			WarnDays    int    `json:"warn_days"`
			Default     bool   `json:"default"`
		}
		rows := make([]row, 0, len(all))
		for _, p := range all {
			rows = append(rows, row{string(p.TeamID), p.TeamName, p.DailyClaims, p.MaxOwned, p.ReturnDays, p.WarnDays, p.Default})
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rows)
		return 0
	}
	if len(all) == 0 {
		fmt.Fprintln(env.Stdout, "No teams yet.")
		return 0
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TEAM\tID\tCLAIMS/24H\tMOST OWNED\tRETURN AFTER\tWARN BEFORE\t")
	for _, p := range all {
		ret, warn := fmt.Sprintf("%d days", p.ReturnDays), fmt.Sprintf("%d days", p.WarnDays)
		if p.ReturnDays == 0 {
			ret, warn = "never", "-"
		}
		def := ""
		if p.Default {
			def = "(defaults)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\n", p.TeamName, p.TeamID, p.DailyClaims, p.MaxOwned, ret, warn, def)
	}
	_ = tw.Flush()
	return 0
}

func runPoolReturn(ctx context.Context, env *Env, args []string) int {
	a, asJSON, ok, code := poolCommand(ctx, env, "return", `Run the customer pool's automatic return now, as the server does every
--pool-return-interval: warn the owners of customers whose return is near,
and return to their team's pool the customers that went without a
follow-up (a visit, a note, a deal change) for their team's return
period. It takes the job's lease, so it never runs beside a server doing
the same (exit 1 if one is); running it again changes nothing until time
moves on. Every warning and return is on the audit log. Exit status: 0
done, 1 failed, 2 bad usage.`, args)
	if !ok {
		return code
	}
	defer a.Close()
	job := a.PoolReturnJob()
	var rep struct {
		Warned   int `json:"warned"`
		Returned int `json:"returned"`
		Skipped  int `json:"skipped"`
	}
	job.Run = func(ctx context.Context) error {
		r, err := a.Pool.ReturnDue(a.SystemContext(ctx))
		rep.Warned, rep.Returned, rep.Skipped = r.Warned, r.Returned, r.Skipped
		return err
	}
	if err := a.Jobs.RunNow(ctx, job); err != nil {
		if errors.Is(err, jobs.ErrHeld) {
			return fail(env, "the return is running on another node or process now; try again later")
		}
		return fail(env, "%v", err)
	}
	if asJSON {
		_ = json.NewEncoder(env.Stdout).Encode(rep)
		return 0
	}
	fmt.Fprintf(env.Stdout, "Warned %d owners; returned %d customers to the pool (%d followed up or moved meanwhile).\n",
		rep.Warned, rep.Returned, rep.Skipped)
	return 0
}
