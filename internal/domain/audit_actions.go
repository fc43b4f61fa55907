package domain

// Audit action names follow one scheme: "<object>.<verb>", lower case,
// words joined by underscores — the object is what the action is about
// (auth, session, customer, user, token, role, key, config, audit…) and
// the verb what happened to it. Outcome (allowed, denied, error) and the
// reason are separate fields, so a refused read is "customer.read" with
// outcome denied, never a separate "customer.read_denied" action.
// Code that records events uses these constants; new capabilities add
// theirs here so the list in docs/audit.md stays complete.
const (
	// Sign-in and sessions.
	ActionLogin      = "auth.login"     // password sign-in (allowed or denied)
	ActionLogout     = "auth.logout"    // the user ended their session
	ActionMFA        = "auth.mfa"       // second factor checked
	ActionStepUp     = "auth.step_up"   // re-authentication for a sensitive action
	ActionThrottled  = "auth.throttled" // sign-in refused by throttling or lockout
	ActionSessionEnd = "session.end"    // a session ended without logout (expiry, idle, limit, revocation)

	// Customer records.
	ActionCustomerCreate = "customer.create"
	ActionCustomerRead   = "customer.read"   // unmasked personal fields read (fields named)
	ActionCustomerUpdate = "customer.update" // fields changed (named, never values)
	ActionCustomerDelete = "customer.delete"
	ActionCustomerList   = "customer.list"   // a page with unmasked personal fields
	ActionCustomerSearch = "customer.search" // a partial search (q): the fields searched and the ids found, never the query
	ActionCustomerLookup = "customer.lookup" // an exact lookup by phone, email, id number or tax id
	ActionCustomerReveal = "customer.reveal" // a masked field revealed, with the reason
	ActionCustomerExport = "customer.export"
	ActionCustomerImport = "customer.import"
	// A create (or change) met a customer that already holds one of its
	// identifiers or its company name: the field is named, the target is
	// the customer holding it, the reason says what the caller was told.
	ActionCustomerDuplicate = "customer.duplicate"
	// A customer whose stored data failed its integrity check was met
	// (outcome error; the reason names the action and the failure).
	ActionCustomerUnreadable = "customer.unreadable"
	// Every stored record's integrity was checked (custos doctor).
	ActionDataIntegrityCheck = "data.integrity_check"

	// The customer pool (公海池). The target is the customer; the
	// reason names the owners involved by id.
	ActionPoolClaim           = "pool.claim"            // a rep took a pool customer
	ActionPoolAssign          = "pool.assign"           // a manager gave a pool customer to a rep
	ActionPoolRelease         = "pool.release"          // the owner gave their customer back
	ActionPoolReclaim         = "pool.reclaim"          // a manager took a rep's customer back
	ActionPoolReturn          = "pool.return"           // no follow-up for the team's return period
	ActionPoolWarn            = "pool.warn"             // the owner was warned of a coming return
	ActionPoolSettings        = "pool.settings_update"  // a team's pool settings changed (fields named)
	ActionPoolTransferRequest = "pool.transfer_request" // a duplicate's owner's managers were asked for it

	// People, permissions and keys.
	ActionUserCreate   = "user.create"
	ActionUserRead     = "user.read"
	ActionUserList     = "user.list"
	ActionUserUpdate   = "user.update"
	ActionUserDisable  = "user.disable"
	ActionRoleChange   = "user.role_change"
	ActionTeamCreate   = "team.create"
	ActionTokenCreate  = "token.create"
	ActionTokenRevoke  = "token.revoke"
	ActionKeyRotate    = "key.rotate"
	ActionKeyDestroy   = "key.destroy"
	ActionConfigChange = "config.change"

	// The audit log itself.
	ActionAuditCheckpoint = "audit.checkpoint" // the latest checkpoint was requested (recorded when denied)
	ActionAuditProof      = "audit.proof"      // a proof was requested (recorded when denied)
	ActionAuditSearch     = "audit.search"     // an auditor queried the log
	ActionAuditExport     = "audit.export"     // an auditor exported a range
	ActionAuditActivity   = "audit.activity"   // an auditor counted events per hour and reveals and exports per user
)
