module github.com/focaltk/focal

go 1.26.8

require (
	github.com/cockroachdb/apd/v3 v3.2.3
	github.com/leanovate/gopter v0.2.11
	gonum.org/v1/gonum v0.17.0
)

require golang.org/x/tools v0.41.0 // indirect
