package routing

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

// opener sends the request openings of concurrent disposals to Redis together: while one
// pipeline is in flight, the openings that arrive queue up, and the next pipeline carries them
// all. A batch of decisions disposes of its requests side by side, so under load one round trip
// (one read and one write on each side, one append-only-file write in Redis) serves many
// requests instead of one; a lone opening goes out at once, as before.
//
// The caller that finds no pipeline in flight sends one; when it is done it hands the queue to
// the first waiting caller, so that no caller keeps sending on behalf of others while its own
// message waits.
type opener struct {
	rdb   redis.UniversalClient
	mu    sync.Mutex
	busy  bool
	queue []*openCall
}

// openCall is one opening: the tenants-set member and the open script's keys and arguments.
type openCall struct {
	ctx    context.Context
	tenant string
	keys   []string
	args   []any
	opened bool
	err    error
	// wake receives false when the call is done, true when the caller is to send the queue.
	wake chan bool
}

// open runs the open script for c, with the other queued calls.
func (o *opener) open(tenantsKey string, c *openCall) (bool, error) {
	c.wake = make(chan bool, 1)
	o.mu.Lock()
	o.queue = append(o.queue, c)
	if o.busy {
		o.mu.Unlock()
		if lead := <-c.wake; !lead {
			return c.opened, c.err
		}
		o.mu.Lock()
	}
	o.busy = true
	calls := o.queue
	o.queue = nil
	o.mu.Unlock()

	o.send(tenantsKey, calls)

	o.mu.Lock()
	if len(o.queue) > 0 {
		o.queue[0].wake <- true
	} else {
		o.busy = false
	}
	o.mu.Unlock()
	for _, other := range calls {
		if other != c {
			other.wake <- false
		}
	}
	return c.opened, c.err
}

// send runs calls in one pipeline, then again, once the script is loaded, those that Redis
// refused for not knowing it (it lost its script cache in a restart).
func (o *opener) send(tenantsKey string, calls []*openCall) {
	// The sender's context carries its trace; it is not cancelled with the sender's message,
	// so that one message's deadline does not fail the others.
	ctx := context.WithoutCancel(calls[0].ctx)
	cmds := o.pipeline(ctx, tenantsKey, calls)
	var again []int
	for i := range calls {
		if redis.HasErrorPrefix(cmds[i].Err(), "NOSCRIPT") {
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		if err := openScript.Load(ctx, o.rdb).Err(); err != nil {
			for _, i := range again {
				calls[i].err = fmt.Errorf("load open script: %w", err)
			}
		} else {
			retry := make([]*openCall, len(again))
			for j, i := range again {
				retry[j] = calls[i]
			}
			for j, cmd := range o.pipeline(ctx, tenantsKey, retry) {
				cmds[again[j]] = cmd
			}
		}
	}
	for i, c := range calls {
		if c.err != nil {
			continue
		}
		n, err := cmds[i].Int()
		if err != nil {
			c.err = fmt.Errorf("open request: %w", err)
			continue
		}
		c.opened = n == 1
	}
}

// pipeline sends, in one round trip, each call's tenant to the tenants set and its open
// script, and returns the scripts' replies in the order of calls; a call whose tenant could
// not be added gets that error. The tenants set has no hash tag, so it cannot be one of the
// script's keys (Redis Cluster); SADD is idempotent, so a retry repeats it harmlessly.
func (o *opener) pipeline(ctx context.Context, tenantsKey string, calls []*openCall) []*redis.Cmd {
	cmds := make([]*redis.Cmd, len(calls))
	added := make(map[string]*redis.IntCmd, 4)
	// Exec's error is the first failed command's; each call reads its own from its commands.
	_, _ = o.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, c := range calls {
			if added[c.tenant] == nil {
				added[c.tenant] = p.SAdd(ctx, tenantsKey, c.tenant)
			}
			cmds[i] = openScript.EvalSha(ctx, p, c.keys, c.args...)
		}
		return nil
	})
	for _, c := range calls {
		if err := added[c.tenant].Err(); err != nil && c.err == nil {
			c.err = fmt.Errorf("record tenant: %w", err)
		}
	}
	return cmds
}
