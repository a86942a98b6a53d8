//! tern-resolver: a validating, iterative DNS resolver (RFC 1034 §5.3.3, RFC 4033-4035,
//! RFC 5155, RFC 9156).
//!
//! Data flows one way: `server` (sockets, admission, packet-cache hits) -> `resolve`
//! (cache, iteration via `iterator`, validation via `validator`) -> `cache` -> `server::reply`.
#![warn(missing_docs)]

pub mod cache;
pub mod config;
pub mod daemon;
pub mod discovery;
pub mod dns64;
pub mod iterator;
pub mod metrics;
pub mod policy;
pub mod resolve;
pub mod rrset;
pub mod server;
pub mod upstream;
pub mod validator;
