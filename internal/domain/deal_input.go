package domain

// DealInput is everything a client may set when creating a deal. The
// amount is a decimal in the currency's units ("12345.67" CNY).
type DealInput struct {
	CustomerID    ID           `json:"customer_id"`
	Title         string       `json:"title"`
	Amount        *AmountInput `json:"amount"`
	Currency      string       `json:"currency"`
	Stage         DealStage    `json:"stage"`
	ExpectedClose string       `json:"expected_close"`
	OwnerID       ID           `json:"owner_id"`
}

// DealPatch is a partial update of a deal. The customer of a deal never
// changes.
type DealPatch struct {
	Title         *string      `json:"title"`
	Amount        *AmountInput `json:"amount"`
	Currency      *string      `json:"currency"`
	Stage         *DealStage   `json:"stage"`
	ExpectedClose *string      `json:"expected_close"`
	OwnerID       *ID          `json:"owner_id"`
}

// Apply validates and normalizes the patch onto d and returns the names of
// the fields it changed. Changing the currency of a deal with an amount
// needs the amount again (its minor units mean something else). On error
// d is unchanged.
func (p *DealPatch) Apply(d *Deal) ([]string, error) {
	next := *d
	var ch changes
	ch.text("title", p.Title, &next.Title, requiredShortText)
	ch.text("currency", p.Currency, &next.Currency, NormalizeCurrency)
	if ch.err == nil {
		switch {
		case p.Amount != nil:
			v, err := ParseAmount("amount", string(*p.Amount), next.Currency)
			if err != nil {
				return nil, err
			}
			ch.mark("amount", v != next.AmountMinor)
			next.AmountMinor = v
		case ch.has("currency") && next.AmountMinor != 0:
			return nil, Invalid("amount", "give the amount again when changing the currency")
		}
	}
	if ch.err == nil && p.Stage != nil {
		if !ValidDealStage(*p.Stage) {
			return nil, Invalid("stage", "stage must be qualification, proposal, negotiation, won or lost")
		}
		ch.mark("stage", *p.Stage != next.Stage)
		next.Stage = *p.Stage
	}
	ch.text("expected_close", p.ExpectedClose, &next.ExpectedClose, optionalDate)
	ch.id("owner_id", KindUser, p.OwnerID, &next.OwnerID)
	if ch.err != nil {
		return nil, ch.err
	}
	*d = next
	return ch.names, nil
}

// NewDeal validates a create input and returns the deal it describes
// (currency CNY and stage qualification unless given) and the fields it
// sets.
func NewDeal(in *DealInput) (*Deal, []string, error) {
	cid, err := requiredID("customer_id", KindCustomer, in.CustomerID)
	if err != nil {
		return nil, nil, err
	}
	if in.Title == "" {
		return nil, nil, Invalid("title", "title is required")
	}
	d := &Deal{CustomerID: cid, Currency: DefaultCurrency, Stage: StageQualification}
	p := &DealPatch{Title: &in.Title, Amount: in.Amount, Currency: given(in.Currency), Stage: given(in.Stage),
		ExpectedClose: given(in.ExpectedClose), OwnerID: given(in.OwnerID)}
	changed, err := p.Apply(d)
	if err != nil {
		return nil, nil, err
	}
	return d, changed, nil
}
