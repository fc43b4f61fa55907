package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/custoscrm/custos/internal/domain"
)

// cityCenters locates the demo regions' cities (WGS 84), so completed
// visits check in near the customer.
var cityCenters = map[string][2]float64{
	"北京市": {39.9042, 116.4074}, "上海市": {31.2304, 121.4737}, "广州市": {23.1291, 113.2644},
	"深圳市": {22.5431, 114.0579}, "杭州市": {30.2741, 120.1551}, "南京市": {32.0603, 118.7969},
	"苏州市": {31.2989, 120.5853}, "成都市": {30.5728, 104.0668}, "武汉市": {30.5928, 114.3055},
	"重庆市": {29.5630, 106.5516}, "西安市": {34.3416, 108.9398}, "青岛市": {36.0671, 120.3826},
	"天津市": {39.3434, 117.3616},
}

var (
	contactTitles = []string{"采购经理 Purchasing Manager", "门店店长 Store Manager", "财务主管 Finance Lead",
		"Operations Director", "物流主管 Logistics Supervisor", "Owner 老板"}
	dealTitles = []string{"年度冷链运输合同 Annual cold-chain contract", "Q3 restock order", "门店陈列升级 Store display upgrade",
		"冷库租赁 Cold storage lease", "代理记账服务 Bookkeeping service", "New store opening order",
		"温控设备采购 Temperature loggers", "Annual tax filing package", "节日促销备货 Holiday promotion stock"}
	visitOutcomes = []string{
		"店长同意下月增加冷饮陈列位，需要跟进报价。",
		"Met the store manager; shelf space agreed for the new range. Send the price list by Friday.",
		"冷库温度记录正常，客户对配送时效满意。",
		"Customer raised a late-delivery complaint; logistics to call back.",
		"老板不在，留下资料，下周再访。",
		"Stock check done: two SKUs out of stock, reorder placed.",
		"客户询问年度合同续签优惠，已反馈给经理。",
	}
	visitPlans = []string{"季度回访 Quarterly check-in", "Bring the new catalogue", "核对库存 Stock check",
		"Discuss contract renewal", ""}
	noteBodies = []string{
		"客户偏好上午送货，避开午高峰。",
		"Prefers WeChat for quick questions; email for quotes.",
		"财务每月25日对账，发票需提前寄出。",
		"Decision maker is the regional director; purchasing only recommends.",
		"去年因温控问题投诉过一次，已整改。",
	}
	taskTitles = []string{"发送报价单 Send the quote", "Call back about the delivery complaint",
		"准备续签合同 Prepare the renewal contract", "Collect the signed order form", "安排样品寄送 Ship samples"}
)

// Visit is one demo visit: the plan and, for visits that took place, the
// check-in and check-out positions and the outcome.
type Visit struct {
	Plan      *domain.VisitInput
	CheckIn   *domain.LocationInput // nil: not visited yet
	CheckOut  *domain.CheckOutInput
	Cancelled bool
}

// Activity is the demo records of one customer besides the customer
// itself. Customer ids and owners are filled in when loading.
type Activity struct {
	Contacts []*domain.ContactInput
	Deals    []*domain.DealInput
	Visits   []Visit
	Notes    []*domain.NoteInput
	Tasks    []*domain.TaskInput
}

func (g *Generator) activityRNG(i int) *rand.Rand {
	return rand.New(rand.NewPCG(g.seed^0x5eed_ac71, uint64(max(i, 0))*0x9e3779b97f4a7c15+7)) //nolint:gosec // reproducible demo data, not secrets
}

// Activity returns the i-th customer's deals, visits, contacts (for
// companies), notes and tasks; times are relative to now.
func (g *Generator) Activity(i int, c *domain.CustomerInput, now time.Time) *Activity {
	r := g.activityRNG(i)
	act := &Activity{}
	if c.Kind == domain.CustomerCompany {
		for k := range 1 + r.IntN(2) {
			first, last := pick(r, enFirst), pick(r, enLast)
			name := first + " " + last
			if r.IntN(2) == 0 {
				name = pick(r, cnSurnames) + pick(r, cnGiven)
			}
			act.Contacts = append(act.Contacts, &domain.ContactInput{
				Name: name, Phone: Phone(5_000_000 + 2*i + k), Title: pick(r, contactTitles),
				Email: fmt.Sprintf("%s.%d.%d@%s", strings.ToLower(first), i, k, pick(r, emailDomains)),
			})
		}
	}
	day := func(d int) string { return now.AddDate(0, 0, d).Format(time.DateOnly) }
	for range r.IntN(4) {
		amount := domain.AmountInput(fmt.Sprintf("%d.%02d", 5_000+r.IntN(2_000_000), r.IntN(100)))
		act.Deals = append(act.Deals, &domain.DealInput{
			Title: pick(r, dealTitles), Amount: &amount, Currency: "CNY",
			Stage:         pick(r, []domain.DealStage{domain.StageQualification, domain.StageProposal, domain.StageNegotiation, domain.StageWon, domain.StageLost}),
			ExpectedClose: day(r.IntN(240) - 60),
		})
	}
	center, ok := cityCenters[c.Address.City]
	if !ok {
		center = cityCenters["上海市"]
	}
	near := func() *domain.LocationInput {
		lat := center[0] + (r.Float64()-0.5)*0.08
		lng := center[1] + (r.Float64()-0.5)*0.08
		acc := float64(5 + r.IntN(60))
		return &domain.LocationInput{Lat: &lat, Lng: &lng, Accuracy: &acc}
	}
	for range r.IntN(4) {
		v := Visit{Plan: &domain.VisitInput{Notes: pick(r, visitPlans)}}
		switch r.IntN(4) {
		case 0, 1: // done earlier today
			v.Plan.PlannedAt = now.Add(-time.Duration(1+r.IntN(8)) * time.Hour).Format(time.RFC3339)
			v.CheckIn = near()
			outcome := pick(r, visitOutcomes)
			there := near()
			v.CheckOut = &domain.CheckOutInput{Lat: there.Lat, Lng: there.Lng, Accuracy: there.Accuracy, Notes: &outcome}
		case 2:
			v.Plan.PlannedAt = now.Add(time.Duration(1+r.IntN(14*24)) * time.Hour).Format(time.RFC3339)
		default:
			v.Plan.PlannedAt = now.Add(time.Duration(1+r.IntN(7*24)) * time.Hour).Format(time.RFC3339)
			v.Cancelled = r.IntN(3) == 0
		}
		act.Visits = append(act.Visits, v)
	}
	for range r.IntN(3) {
		act.Notes = append(act.Notes, &domain.NoteInput{Body: pick(r, noteBodies)})
	}
	for range r.IntN(3) {
		t := &domain.TaskInput{Title: pick(r, taskTitles), Status: domain.TaskOpen}
		if r.IntN(3) == 0 {
			t.Status = domain.TaskDone
		}
		if r.IntN(4) > 0 {
			t.DueAt = now.Add(time.Duration(r.IntN(21*24)-3*24) * time.Hour).Truncate(time.Hour).Format(time.RFC3339)
		}
		act.Tasks = append(act.Tasks, t)
	}
	return act
}
