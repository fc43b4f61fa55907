package audit

import (
	"strconv"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// CSVColumns are the columns of a CSV export, in order: one per stored
// column of an event.
var CSVColumns = []string{"seq", "time", "actor_user", "actor_session", "actor_token", "actor_device", "source_ip",
	"user_agent", "request_id", "action", "target_type", "target_id", "target_ids", "fields", "outcome", "reason"}

// NeutralizeCSVCell defuses spreadsheet formula injection: a cell that
// starts with = + - @, a tab or a carriage return gets a leading quote,
// so spreadsheet programs show it as text instead of evaluating it.
func NeutralizeCSVCell(s string) string { return domain.NeutralizeCSVCell(s) }

// CSVRecord returns ev as a CSV row (CSVColumns), every cell neutralized.
// Lists are space-separated.
func CSVRecord(ev *domain.AuditEvent) []string {
	row := []string{strconv.FormatInt(ev.Seq, 10), ev.Time.UTC().Format(time.RFC3339Nano), string(ev.ActorUser),
		string(ev.ActorSession), string(ev.ActorToken), string(ev.ActorDevice), ev.SourceIP, ev.UserAgent, ev.RequestID,
		ev.Action, ev.TargetType, ev.TargetID, strings.Join(ev.TargetIDs, " "), strings.Join(ev.Fields, " "),
		string(ev.Outcome), ev.Reason}
	for i := range row {
		row[i] = NeutralizeCSVCell(row[i])
	}
	return row
}
