package sanctions

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The kinds of error the operations return; every error of an operation wraps one of them, and
// GRPCServer maps each to its gRPC code in one place (statusOf).
var (
	// ErrInvalid is a malformed request.
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound is an unknown tenant, user, strike, block, decision or review.
	ErrNotFound = errors.New("not found")
	// ErrConflict is a request that contradicts what was already done, e.g. keeping a comment
	// whose review was confirmed.
	ErrConflict = errors.New("conflict")
	// ErrExists is a second, different appeal against the same decision.
	ErrExists = errors.New("already exists")
	// ErrUnavailable is Redis or NATS not answering; retrying later may succeed.
	ErrUnavailable = errors.New("unavailable")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func notFound(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotFound, fmt.Sprintf(format, args...))
}

// unavailable marks an infrastructure error, keeping its chain.
func unavailable(what string, err error) error {
	return fmt.Errorf("%s: %w: %w", what, ErrUnavailable, err)
}

// statusOf maps an operation's error to the gRPC status the client sees.
func statusOf(err error) error {
	if err == nil {
		return nil
	}
	var code codes.Code
	switch {
	case errors.Is(err, ErrInvalid):
		code = codes.InvalidArgument
	case errors.Is(err, ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, ErrConflict):
		code = codes.FailedPrecondition
	case errors.Is(err, ErrExists):
		code = codes.AlreadyExists
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, ErrUnavailable):
		code = codes.Unavailable
	default:
		code = codes.Internal
	}
	return status.Error(code, err.Error())
}

// isClientError reports whether err is the caller's to fix, so not worth a log line.
func isClientError(err error) bool {
	return errors.Is(err, ErrInvalid) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrExists)
}
