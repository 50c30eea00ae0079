package chat

import (
	"context"
	"time"
)

// Retention deletes support conversations a while after their last
// activity: the category's retention when it sets one, else the tenant's
// (TenantSettings.Retention, 4 years by default). A conversation goes with
// its messages, events, attachments, read state, drafts and notification
// records.
//
// The clean-up works in batches and deletes each conversation in its own
// short transaction, so it never holds locks for long. It is safe on many
// nodes at once: a conversation deleted by another node meanwhile answers
// ENotFound and is not counted, so each is deleted, and counted, once.

// Retention batch sizes and cadence.
const (
	retentionBatch = 100
	// retentionMaxRounds stops a run that keeps finding work (a guard,
	// never reached in practice: every round removes what it found).
	retentionMaxRounds = 10000
	// DefaultRetentionEvery is how often RetentionLoop runs.
	DefaultRetentionEvery = 24 * time.Hour
	// UnattachedUploadAge is how long an upload may wait for a message
	// before the clean-up removes it.
	UnattachedUploadAge = 24 * time.Hour
)

// RunRetention deletes the tenant's expired conversations and records the
// run under node. It is a system job for trusted code (RetentionLoop, the
// CLI); no adapter exposes it to remote callers. It returns the run with
// the conversations this call deleted.
func (s *ConversationService) RunRetention(ctx context.Context, tenantID int64, node string) (RetentionRun, error) {
	t, err := s.store.TenantGet(ctx, tenantID)
	if err != nil {
		return RetentionRun{}, err
	}
	run := RetentionRun{TenantID: tenantID, StartedAt: s.clock.Now(), Node: node}
	var runErr error
rounds:
	for range retentionMaxRounds {
		cs, err := s.store.ConversationsExpired(ctx, tenantID, t.Settings.Retention(), run.StartedAt, retentionBatch)
		if err != nil {
			runErr = err
			break
		}
		for _, c := range cs {
			if ctx.Err() != nil {
				runErr = ctx.Err()
				break rounds
			}
			err := s.store.ConversationDelete(ctx, tenantID, c.ID)
			switch {
			case err == nil:
				run.Deleted++
			case IsCode(err, ENotFound):
				// Another node deleted it first.
			default:
				runErr = err
				break rounds
			}
		}
		if len(cs) < retentionBatch {
			break
		}
	}
	// A run is recorded even when it stopped early, with what it did.
	if err := s.store.RetentionRunRecord(context.WithoutCancel(ctx), &run); err != nil && runErr == nil {
		runErr = err
	}
	if run.Deleted > 0 || runErr != nil {
		ev := s.log.Info()
		if runErr != nil {
			ev = s.log.Warn().Err(runErr)
		}
		ev.Int64("tenant", tenantID).Int64("deleted", run.Deleted).Str("node", node).Msg("retention run")
	}
	return run, runErr
}

// RetentionPreview lists (up to limit) the conversations of the caller's
// tenant that the next run would delete, oldest activity first. Tenant
// admins only. Errors: EUnauthenticated, EForbidden.
func (s *ConversationService) RetentionPreview(ctx context.Context, limit int) ([]Conversation, error) {
	p, err := retentionAdmin(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.store.TenantGet(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	return s.store.ConversationsExpired(ctx, p.TenantID, t.Settings.Retention(), s.clock.Now(), Page{Limit: limit}.Normalize().Limit)
}

// retentionAdmin returns the caller when it administers its tenant.
func retentionAdmin(ctx context.Context) (*Principal, error) {
	p, err := mustPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	if !p.TenantAdmin() {
		return nil, Errorf(EForbidden, "only tenant admins see the retention clean-up")
	}
	return p, nil
}

// RetentionRuns lists the tenant's recent clean-up runs, newest first.
// Tenant admins only. Errors: EUnauthenticated, EForbidden.
func (s *ConversationService) RetentionRuns(ctx context.Context, limit int) ([]RetentionRun, error) {
	p, err := retentionAdmin(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.RetentionRunList(ctx, p.TenantID, Page{Limit: limit}.Normalize().Limit)
}

// RetentionLoop runs the clean-up for every tenant now and then every
// `every` (0: DefaultRetentionEvery) until ctx ends, also removing uploads
// never attached to a message. Start it on every node: runs on several
// nodes at once are safe. It returns when ctx ends.
func (s *ConversationService) RetentionLoop(ctx context.Context, every time.Duration, node string) {
	if every <= 0 {
		every = DefaultRetentionEvery
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		s.RetentionPass(ctx, node)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// RetentionPass runs RunRetention for every tenant and removes stale
// unattached uploads; failures are logged and the pass goes on with the
// next tenant.
func (s *ConversationService) RetentionPass(ctx context.Context, node string) {
	page := Page{Limit: MaxPageSize}
	for ctx.Err() == nil {
		ts, err := s.store.TenantList(ctx, page)
		if err != nil {
			s.log.Warn().Err(err).Msg("retention: list tenants")
			return
		}
		for _, t := range ts {
			if _, err := s.RunRetention(ctx, t.ID, node); err != nil && ctx.Err() == nil {
				s.log.Warn().Err(err).Int64("tenant", t.ID).Msg("retention failed")
			}
		}
		if len(ts) < page.Limit {
			break
		}
		page.After = ts[len(ts)-1].ID
	}
	if ctx.Err() != nil {
		return
	}
	if n, err := s.store.AttachmentDeleteUnlinked(ctx, s.clock.Now().Add(-UnattachedUploadAge)); err != nil {
		s.log.Warn().Err(err).Msg("retention: unattached uploads")
	} else if n > 0 {
		s.log.Info().Int64("deleted", n).Msg("retention: unattached uploads removed")
	}
}
