package recommend

import "strings"

// ServiceCode reports the stock codes of the UCI Online Retail data that are charges or
// bookkeeping rather than goods (postage, carriage, manual adjustments, discounts, fees,
// samples, gift vouchers), for Options.Ignore: recommending postage is no offer, and a
// code on most invoices would be everyone's neighbour.
func ServiceCode(product string) bool {
	switch strings.ToUpper(product) {
	case "POST", "DOT", "C2", "M", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK":
		return true
	}
	return strings.HasPrefix(product, "gift_")
}
