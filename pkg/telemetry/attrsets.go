package telemetry

import (
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// MaxAttrValues is the most attributes an AttrSets combines.
const MaxAttrValues = 4

// maxCachedSets bounds the sets one AttrSets keeps: tenants times the values of the other
// attributes. Past it, sets are built each time, as without a cache.
const maxCachedSets = 4096

// AttrSets hands out the measurement option for a combination of string attribute values,
// building each combination's attribute set once. A counter recorded for every message with
// metric.WithAttributes sorts and hashes its attributes each time, which costs more than the
// measurement itself; with few combinations (tenants times outcomes), a cached set is read
// instead.
type AttrSets struct {
	keys []attribute.Key
	sets sync.Map // [MaxAttrValues]string → metric.MeasurementOption
	size atomic.Int64
}

// NewAttrSets returns the sets of the attributes named keys, in that order; it panics with more
// than MaxAttrValues keys, a programming error.
func NewAttrSets(keys ...string) *AttrSets {
	if len(keys) == 0 || len(keys) > MaxAttrValues {
		panic("telemetry.NewAttrSets: between 1 and 4 keys")
	}
	a := &AttrSets{}
	for _, k := range keys {
		a.keys = append(a.keys, attribute.Key(k))
	}
	return a
}

// Option returns the option that records the attributes with values, given in the order of the
// keys; missing values are empty strings and extra ones are ignored.
func (a *AttrSets) Option(values ...string) metric.MeasurementOption {
	var key [MaxAttrValues]string
	copy(key[:len(a.keys)], values)
	if v, ok := a.sets.Load(key); ok {
		return v.(metric.MeasurementOption)
	}
	kvs := make([]attribute.KeyValue, len(a.keys))
	for i, k := range a.keys {
		kvs[i] = k.String(key[i])
	}
	opt := metric.WithAttributeSet(attribute.NewSet(kvs...))
	if a.size.Load() < maxCachedSets {
		if _, loaded := a.sets.LoadOrStore(key, opt); !loaded {
			a.size.Add(1)
		}
	}
	return opt
}
