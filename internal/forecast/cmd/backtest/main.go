// Command backtest evaluates the customer-value model and the sales forecast of
// internal/forecast on the UCI Online Retail file: fit on the orders before the cut-off,
// predict the following days and weeks, and compare with what happened and with naive
// baselines.
//
//	go run ./internal/forecast/cmd/backtest [-data file.csv.gz] [-cutoff 2011-09-09] [-horizon 90] [-weeks 13]
package main

import (
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tessera-cdp/tessera/internal/forecast"
	"github.com/tessera-cdp/tessera/internal/retail"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "backtest:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("backtest", flag.ContinueOnError)
	data := fs.String("data", "../shared/data/retail/online_retail_2010-2011.csv.gz", "the retail file (gzip CSV), relative to the working directory")
	cutoff := fs.String("cutoff", "2011-09-09", "fit on the orders before this date (UTC)")
	horizon := fs.Int("horizon", 90, "days after the cut-off to predict per customer")
	weeks := fs.Int("weeks", 13, "weeks after the cut-off to forecast sales for")
	level := fs.Float64("level", 0.95, "level of the sales prediction interval")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cut, err := time.Parse(time.DateOnly, *cutoff)
	if err != nil {
		return err
	}
	orders, stats, err := load(*data)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := forecast.Backtest(orders, forecast.BacktestConfig{Cutoff: cut, Horizon: *horizon, Weeks: *weeks, Level: *level})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s: %s; fitted and scored in %s\n", *data, stats, time.Since(start).Round(time.Millisecond))
	report(out, res)
	return nil
}

// load reads the invoices of the retail file as orders in pounds, cancellations left out.
func load(path string) ([]forecast.CustomerOrder, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, "", err
	}
	rr, err := retail.NewReader(gz)
	if err != nil {
		return nil, "", err
	}
	var orders []forecast.CustomerOrder
	cancelled := 0
	for {
		inv, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", err
		}
		// Cancellations are credit notes: returns, of negative value (forecast.Summarize).
		if inv.Cancellation() {
			cancelled++
		}
		o := inv.Order("retail", "", "")
		orders = append(orders, forecast.CustomerOrder{Customer: inv.CustomerID, Order: forecast.Order{At: inv.At, Value: float64(o.TotalMinor) / 100}})
	}
	return orders, fmt.Sprintf("%d invoices (%d of them cancellations: returns)", len(orders), cancelled), nil
}

func report(out io.Writer, r *forecast.BacktestResult) {
	c := r.Config
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	m := r.Model
	p := func(format string, a ...any) { fmt.Fprintf(out, format, a...) }
	p("\nCustomer value, as of %s (fit on orders before it), horizon %d days to %s\n", day(c.Cutoff), c.Horizon, day(c.Cutoff.AddDate(0, 0, c.Horizon-1)))
	p("  BG/NBD (days)   r=%.4f alpha=%.3f a=%.4f b=%.4f  on %d customers, log-lik %.1f, %d evaluations, converged %v\n",
		m.Purchases.R, m.Purchases.Alpha, m.Purchases.A, m.Purchases.B, r.PurchasesFit.N, r.PurchasesFit.LogLik, r.PurchasesFit.Evals, r.PurchasesFit.Converged)
	p("  mean dropout probability after a purchase a/(a+b) = %.2g\n", m.Purchases.A/(m.Purchases.A+m.Purchases.B))
	p("  Gamma-Gamma (£) p=%.4f q=%.4f gamma=%.3f  on %d repeat customers, mean spend £%.2f, converged %v\n",
		m.Spend.P, m.Spend.Q, m.Spend.Gamma, r.SpendFit.N, m.Spend.MeanSpend(), r.SpendFit.Converged)
	p("  correlation of repeat purchases and mean spend: %.3f (Gamma-Gamma assumes independence)\n", r.FrequencySpendCorr)
	p("  purchases = days with orders; naive = x/T repeat purchases (and their value) per day since the first, × horizon\n\n")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "per customer\tmethod\tMAE\tRMSE\tcorrelation\ttotal predicted\ttotal actual\tpredicted/actual\t")
	for _, row := range []struct {
		what string
		c    forecast.Comparison
		unit string
	}{{"purchases", r.Purchases, "%.0f"}, {"revenue £", r.Revenue, "%.0f"}} {
		for _, s := range []struct {
			name string
			s    forecast.Score
		}{{"BG/NBD+GG", row.c.Model}, {"naive", row.c.Naive}} {
			fmt.Fprintf(tw, "%s\t%s\t%.3f\t%.3f\t%.3f\t"+row.unit+"\t"+row.unit+"\t%.3f\t\n", row.what, s.name, s.s.MAE, s.s.RMSE, s.s.Corr, s.s.Predicted, s.s.Actual, s.s.Predicted/s.s.Actual)
		}
	}
	tw.Flush()
	p("  %d customers scored (orders before the cut-off); %d new customers in the horizon made %.0f purchases, £%.0f, not scored\n\n",
		r.Customers, r.NewCustomers, r.NewPurchases, r.NewRevenue)

	fmt.Fprintln(tw, "repeat purchases before\tcustomers\tmean actual\tmean BG/NBD\tmean naive\t")
	for _, f := range r.ByFrequency {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t\n", f.X, f.Customers, f.Actual, f.Predicted, f.Naive)
	}
	tw.Flush()

	p("\nHighest predicted value (inputs as of %s: x repeat purchases, tx and T in days, m mean repeat spend)\n", day(c.Cutoff))
	fmt.Fprintln(tw, "customer\tx\ttx\tT\tm £\tP(alive)\tE[purchases]\tE[spend] £\tE[value] £\tactual purchases\tactual £\t")
	for _, t := range r.Top[:min(5, len(r.Top))] {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.2f\t%.3f\t%.2f\t%.2f\t%.0f\t%.0f\t%.0f\t\n", t.Customer, t.X, t.Tx, t.T, t.Monetary, t.PAlive, t.Purchases, t.Spend, t.Value, t.ActualPurchases, t.ActualRevenue)
	}
	tw.Flush()

	p("\nSales forecast: damped-trend exponential smoothing, ETS(A,Ad,N), on %d weeks from %s (all orders, guests included), %.0f%% interval\n",
		r.HistoryWeeks, day(r.HistoryStart), 100*c.Level)
	p("  baseline: %s weeks (a 52-week seasonal naive needs a year of history before the cut-off)\n", r.Orders.NaiveName)
	for _, s := range []struct {
		name string
		b    forecast.SalesBacktest
		f    string
	}{{"orders", r.Orders, "%.0f"}, {"revenue £", r.Sales, "%.0f"}} {
		f := s.b.Forecast
		p("\n  %s: alpha=%.3f beta=%.3f phi=%.3f sigma=%.1f\n", s.name, f.Alpha, f.Beta, f.Phi, f.Sigma)
		fmt.Fprintln(tw, "week from\tactual\tforecast\tlower\tupper\tnaive\t")
		for _, w := range s.b.Weeks {
			fmt.Fprintf(tw, "%s\t"+strings.Repeat(s.f+"\t", 5)+"\n", day(w.Start), w.Actual, w.Forecast, max(0, w.Lower), w.Upper, w.Naive)
		}
		tw.Flush()
		p("  MAPE forecast %.1f%%, naive %.1f%%; %d of %d weeks inside the interval\n",
			s.b.MAPE, s.b.NaiveMAPE, s.b.Inside, len(s.b.Weeks))
	}
}
