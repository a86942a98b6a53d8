//! tern-auth: an authoritative DNS server (RFC 1034/1035) that serves zones from master
//! files and signs them online with one command (RFC 4033-4035, RFC 5155).
//!
//! Data flows one way: `server` (sockets) -> `server::respond` (parse) ->
//! `zone::lookup` (answer from an immutable snapshot). Loading and signing happen in
//! `publish` and `signer`, off the query path, producing new snapshots.
#![warn(missing_docs)]

pub mod config;
pub mod daemon;
pub mod metrics;
pub mod publish;
pub mod server;
pub mod signer;
pub mod store;
pub mod zone;
