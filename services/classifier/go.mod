module github.com/piazza-pa/piazza/services/classifier

go 1.26.0

require (
	github.com/piazza-pa/piazza/pkg v0.0.0
	github.com/piazza-pa/piazza/proto v0.0.0
)

require (
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260928230214-8a89bd6388cc // indirect
	google.golang.org/grpc v1.85.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace (
	github.com/piazza-pa/piazza/pkg => ../../pkg
	github.com/piazza-pa/piazza/proto => ../../proto
)
