//! tern-trust-anchors: trust anchors for the validator (RFC 7958, RFC 5011, RFC 7646).
