package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"parley/chat"
)

// translate's one table: the server going away or out of reach is
// EUnavailable (retry), a statement the server refused keeps its own
// code, and a configuration fault (a wrong password) stays EInternal.
func TestTranslateOutages(t *testing.T) {
	t.Parallel()
	pg := func(code string) error { return fmt.Errorf("query: %w", &pgconn.PgError{Code: code}) }
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"admin shutdown", pg("57P01"), chat.EUnavailable},
		{"crash shutdown", pg("57P02"), chat.EUnavailable},
		{"cannot connect now", pg("57P03"), chat.EUnavailable},
		{"connection failure", pg("08006"), chat.EUnavailable},
		{"too many connections", pg("53300"), chat.EUnavailable},
		{"server hung up", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), chat.EUnavailable},
		{"closed conn", fmt.Errorf("exec: %w", pgconn.ErrConnClosed), chat.EUnavailable},
		{"pool wait timed out", fmt.Errorf("acquire: %w", context.DeadlineExceeded), chat.EUnavailable},
		{"unique violation", pg("23505"), chat.EConflict},
		{"bad input", pg("22P02"), chat.EInvalid},
		{"wrong password", pg("28P01"), chat.EInternal},
		{"syntax error", pg("42601"), chat.EInternal},
		{"something else", errors.New("boom"), chat.EInternal},
	} {
		if got := chat.ErrorCode(translate(tc.err, "thing")); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
