package privacy

import "testing"

func TestRedactorReplacesWholeWordsOnly(t *testing.T) {
	r := Redactor([]string{"Ann", "Ann Smith", "ann@example.com", "12 High  Street", "x"})
	for in, want := range map[string]string{
		"Hi Ann, I'm ANN SMITH of 12 High Street.": "Hi [erased], I'm [erased] of [erased].",
		"Annual report for ann@example.com":        "Annual report for [erased]",
		"Ann Ann":                                  "[erased] [erased]",
		"Joanna x-ray":                             "Joanna x-ray",
	} {
		got := r(in)
		if got != want || r(got) != got {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}
