// Command funclen lists the functions longer than -max lines in the Go
// files below the given directories, skipping tests (_test.go), generated
// code (a "Code generated ... DO NOT EDIT." header) and testdata. It exits
// 1 when it lists any. tools/check.sh runs it: a function that long
// carries too many rules to read at once (docs/testing.md). Written here
// because the maintained linters that do this come only inside large
// aggregators (golangci-lint) whose dependencies would dwarf the check.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	maxLines := flag.Int("max", 80, "longest function allowed, in lines from func to closing brace")
	flag.Parse()
	roots := flag.Args()
	if len(roots) == 0 {
		roots = []string{"."}
	}
	found := 0
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".") && path != root {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			n, err := longFunctions(path, *maxLines)
			found += n
			return err
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "funclen:", err)
			os.Exit(2)
		}
	}
	if found > 0 {
		fmt.Printf("%d functions over %d lines: split them into named steps\n", found, *maxLines)
		os.Exit(1)
	}
}

// longFunctions prints the functions of one file longer than maxLines.
func longFunctions(path string, maxLines int) (int, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return 0, err
	}
	if ast.IsGenerated(f) {
		return 0, nil
	}
	n := 0
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		start, end := fset.Position(fn.Pos()), fset.Position(fn.End())
		if lines := end.Line - start.Line + 1; lines > maxLines {
			fmt.Printf("%s:%d: %s is %d lines\n", path, start.Line, name(fn), lines)
			n++
		}
	}
	return n, nil
}

// name is fn's name with its receiver type, as gocyclo prints it.
func name(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return "(" + id.Name + ")." + fn.Name.Name
	}
	return fn.Name.Name
}
