// The Go caller of the gateway: generated stubs (associationsv1), a client
// with a typed error (archive) and a command-line caller (cmd/archive-client).
// The offline build uses Debian's Go packages in GOPATH mode (see README.md,
// "Go caller"); with a module proxy, `go mod tidy` completes go.sum.
module hubspot-archive-gateway/client/go

go 1.19

require (
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)
