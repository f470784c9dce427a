// Package chaos holds the fault test of the whole system: real `piazza serve` processes killed
// and restarted under a stream of comments, NATS and Redis restarted, the classifier made
// unreachable and the platform failing, and then an audit of what the streams and Redis hold.
package chaos
