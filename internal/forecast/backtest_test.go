package forecast

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// generateOrders draws customers from BG/NBD p and Gamma-Gamma g arriving uniformly over
// the days from start, buying until end; every tenth order is a guest's copy, which only
// the sales series counts.
func generateOrders(rng *rand.Rand, p BGNBD, g GammaGamma, customers int, start, end time.Time) []CustomerOrder {
	days := end.Sub(start).Hours() / 24
	at := func(d float64) time.Time { return start.Add(time.Duration(d * 24 * float64(time.Hour))) }
	var orders []CustomerOrder
	for c := range customers {
		id := fmt.Sprint(10000 + c)
		lambda, drop, nu := gammaRand(rng, p.R, p.Alpha), betaRand(rng, p.A, p.B), gammaRand(rng, g.Q, g.Gamma)
		t := rng.Float64() * days
		orders = append(orders, CustomerOrder{id, Order{at(t), gammaRand(rng, g.P, nu)}})
		for {
			t += rng.ExpFloat64() / lambda
			if t >= days {
				break
			}
			o := CustomerOrder{id, Order{at(t), gammaRand(rng, g.P, nu)}}
			orders = append(orders, o)
			if len(orders)%10 == 0 {
				orders = append(orders, CustomerOrder{"", o.Order})
			}
			if rng.Float64() < drop {
				break
			}
		}
	}
	return orders
}

var backtestCut = time.Date(2011, 9, 9, 0, 0, 0, 0, time.UTC)

func TestBacktestSimulated(t *testing.T) {
	orders := generateOrders(rand.New(rand.NewPCG(6, 7)), trueBG, trueGG, 4000,
		backtestCut.AddDate(-1, 0, 0), backtestCut.AddDate(0, 0, 100))
	res, err := Backtest(orders, BacktestConfig{Cutoff: backtestCut, Horizon: 90, Weeks: 13, Level: 0.95})
	if err != nil {
		t.Fatal(err)
	}
	// Data from the model itself, without seasons: the model's totals should be right to
	// within the noise of a few thousand customers (and the daily rounding of purchases).
	for _, c := range []struct {
		what string
		s    Score
	}{{"purchases", res.Purchases.Model}, {"revenue", res.Revenue.Model}} {
		if r := c.s.Predicted / c.s.Actual; math.Abs(r-1) > 0.1 {
			t.Errorf("%s: predicted %.0f, actual %.0f", c.what, c.s.Predicted, c.s.Actual)
		}
	}
	if res.Purchases.Model.Corr < res.Purchases.Naive.Corr || res.Purchases.Model.RMSE > res.Purchases.Naive.RMSE {
		t.Errorf("the model does worse than the naive baseline on its own data: %+v", res.Purchases)
	}
	if len(res.Orders.Weeks) != 13 || res.HistoryWeeks != 52 || res.Orders.NaiveName != "seasonal naive (52)" || res.NewCustomers == 0 || len(res.Top) != 10 {
		t.Errorf("weeks %d, history %d, naive %q, new customers %d, top %d", len(res.Orders.Weeks), res.HistoryWeeks, res.Orders.NaiveName, res.NewCustomers, len(res.Top))
	}
	t.Logf("fit %+v; purchases %+v; revenue %+v; weekly orders MAPE %.1f%% (naive %.1f%%)", res.Model, res.Purchases, res.Revenue, res.Orders.MAPE, res.Orders.NaiveMAPE)

	if _, err := Backtest(orders, BacktestConfig{Cutoff: backtestCut, Horizon: 120, Weeks: 13, Level: 0.95}); err == nil {
		t.Error("a horizon past the end of the orders: no error")
	}
}

// BenchmarkBacktest runs the backtest command's core on a small generated history.
func BenchmarkBacktest(b *testing.B) {
	orders := generateOrders(rand.New(rand.NewPCG(8, 7)), trueBG, trueGG, 500,
		backtestCut.AddDate(-1, 0, 0), backtestCut.AddDate(0, 0, 100))
	for b.Loop() {
		if _, err := Backtest(orders, BacktestConfig{Cutoff: backtestCut, Horizon: 90, Weeks: 13, Level: 0.95}); err != nil {
			b.Fatal(err)
		}
	}
}
