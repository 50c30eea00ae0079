package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyRule keeps the layout of docs: chat imports no package of
// Parley's own, and neither does anything else under chat/ (the domain is
// one package; an adapter does not belong there); the adapters (hub,
// storage/..., frontend, mail and any other top-level package) import chat
// and never each other; only cmd/... wires everything.
func TestDependencyRule(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-json=ImportPath,Deps,Module", "parley/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath string
			Deps       []string
			Module     *struct{ Path string }
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module != nil && p.Module.Path == "parley" {
			deps[p.ImportPath] = p.Deps
		}
	}
	if len(deps) < 5 {
		t.Fatalf("go list found only %d packages of ours", len(deps))
	}
	// layer names the part of the layout a package belongs to.
	layer := func(pkg string) string {
		for _, l := range []string{"parley/chat", "parley/hub", "parley/storage", "parley/frontend", "parley/mail", "parley/push", "parley/cmd", "parley/sql"} {
			if pkg == l || strings.HasPrefix(pkg, l+"/") {
				return l
			}
		}
		return pkg
	}
	ours := func(pkg string) bool { _, ok := deps[pkg]; return ok }
	for pkg, ds := range deps {
		for _, d := range ds {
			if !ours(d) {
				continue
			}
			from, to := layer(pkg), layer(d)
			switch {
			case from == "parley/chat":
				t.Errorf("%s imports %s: the domain (chat/...) must import no package of ours", pkg, d)
			case from == "parley/cmd":
				// cmd wires everything.
			case to == "parley/chat":
				// Every adapter may import the domain.
			case from == to:
				// A layer may use its own subpackages.
			case from == "parley/storage" && to == "parley/sql":
				// Storage embeds its migrations.
			default:
				t.Errorf("%s imports %s: %s must not depend on %s", pkg, d, from, to)
			}
		}
	}
}
