// Package demo generates realistic, unique CRM data — Chinese and English
// names, mainland mobile numbers, resident ID numbers and credit codes
// with valid check characters, addresses across China — for demo
// installations, imports and the load benchmark.
package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/custoscrm/custos/internal/domain"
)

var (
	cnSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
		"何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "萧", "田",
		"董", "潘", "袁", "蔡", "蒋", "余", "于", "杜", "叶", "程", "魏", "苏", "吕", "丁", "任", "卢", "欧阳", "司马"}
	cnGiven = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
		"超", "秀英", "霞", "平", "刚", "桂英", "建华", "文", "华", "红", "志强", "晓明", "丹", "宇", "浩", "子涵",
		"欣怡", "梓轩", "雨桐", "思远", "嘉怡", "俊杰", "佳琪", "一鸣"}
	enFirst = []string{"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David",
		"Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Daniel",
		"Karen", "Emma", "Oliver", "Sophia", "Lucas", "Mia", "Ethan", "Amelia", "Noah", "Olivia", "Liam"}
	enLast = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson",
		"Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark",
		"Lewis", "Walker", "Hall", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson"}

	companyStems = []string{"华夏", "东方", "恒信", "鼎盛", "瑞丰", "安达", "金桥", "新元", "天成", "嘉禾", "远航",
		"海纳", "宏图", "锦程", "中联", "汇通", "博雅", "长风", "润泽", "精诚"}
	companyTrades = []string{"冷链物流", "商贸", "食品", "医药", "财税咨询", "企业服务", "超市", "电子", "供应链", "餐饮管理"}
	enCompanies   = []string{"Northwind", "Bluewater", "Silverline", "Greenfield", "Summit", "Harbor", "Crescent",
		"Pioneer", "Evergreen", "Lakeside", "Redwood", "Keystone"}
	enTrades = []string{"Logistics", "Foods", "Retail", "Pharma", "Advisory", "Cold Chain", "Trading", "Distribution"}

	industries = []string{"cold-chain logistics", "retail", "food & beverage", "pharmaceuticals", "tax advisory",
		"business registration", "wholesale", "catering"}
	tags = []string{"vip", "key account", "new", "wholesale", "retail", "north", "south", "renewal", "at risk", "referral"}

	mobilePrefixes = []string{"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
		"155", "156", "157", "158", "159", "166", "177", "180", "181", "182", "183", "185", "186", "187", "188",
		"189", "191", "198", "199"}

	emailDomains = []string{"example.com", "example.cn", "mail.example.org", "corp.example.net"}
)

// Region is a province, city and district with its GB/T 2260 code.
type Region struct {
	Code                     string
	Province, City, District string
}

// Regions are real administrative divisions used for addresses and ID
// numbers.
var Regions = []Region{
	{"110101", "北京市", "北京市", "东城区"},
	{"110105", "北京市", "北京市", "朝阳区"},
	{"310101", "上海市", "上海市", "黄浦区"},
	{"310115", "上海市", "上海市", "浦东新区"},
	{"440106", "广东省", "广州市", "天河区"},
	{"440305", "广东省", "深圳市", "南山区"},
	{"440304", "广东省", "深圳市", "福田区"},
	{"330106", "浙江省", "杭州市", "西湖区"},
	{"320106", "江苏省", "南京市", "鼓楼区"},
	{"320505", "江苏省", "苏州市", "虎丘区"},
	{"510107", "四川省", "成都市", "武侯区"},
	{"420106", "湖北省", "武汉市", "武昌区"},
	{"500103", "重庆市", "重庆市", "渝中区"},
	{"610113", "陕西省", "西安市", "雁塔区"},
	{"370202", "山东省", "青岛市", "市南区"},
	{"120101", "天津市", "天津市", "和平区"},
}

var streets = []string{"中山路", "人民路", "解放路", "建设路", "和平路", "新华路", "长江路", "黄河路", "南京路", "滨江大道"}

// Generator makes customers deterministically from a seed. The i-th
// customer's phone, email, ID number and credit code are unique for i
// below 10,000,000.
type Generator struct {
	seed uint64
}

// NewGenerator returns a generator for seed.
func NewGenerator(seed uint64) *Generator { return &Generator{seed: seed} }

// rng returns the deterministic generator of the i-th record. Demo data
// must be reproducible, so it is math/rand, never used for secrets.
func (g *Generator) rng(i int) *rand.Rand {
	return rand.New(rand.NewPCG(g.seed, uint64(max(i, 0))*0x9e3779b97f4a7c15+1)) //nolint:gosec // reproducible test data, not secrets
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// Customer returns the i-th customer: about four in five are persons (two
// thirds of them with Chinese names), the rest companies.
func (g *Generator) Customer(i int) *domain.CustomerInput {
	r := g.rng(i)
	reg := Regions[i%len(Regions)]
	in := &domain.CustomerInput{
		Phone:    Phone(i),
		Address:  &domain.AddressInput{Province: reg.Province, City: reg.City, District: reg.District, Street: fmt.Sprintf("%s%d号", pick(r, streets), 1+r.IntN(899))},
		Industry: pick(r, industries),
		Status:   pick(r, []domain.CustomerStatus{domain.StatusLead, domain.StatusProspect, domain.StatusActive, domain.StatusActive, domain.StatusInactive}),
	}
	if n := r.IntN(3); n > 0 {
		seen := map[string]bool{}
		for range n {
			t := pick(r, tags)
			if !seen[t] {
				seen[t] = true
				in.Tags = append(in.Tags, t)
			}
		}
	}
	if r.IntN(5) == 0 {
		in.Kind = domain.CustomerCompany
		if r.IntN(3) == 0 {
			in.Name = fmt.Sprintf("%s %s Co. %d", pick(r, enCompanies), pick(r, enTrades), i)
		} else {
			in.Name = fmt.Sprintf("%s%s%s有限公司", reg.City[:len(reg.City)-len("市")], pick(r, companyStems), pick(r, companyTrades))
			if i >= 500 {
				// Company names are unique, as registered names are:
				// beyond the first few hundred, branches carry a number.
				in.Name += fmt.Sprintf("第%d分公司", i)
			}
		}
		in.TaxID = USCC(i)
		in.Email = fmt.Sprintf("contact%d@%s", i, pick(r, emailDomains))
		in.BankAccount = fmt.Sprintf("6222%012d", (i*7919+r.IntN(1000))%1_000_000_000_000)
		return in
	}
	in.Kind = domain.CustomerPerson
	if r.IntN(3) > 0 {
		in.Name = pick(r, cnSurnames) + pick(r, cnGiven)
		in.Email = fmt.Sprintf("user%d@%s", i, pick(r, emailDomains))
	} else {
		first, last := pick(r, enFirst), pick(r, enLast)
		in.Name = first + " " + last
		in.Email = fmt.Sprintf("%s.%s.%d@%s", strings.ToLower(first), strings.ToLower(last), i, pick(r, emailDomains))
	}
	in.IDNumber = ResidentID(i, reg.Code)
	in.IDType = domain.IDCNResident
	if r.IntN(4) == 0 {
		in.Company = fmt.Sprintf("%s%s", pick(r, companyStems), pick(r, companyTrades))
	}
	return in
}

// Phone returns a unique, valid mainland mobile number for i.
func Phone(i int) string {
	prefix := mobilePrefixes[i%len(mobilePrefixes)]
	n := (i/len(mobilePrefixes)*104729 + 12345678) % 100_000_000
	return fmt.Sprintf("%s%08d", prefix, n)
}

// ResidentID returns a unique resident ID number for i in the region code
// given, with a valid birth date and check character.
func ResidentID(i int, region string) string {
	// 21,900 birth dates (1960 onward) × 1,000 sequence numbers.
	day := i % 21900
	seq := (i / 21900) % 1000
	y, m, d := civilFromDays(day + 3653) // days since 1950-01-01, starting 1960
	body := fmt.Sprintf("%s%04d%02d%02d%03d", region, y, m, d, seq)
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for k := 0; k < 17; k++ {
		sum += int(body[k]-'0') * weights[k]
	}
	return body + string("10X98765432"[sum%11])
}

func civilFromDays(n int) (int, int, int) {
	y, d := 1950, 1
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	for {
		ylen := 365
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			ylen = 366
		}
		if n < ylen {
			break
		}
		n -= ylen
		y++
	}
	leap := y%4 == 0 && (y%100 != 0 || y%400 == 0)
	m := 1
	for ; m <= 12; m++ {
		ml := days[m]
		if m == 2 && leap {
			ml = 29
		}
		if n < ml {
			break
		}
		n -= ml
	}
	d += n
	return y, m, d
}

// USCC returns a unique unified social credit code for i with a valid
// check character.
func USCC(i int) string {
	const chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	body := fmt.Sprintf("91%s%09d", Regions[i%len(Regions)].Code, i)
	sum := 0
	for k := 0; k < 17; k++ {
		sum += strings.IndexByte(chars, body[k]) * weights[k]
	}
	return body + string(chars[(31-sum%31)%31])
}
