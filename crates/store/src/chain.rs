//! The hash chain that makes tampering detectable.
//!
//! Each event's hash is SHA-256 over the previous event's hash and the event's canonical
//! bytes: a JSON object of every stored field but the hashes and the global position (which
//! differs between backends and survives no export), with object keys sorted at every depth
//! and no insignificant white space. Sorting is done here, not left to `serde_json`'s map
//! type, because a dependency turning on `preserve_order` would otherwise silently change
//! every hash.
