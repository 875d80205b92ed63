// Package gen generates labelled person records with the corruptions real
// customer data has: placeholder and reformatted birth dates, surnames in
// the first-name column, missing surnames, titles, nicknames, typos,
// transposed address lines, moves, and people who are not duplicates but
// look alike (households sharing an address and phone, twins). Output is
// deterministic for a seed.
package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/tessera-cdp/tessera/internal/matching"
)

// Options of a generated data set.
type Options struct {
	People int    // distinct people (default 2000)
	Seed   uint64 // random seed
}

// Columns are the CSV columns: rec_id, person_id and the default schema's
// fields (matching.DefaultSchema) plus gender.
var Columns = []string{"rec_id", "person_id", matching.FFirstName, matching.FLastName, matching.FBirthDate,
	matching.FStreetNumber, matching.FStreet, matching.FStreet2, matching.FSuburb, matching.FPostcode, matching.FState,
	matching.FPhone, matching.FEmail, matching.FGender}

type person struct {
	id                     string
	first, last, gender    string
	y, mo, d               int
	number, street, line2  string
	city, postcode, region string
	phone, email           string
}

// Generate returns the rows (without header) of a data set.
func Generate(o Options) [][]string {
	if o.People <= 0 {
		o.People = 2000
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	g := &generator{rng: rng}
	var people []person
	for len(people) < o.People {
		p := g.newPerson(len(people))
		people = append(people, p)
		switch x := rng.Float64(); {
		case x < 0.02 && len(people) < o.People: // a twin: same surname, birth date, address
			t := p
			t.id = fmt.Sprintf("p%05d", len(people))
			t.gender = g.gender()
			for t.first == p.first {
				t.first = g.firstName(t.gender)
			}
			t.email = g.emailOf(t)
			t.phone = g.phone()
			people = append(people, t)
		case x < 0.25: // a household of 1-3 more: same address and landline, often the surname
			for k := rng.IntN(3); k >= 0 && len(people) < o.People; k-- {
				h := g.newPerson(len(people))
				h.number, h.street, h.line2, h.city, h.postcode, h.region = p.number, p.street, p.line2, p.city, p.postcode, p.region
				if rng.Float64() < 0.8 {
					h.last = p.last
				}
				if rng.Float64() < 0.3 {
					h.phone = p.phone
				}
				h.email = g.emailOf(h)
				people = append(people, h)
			}
		}
	}
	var rows [][]string
	n := 0
	for _, p := range people {
		k := 1 + int(math.Floor(-math.Log(1-rng.Float64())*0.9)) // 1 record, often 2-3, a few more
		k = min(k, 12)
		for i := 0; i < k; i++ {
			rows = append(rows, g.record(fmt.Sprintf("r%05d", n), p, i > 0))
			n++
		}
	}
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	return rows
}

type generator struct{ rng *rand.Rand }

// zipf picks an index of a list of n, the first ones far more often (names
// are that way: a match on "smith" says less than on a rare name).
func (g *generator) zipf(n int) int {
	for {
		i := int(math.Floor(math.Pow(float64(n+1), g.rng.Float64()))) - 1
		if i >= 0 && i < n {
			return i
		}
	}
}

func (g *generator) gender() string {
	if g.rng.IntN(2) == 0 {
		return "f"
	}
	return "m"
}

func (g *generator) firstName(gender string) string {
	if gender == "f" {
		return femaleNames[g.zipf(len(femaleNames))]
	}
	return maleNames[g.zipf(len(maleNames))]
}

func (g *generator) phone() string {
	return fmt.Sprintf("07%03d %06d", 700+g.rng.IntN(300), g.rng.IntN(1000000))
}

func (g *generator) emailOf(p person) string {
	domains := []string{"mail.example", "post.example", "inbox.example", "web.example"}
	switch g.rng.IntN(3) {
	case 0:
		return fmt.Sprintf("%s.%s@%s", p.first, p.last, domains[g.rng.IntN(len(domains))])
	case 1:
		return fmt.Sprintf("%c%s%d@%s", p.first[0], p.last, g.rng.IntN(100), domains[g.rng.IntN(len(domains))])
	}
	return fmt.Sprintf("%s%d@%s", p.first, 1950+g.rng.IntN(60), domains[g.rng.IntN(len(domains))])
}

func (g *generator) newPerson(i int) person {
	c := cities[g.rng.IntN(len(cities))]
	p := person{id: fmt.Sprintf("p%05d", i), gender: g.gender(), last: surnames[g.zipf(len(surnames))],
		y: 1935 + g.rng.IntN(70), mo: 1 + g.rng.IntN(12), d: 1 + g.rng.IntN(28),
		number: fmt.Sprint(1 + g.zipf(250)), street: streets[g.rng.IntN(len(streets))] + " " + streetTypes[g.rng.IntN(len(streetTypes))],
		city: c.name, postcode: fmt.Sprintf("%s%d %d%c%c", c.code, 1+g.rng.IntN(30), g.rng.IntN(10), 'A'+g.rng.IntN(26), 'A'+g.rng.IntN(26)),
		region: c.region, phone: g.phone()}
	p.first = g.firstName(p.gender)
	if g.rng.Float64() < 0.2 {
		p.line2 = fmt.Sprintf("flat %d", 1+g.rng.IntN(30))
		if g.rng.IntN(2) == 0 {
			p.line2 = buildings[g.rng.IntN(len(buildings))]
		}
	}
	p.email = g.emailOf(p)
	return p
}

// record writes one record of a person; a duplicate (not the first record)
// gets corruptions.
func (g *generator) record(id string, p person, dup bool) []string {
	r := g.rng
	first, last := p.first, p.last
	y, mo, d := p.y, p.mo, p.d
	number, street, line2, city, postcode, region := p.number, p.street, p.line2, p.city, p.postcode, p.region
	phone, email, gender := p.phone, p.email, p.gender
	dateFmt := r.IntN(4)
	yearOnly := false
	if dup {
		if r.Float64() < 0.12 { // moved house
			q := g.newPerson(0)
			number, street, line2, city, postcode, region = q.number, q.street, q.line2, q.city, q.postcode, q.region
		}
		if r.Float64() < 0.12 {
			first = g.typo(first)
		}
		if r.Float64() < 0.12 {
			last = g.typo(last)
		}
		if r.Float64() < 0.08 {
			if n := nicknames[first]; n != "" {
				first = n
			}
		}
		if r.Float64() < 0.05 && last != "" {
			first, last = last, first // transposed names
		}
		if r.Float64() < 0.05 { // surname in the first-name column, no surname
			first, last = last, ""
		}
		if r.Float64() < 0.04 {
			last = ""
		}
		if r.Float64() < 0.05 {
			first = titles[r.IntN(len(titles))] + " " + first
		}
		if r.Float64() < 0.02 {
			first = []string{"Sir", "Dr", "Mrs"}[r.IntN(3)] // a title as the first name
		}
		if r.Float64() < 0.01 {
			last = []string{"Unknown", "N/A", "-"}[r.IntN(3)]
		}
		switch x := r.Float64(); {
		case x < 0.15: // a default filled in: 1 January of the year
			mo, d = 1, 1
		case x < 0.20:
			yearOnly = true
		case x < 0.27: // day and month swapped, or a digit slip
			if d <= 12 {
				mo, d = d, mo
			} else {
				d = 1 + (d+9)%28
			}
		case x < 0.30:
			y += []int{-10, -1, 1, 10}[r.IntN(4)]
		case x < 0.36:
			y = 0 // missing
		}
		if line2 != "" && r.Float64() < 0.15 {
			street, line2 = line2, street
		}
		if r.Float64() < 0.08 {
			street = g.typo(street)
		}
		if r.Float64() < 0.08 {
			city = g.typo(city)
		}
		if r.Float64() < 0.1 {
			postcode = ""
		}
		if r.Float64() < 0.3 {
			phone = ""
		}
		if r.Float64() < 0.3 {
			email = ""
		} else if r.Float64() < 0.05 {
			email = g.typo(email)
		}
		if r.Float64() < 0.1 {
			gender = ""
		}
	}
	date := ""
	switch {
	case y == 0:
	case yearOnly:
		date = fmt.Sprint(y)
	default:
		date = []string{
			fmt.Sprintf("%04d-%02d-%02d", y, mo, d),
			fmt.Sprintf("%02d/%02d/%04d", d, mo, y),
			fmt.Sprintf("%d %s %d", d, monthNames[mo-1], y),
			fmt.Sprintf("%04d%02d%02d", y, mo, d),
		}[dateFmt]
	}
	if r.Float64() < 0.3 {
		first, last = strings.ToUpper(first), strings.ToUpper(last)
	}
	return []string{id, p.id, first, last, date, number, street, line2, city, postcode, region, phone, email, gender}
}

func (g *generator) typo(s string) string {
	b := []rune(s)
	if len(b) < 3 {
		return s
	}
	i := g.rng.IntN(len(b) - 1)
	switch g.rng.IntN(4) {
	case 0:
		b[i] = rune('a' + g.rng.IntN(26))
	case 1:
		b[i], b[i+1] = b[i+1], b[i]
	case 2:
		b = append(b[:i], b[i+1:]...)
	default:
		b = append(b[:i+1], b[i:]...)
	}
	return string(b)
}

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

var titles = []string{"Mr", "Mrs", "Ms", "Miss", "Dr", "Prof"}

var femaleNames = strings.Fields(`olivia amelia isla ava emily sophia grace mia poppy ella lily evie isabella sophie ivy freya
harper willow charlotte florence evelyn jessica elizabeth katherine margaret susan patricia jennifer rebecca victoria
alexandra abigail hannah samantha natalie rachel laura sarah emma lucy chloe megan holly ruby daisy phoebe matilda rosie
eleanor imogen harriet beatrice clara maria anna julia helen joanne deborah christine barbara dorothy irene joan`)

var maleNames = strings.Fields(`oliver george noah arthur harry leo muhammad jack charlie oscar jacob henry thomas freddie alfie
theo william james joshua daniel samuel benjamin joseph david michael robert richard christopher matthew andrew anthony
edward alexander nicholas jonathan timothy stephen peter kenneth ronald raymond gerald frederick lewis ethan mason logan
lucas isaac finley archie toby max reuben harvey dylan owen callum kieran declan patrick sean`)

var nicknames = map[string]string{"william": "bill", "robert": "bob", "richard": "dick", "elizabeth": "liz", "katherine": "kate",
	"margaret": "maggie", "james": "jim", "joseph": "joe", "michael": "mike", "christopher": "chris", "matthew": "matt",
	"andrew": "andy", "anthony": "tony", "edward": "ted", "alexander": "alex", "nicholas": "nick", "jonathan": "jon",
	"timothy": "tim", "stephen": "steve", "peter": "pete", "kenneth": "ken", "ronald": "ron", "frederick": "fred",
	"samuel": "sam", "benjamin": "ben", "daniel": "dan", "thomas": "tom", "jennifer": "jen", "rebecca": "becky",
	"victoria": "vicky", "alexandra": "alex", "abigail": "abby", "samantha": "sam", "patricia": "pat", "susan": "sue",
	"deborah": "debbie", "christine": "chris", "barbara": "barb", "dorothy": "dot", "isabella": "bella", "charlotte": "lottie",
	"eleanor": "ellie", "harriet": "hattie", "florence": "flo", "jessica": "jess", "joshua": "josh", "gerald": "gerry"}

var surnames = strings.Fields(`smith jones williams taylor brown davies evans wilson thomas johnson roberts robinson thompson wright
walker white edwards hughes green hall lewis harris clarke patel jackson wood turner martin cooper hill ward morris moore
clark lee king baker harrison morgan allen james scott phillips watson davis parker price bennett young griffiths mitchell
kelly cook carter richardson bailey collins bell shaw murphy miller cox richards khan marshall anderson simpson ellis adams
singh begum wilkinson foster chapman powell webb rogers gray mason ali hunt hussain campbell matthews owen palmer holmes mills
barnes knight lloyd butler russell barker fisher stevens jenkins murray dixon harvey graham pearson ahmed fletcher walsh kaur
gibson howard andrews stewart elliott reynolds saunders payne fox ford pearce day brooks west lawrence cole atkinson bradley
spencer gill dawson ball burton obrien watts rose booth perry ryan grant wells armstrong francis rees hayes hart hudson newman
barrett webster hunter gregory carr lowe page marsh riley dunn woods parsons berry stone reid holland hawkins harding porter
robertson newton oliver reed kennedy williamson bird gardner shah dean lane cooke bates henderson parry burgess bishop walton
burns nicholson shepherd ross cross long freeman warren nicholls hamilton byrne sutton mcdonald yates hodgson robson curtis
hopkins okafor nakamura kowalski novak rossi schmidt dubois fernandes oyelaran lindqvist petrakis zimmermann delacroix`)

var streets = strings.Fields(`acacia birch canal dover elm fairfax glebe harbour ivy juniper kings larch mill newton orchard priory
queens rectory station tannery victoria church park high chapel school manor springfield windsor grange north south west
east meadow highfield stanley albert alexandra york cedar beech willow oak ash holly hawthorn poplar rowan maple`)

var streetTypes = []string{"road", "street", "lane", "avenue", "close", "drive", "way", "gardens", "crescent", "grove"}

var buildings = []string{"rose cottage", "the old school", "mill house", "park view", "riverside court", "the lodge", "orchard house", "kings court"}

var cities = []struct{ name, code, region string }{
	{"leeds", "LS", "west yorkshire"}, {"york", "YO", "north yorkshire"}, {"bath", "BA", "somerset"}, {"derby", "DE", "derbyshire"},
	{"exeter", "EX", "devon"}, {"lincoln", "LN", "lincolnshire"}, {"durham", "DH", "county durham"}, {"chester", "CH", "cheshire"},
	{"norwich", "NR", "norfolk"}, {"oxford", "OX", "oxfordshire"}, {"carlisle", "CA", "cumbria"}, {"truro", "TR", "cornwall"},
	{"london", "N", "greater london"}, {"london", "SE", "greater london"}, {"manchester", "M", "greater manchester"},
	{"birmingham", "B", "west midlands"}, {"bristol", "BS", "bristol"}, {"cardiff", "CF", "south glamorgan"},
	{"glasgow", "G", "lanarkshire"}, {"edinburgh", "EH", "midlothian"}, {"sheffield", "S", "south yorkshire"},
	{"nottingham", "NG", "nottinghamshire"}, {"leicester", "LE", "leicestershire"}, {"brighton", "BN", "east sussex"},
}
