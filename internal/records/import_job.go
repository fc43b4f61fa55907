package records

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// importJob is one import as it runs: its options, the actor it acts
// for, its record in the store (when it has one), its report and result.
type importJob struct {
	s   *Service
	a   *domain.Actor
	src ImportSource
	o   ImportOptions
	// imp is the stored record of the import; tracked is false for a dry
	// run of Import, which stores nothing.
	imp     *domain.Import
	tracked bool
	// keepReport stores the report of refused rows, sealed, for
	// ImportReport.
	keepReport bool
	res        *ImportResult
	lastSaved  time.Time
	// cols are the file's columns, lower case.
	cols []string
	// refs are the identifier columns contacts and deals named their
	// customers by (for the audit event).
	refs []string
}

func (s *Service) newJob(_ context.Context, a *domain.Actor, src ImportSource, o ImportOptions) *importJob {
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.MaxProblems <= 0 {
		o.MaxProblems = 1000
	}
	if o.Progress == nil {
		o.Progress = func(string, int) {}
	}
	if o.Owner == "" && !a.System {
		o.Owner = string(a.UserID)
	}
	now := s.now().UTC()
	return &importJob{s: s, a: a, src: src, o: o, res: &ImportResult{},
		imp: &domain.Import{ID: domain.NewIDAt(domain.KindImport, now), Kind: o.Kind, State: domain.ImportRunning,
			Phase: domain.PhaseValidate, Actor: a.UserID, Encoding: o.Encoding, RowsTotal: o.Rows, StartedAt: now}}
}

// create stores the running import.
func (j *importJob) create(ctx context.Context) error {
	if err := j.s.importJobs.CreateImport(ctx, j.imp); err != nil {
		return err
	}
	j.tracked, j.res.ID, j.lastSaved = true, j.imp.ID, time.Now()
	return nil
}

// run validates the file and, when every row is valid and this is no dry
// run, writes it.
func (j *importJob) run(ctx context.Context) (*ImportResult, error) {
	owners := &ownerCache{s: j.s, a: j.a, byRef: map[string]ownerEntry{}}
	if j.o.Owner != "" {
		if _, p := owners.resolve(ctx, j.o.Owner); p != nil {
			err := domain.Invalid("owner", "%s", p.Message)
			return nil, j.fail(ctx, err, "the default owner: "+p.Message)
		}
	}
	refs := &refCache{s: j.s, a: j.a, byRef: map[CustomerRef]refEntry{}}
	var err error
	switch j.o.Kind {
	case domain.ImportContacts:
		err = runKind(ctx, j, contactKind(j, refs))
	case domain.ImportDeals:
		err = runKind(ctx, j, dealKind(j, refs, owners))
	default:
		err = runKind(ctx, j, customerKind(j, owners))
	}
	return j.res, err
}

// runKind runs both passes for records of type T.
func runKind[T any](ctx context.Context, j *importJob, k importKind[T]) error {
	rep := newReportWriter(ctx, j)
	err := validatePass(ctx, j, k, rep)
	if err == nil {
		err = rep.close()
	}
	if err != nil {
		return j.fail(ctx, err, "the file could not be validated")
	}
	if j.res.ProblemCount > 0 {
		j.imp.State = domain.ImportInvalid
		err := errImportInvalid(j.res.ProblemCount, j.res.RowsInvalid)
		return errors.Join(err, j.end(ctx, domain.OutcomeError, domain.AsError(err).Message))
	}
	if j.o.DryRun {
		j.imp.State = domain.ImportValidated
		return j.end(ctx, domain.OutcomeAllowed, fmt.Sprintf("dry run: %d rows are valid; nothing was written", j.res.Rows))
	}
	err = writePass(ctx, j, k)
	if err == nil {
		err = j.finish(ctx)
	}
	if err != nil {
		actx := context.WithoutCancel(ctx)
		if rerr := j.s.removeImport(actx, j.imp.ID, "import failed; what it wrote was removed"); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove what the failed import wrote: %w", rerr))
		}
		j.res.Imported = 0
		j.imp.State, j.imp.Message = domain.ImportAborted, abortMessage(err)
		if eerr := j.s.importJobs.EndImport(actx, j.imp, j.s.now()); eerr != nil {
			err = errors.Join(err, eerr)
		}
	}
	return err
}

// finish marks a written import done with its audit event (the store
// writes the last of its blind-index entries first).
func (j *importJob) finish(ctx context.Context) error {
	j.imp.RowsDone = j.res.Imported
	if err := j.save(ctx, true); err != nil {
		return err
	}
	ev := domain.NewAuditEvent(ctx, j.s.now(), kindSpecs[j.o.Kind].action, "import", string(j.imp.ID))
	ev.Reason = fmt.Sprintf("%d %s", j.res.Imported, j.o.Kind)
	ev.Fields = j.refs
	return j.s.imports.FinishImport(ctx, j.imp.ID, j.res.Imported, j.s.now(), ev)
}

// fail ends an import that could not run its course: a dry run or an
// untracked import just returns err; a tracked one is marked aborted
// (nothing was written yet) with msg.
func (j *importJob) fail(ctx context.Context, err error, msg string) error {
	if !j.tracked {
		return err
	}
	var p *ImportProblem
	if errors.As(err, &p) || domain.ErrorCode(err) == domain.CodeInvalid {
		msg = domain.AsError(err).Message
		if p != nil {
			msg = p.Error()
		}
		j.imp.State = domain.ImportInvalid
	} else {
		j.imp.State = domain.ImportAborted
		if errors.Is(err, context.Canceled) {
			msg = "the import was interrupted"
		}
	}
	return errors.Join(err, j.end(context.WithoutCancel(ctx), domain.OutcomeError, msg))
}

// end stores the import's final state with its audit event.
func (j *importJob) end(ctx context.Context, outcome domain.Outcome, msg string) error {
	if !j.tracked {
		return nil
	}
	j.imp.Message = msg
	ev := domain.NewAuditEvent(ctx, j.s.now(), kindSpecs[j.o.Kind].action, "import", string(j.imp.ID))
	ev.Outcome, ev.Reason, ev.Fields = outcome, msg, j.refs
	return j.s.importJobs.EndImport(ctx, j.imp, j.s.now(), ev)
}

// progress tells the caller and, at most once a second (or when force),
// the store how far the import is; storing it also shows the import
// alive to other processes.
func (j *importJob) progress(ctx context.Context, phase string, rows int, force bool) error {
	j.o.Progress(phase, rows)
	j.imp.Phase, j.imp.RowsDone = phase, rows
	j.imp.Problems, j.imp.RowsInvalid = j.res.ProblemCount, j.res.RowsInvalid
	return j.save(ctx, force)
}

func (j *importJob) save(ctx context.Context, force bool) error {
	if !j.tracked || (!force && time.Since(j.lastSaved) < time.Second) {
		return nil
	}
	j.lastSaved = time.Now()
	return j.s.importJobs.ImportProgress(ctx, j.imp, j.s.now())
}

// problem counts one problem and lists it while the list has room.
func (j *importJob) problem(p ImportProblem) {
	j.res.ProblemCount++
	if len(j.res.Problems) < j.o.MaxProblems {
		j.res.Problems = append(j.res.Problems, p)
	}
}

// abortMessage says why a write failed, in words safe to show: the code's
// message for application errors (they name fields, never values).
func abortMessage(err error) string {
	if errors.Is(err, context.Canceled) {
		return "the import was interrupted; what it wrote was removed"
	}
	e := domain.AsError(err)
	if e.Code == domain.CodeInternal {
		return "the import failed; what it wrote was removed"
	}
	return e.Message + "; what the import wrote was removed"
}
