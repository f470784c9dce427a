// Package policy loads and validates the tenant policy files of Piazza.
//
// Each Comune (a tenant) has one YAML file in the policies directory that encodes its own
// Social Media Policy: which categories of comment it removes, the sanction ladder for each,
// how requests are routed to its offices and within which deadlines, and the Italian texts of
// its replies. A tenant file may extend a shared base file (for example `_baseline.yaml`) and
// override only what differs: mappings merge key by key, lists and scalars replace, and a null
// value removes the inherited key.
//
// Files are refused at load when anything is wrong, with every problem reported as
// `<file>:<line>: <field path>: <message>`, so that a policy that reaches the running services
// is always complete and consistent. Loading is pure (no globals, no caches): reloading a
// directory is calling LoadDir again and comparing Tenant.Version.
package policy
