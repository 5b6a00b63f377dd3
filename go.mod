module github.com/tabletls/tabletls

go 1.25.0

require golang.org/x/crypto v0.55.0

require (
	github.com/AdaLogics/go-fuzz-headers v0.0.0-20240806141605-e8a1dd7889d6
	github.com/dave/jennifer v1.7.1 // indirect
	golang.org/x/sys v0.47.0 // indirect
)
