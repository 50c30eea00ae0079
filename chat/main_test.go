package chat_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain is the package's only TestMain: every test file of package chat
// and chat_test shares it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
