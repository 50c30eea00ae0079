package sqlite

import "testing"

func TestFTSQueryQuotesWords(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"hello world":           `"hello" "world"`,
		`pay* OR "x" NEAR(a b)`: `"pay" "OR" "x" "NEAR" "a" "b"`,
		"body:secret -x ^start": `"body" "secret" "x" "start"`,
		"  ":                    "",
		"palkka-ajo äitiysloma": `"palkka" "ajo" "äitiysloma"`,
	} {
		if got := ftsQuery(in); got != want {
			t.Errorf("ftsQuery(%q) = %s, want %s", in, got, want)
		}
	}
}
