// Package connector reads comments from the platforms and hands them to ingest's Sink: the
// pollers (Facebook Pages, YouTube) keep their cursors in Redis so that a restart neither loses
// nor re-reads comments, every comment is published once under its "<platform>:<id>" message id,
// and each tenant's calls share one Budget so that a busy Comune cannot starve the others.
package connector
