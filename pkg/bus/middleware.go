package bus

import (
	"context"
	"fmt"
	"runtime/debug"
)

// Recover turns a panic in a handler into a permanent error, so that one poison message cannot
// crash the process and is dead-lettered with the panic as its reason.
func Recover() Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, msg *Message) (err error) {
			defer func() {
				if r := recover(); r != nil {
					err = Permanent(fmt.Errorf("panic: %v\n%s", r, truncate(string(debug.Stack()), 600)))
				}
			}()
			return next(ctx, msg)
		}
	}
}
