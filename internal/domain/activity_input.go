package domain

// NoteInput is everything a client may set when writing a note.
type NoteInput struct {
	CustomerID ID     `json:"customer_id"`
	Body       string `json:"body"`
}

// NotePatch is a partial update of a note.
type NotePatch struct {
	Body *string `json:"body"`
}

// Apply validates the patch onto n and returns the names of the fields it
// changed. On error n is unchanged.
func (p *NotePatch) Apply(n *Note) ([]string, error) {
	next := *n
	var ch changes
	ch.text("body", p.Body, &next.Body, requiredLongText)
	if ch.err != nil {
		return nil, ch.err
	}
	*n = next
	return ch.names, nil
}

// NewNote validates a create input and returns the note it describes.
func NewNote(in *NoteInput) (*Note, []string, error) {
	cid, err := requiredID("customer_id", KindCustomer, in.CustomerID)
	if err != nil {
		return nil, nil, err
	}
	n := &Note{CustomerID: cid}
	changed, err := (&NotePatch{Body: &in.Body}).Apply(n)
	if err != nil {
		return nil, nil, err
	}
	return n, changed, nil
}

// ValidTaskStatus reports whether s is a known task status.
func ValidTaskStatus(s TaskStatus) bool { return s == TaskOpen || s == TaskDone }

// TaskInput is everything a client may set when creating a task.
type TaskInput struct {
	CustomerID ID         `json:"customer_id"`
	Title      string     `json:"title"`
	DueAt      string     `json:"due_at"` // RFC 3339, optional
	AssigneeID ID         `json:"assignee_id"`
	Status     TaskStatus `json:"status"`
}

// TaskPatch is a partial update of a task; "due_at": "" clears the due
// time.
type TaskPatch struct {
	Title      *string     `json:"title"`
	DueAt      *string     `json:"due_at"`
	AssigneeID *ID         `json:"assignee_id"`
	Status     *TaskStatus `json:"status"`
}

// Apply validates the patch onto t and returns the names of the fields it
// changed. On error t is unchanged.
func (p *TaskPatch) Apply(t *Task) ([]string, error) {
	next := *t
	var ch changes
	ch.text("title", p.Title, &next.Title, requiredShortText)
	ch.time("due_at", p.DueAt, &next.DueAt, false)
	ch.id("assignee_id", KindUser, p.AssigneeID, &next.AssigneeID)
	if ch.err == nil && p.Status != nil {
		if !ValidTaskStatus(*p.Status) {
			return nil, Invalid("status", "status must be open or done")
		}
		ch.mark("status", *p.Status != next.Status)
		next.Status = *p.Status
	}
	if ch.err != nil {
		return nil, ch.err
	}
	*t = next
	return ch.names, nil
}

// NewTask validates a create input and returns the open task it
// describes and the fields it sets.
func NewTask(in *TaskInput) (*Task, []string, error) {
	cid, err := requiredID("customer_id", KindCustomer, in.CustomerID)
	if err != nil {
		return nil, nil, err
	}
	t := &Task{CustomerID: cid, Status: TaskOpen}
	p := &TaskPatch{Title: &in.Title, DueAt: given(in.DueAt), AssigneeID: given(in.AssigneeID), Status: given(in.Status)}
	changed, err := p.Apply(t)
	if err != nil {
		return nil, nil, err
	}
	return t, changed, nil
}
