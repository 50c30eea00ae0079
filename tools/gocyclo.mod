module parley/tools

go 1.26.0

tool github.com/fzipp/gocyclo/cmd/gocyclo

require github.com/fzipp/gocyclo v0.6.0 // indirect
