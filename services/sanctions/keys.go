package sanctions

import "strings"

// Redis key layout of the sanctions service. Every key starts with Config.KeyPrefix. Keys of one
// user share the hash tag {<tenant>:<pseudonym>} and keys of one tenant's review queue share
// {<tenant>}, so that every script touches keys of one Redis Cluster slot only.
//
//	strikes:{<t>:<p>}:<platform>:<group>    ZSET   comment id → violation time (ms); package strikes
//	blocked:{<t>:<p>}:<platform>            STRING the decision id that blocked the user; TTL = the block's duration
//	unblocked:{<t>:<p>}:<decision id>       STRING marker of a lifted block, so a redelivery does not block again; TTL DecisionTTL
//	appeals:{<t>:<p>}                       HASH   decision id → AuditEvent (protobuf) of the appeal
//	decisions:{<t>:<p>}                     SET    the user's decision ids, for erasure
//	erased:{<t>:<p>}:<platform>             STRING time of the user's erasure (ms); TTL ErasureMemory
//	decision:{<t>}:<platform>:<comment id>  STRING the Decision (protobuf), the idempotency key; TTL DecisionTTL
//	reviews:{<t>}                           ZSET   decision ids waiting for review → decision time (ms)
//	review:{<t>}:<decision id>              STRING the Decision under review (protobuf), with its held actions
//	resolved:{<t>}:<decision id>            STRING the AuditEvent of the review's resolution; TTL DecisionTTL
//
// <p> is the user's pseudonym (pseudonym.Keyed), never the platform's user id.
type keys struct{ prefix string }

// userKeys names the keys of one user of one tenant on one platform.
type userKeys struct {
	prefix, tag, platform string
}

func (k keys) user(tenant, pseud, platform string) userKeys {
	return userKeys{prefix: k.prefix, tag: "{" + tenant + ":" + pseud + "}", platform: platform}
}

func (u userKeys) blocked() string   { return u.prefix + "blocked:" + u.tag + ":" + u.platform }
func (u userKeys) appeals() string   { return u.prefix + "appeals:" + u.tag }
func (u userKeys) decisions() string { return u.prefix + "decisions:" + u.tag }
func (u userKeys) erased() string    { return u.prefix + "erased:" + u.tag + ":" + u.platform }
func (u userKeys) unblocked(decisionID string) string {
	return u.prefix + "unblocked:" + u.tag + ":" + decisionID
}

// pattern matches every key of the user, on every platform (the pseudonym differs per platform
// anyway). The tag holds only a tenant code's [a-z0-9_-] and a pseudonym's [A-Za-z0-9], which
// are not glob characters; the prefix is escaped.
func (u userKeys) pattern() string { return globEscape(u.prefix) + "*:" + u.tag + "*" }

// globEscape quotes the characters SCAN MATCH treats as wildcards.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// tenantKeys names the keys of one tenant's review queue and decisions.
type tenantKeys struct{ prefix, tag string }

func (k keys) tenant(tenant string) tenantKeys {
	return tenantKeys{prefix: k.prefix, tag: "{" + tenant + "}"}
}

func (k keys) decision(tenant, decisionID string) string {
	return k.prefix + "decision:{" + tenant + "}:" + strings.TrimPrefix(decisionID, "decision:")
}

func (t tenantKeys) reviews() string { return t.prefix + "reviews:" + t.tag }
func (t tenantKeys) review(decisionID string) string {
	return t.prefix + "review:" + t.tag + ":" + decisionID
}
func (t tenantKeys) resolved(decisionID string) string {
	return t.prefix + "resolved:" + t.tag + ":" + decisionID
}
