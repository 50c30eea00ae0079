package chat_test

import (
	"testing"

	"parley/tools/leakcheck"
)

// TestMain is the package's only TestMain: every test file of package chat
// and chat_test shares it.
func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }
