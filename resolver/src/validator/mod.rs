//! DNSSEC validation (RFC 4035 §5), sans-I/O.
