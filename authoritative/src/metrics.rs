//! Metric names of tern-auth (Prometheus conventions: `tern_auth_` prefix, `_total`
//! counters) and the per-worker handles built once, so the hot path only increments.

use metrics::{counter, Counter};
use tern_shared::metrics::RCODE_LABELS;

/// Queries answered, by transport and rcode.
pub const QUERIES: &str = "tern_auth_queries_total";
/// Packets dropped without an answer (runts, responses), by transport.
pub const DROPPED: &str = "tern_auth_dropped_total";
/// Responses sent with TC=1.
pub const TRUNCATED: &str = "tern_auth_truncated_total";
/// Zones currently served.
pub const ZONES_LOADED: &str = "tern_auth_zones_loaded";
/// Zone loads that failed, by zone.
pub const ZONE_LOAD_FAILURES: &str = "tern_auth_zone_load_failures_total";
/// SOA serial served, by zone.
pub const ZONE_SERIAL: &str = "tern_auth_zone_serial";
/// RRSIGs made by the signer.
pub const SIGNATURES_MADE: &str = "tern_auth_signatures_made_total";
/// Seconds until the earliest RRSIG of a zone expires, by zone.
pub const SIGNATURE_EXPIRY: &str = "tern_auth_signature_expiry_seconds_remaining";
/// Zone transfers, by result (`ok`, `refused`).
pub const AXFR: &str = "tern_auth_axfr_total";
/// TCP connections accepted.
pub const TCP_CONNECTIONS: &str = "tern_auth_tcp_connections_total";

/// Counter handles for one worker and transport.
pub struct WorkerMetrics {
    by_rcode: Vec<(u16, Counter)>,
    other: Counter,
    /// Dropped packets.
    pub dropped: Counter,
    /// Truncated responses.
    pub truncated: Counter,
}

impl WorkerMetrics {
    /// Builds the handles for `transport` (`udp` or `tcp`).
    pub fn new(transport: &'static str) -> WorkerMetrics {
        WorkerMetrics {
            by_rcode: RCODE_LABELS.iter().map(|&(rc, l)| (rc, counter!(QUERIES, "transport" => transport, "rcode" => l))).collect(),
            other: counter!(QUERIES, "transport" => transport, "rcode" => "OTHER"),
            dropped: counter!(DROPPED, "transport" => transport),
            truncated: counter!(TRUNCATED, "transport" => transport),
        }
    }

    /// Counts one answered query.
    #[inline]
    pub fn answered(&self, rcode: u16, truncated: bool) {
        match self.by_rcode.iter().find(|(rc, _)| *rc == rcode) {
            Some((_, c)) => c.increment(1),
            None => self.other.increment(1),
        }
        if truncated {
            self.truncated.increment(1);
        }
    }
}
