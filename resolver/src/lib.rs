//! tern-resolver: a validating, iterative DNS resolver (RFC 1034 §5.3.3, RFC 4033-4035,
//! RFC 5155, RFC 9156).
#![warn(missing_docs)]

pub mod validator;
