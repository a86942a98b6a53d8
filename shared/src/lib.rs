//! tern-shared: what both Tern daemons need — the wire format (RFC 1035 and friends),
//! DNSSEC primitives (RFC 4034, 5155, 6605, 8080), the master-file loader (RFC 1035 §5),
//! config, sockets, metrics and the control endpoint.
#![warn(missing_docs)]

pub mod config;
pub mod control;
pub mod dnssec;
pub mod hash;
pub mod log;
pub mod metrics;
pub mod socket;
pub mod wire;
pub mod zonefile;
