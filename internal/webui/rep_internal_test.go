package webui

import "testing"

// Every field a card form marks invalid has its message, and every
// notice the rep's pages redirect with is in the catalog.
func TestRepMessagesExist(t *testing.T) {
	cat, err := newCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range cardForms {
		if f.section() == "" {
			t.Errorf("form %s lands on no section", f.name)
		}
		for _, field := range f.fields {
			if k := "card.invalid." + f.name + "." + field; !cat.keys[k] {
				t.Errorf("no message %q", k)
			}
		}
	}
	for _, n := range []string{"note_added", "deal_added", "task_added", "task_done", "visit_planned", "checked_in", "checked_out"} {
		if !cat.keys["notice."+n] {
			t.Errorf("no notice %q", n)
		}
	}
}
