//! Metric names of tern-auth (Prometheus conventions: `tern_auth_` prefix, `_total`
//! counters) and the per-worker handles built once, so the hot path only increments.

use metrics::{counter, Counter};
use tern_shared::metrics::QueryCounters;

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
    queries: QueryCounters,
    /// Dropped packets.
    pub dropped: Counter,
    /// Truncated responses.
    pub truncated: Counter,
}

impl WorkerMetrics {
    /// Builds the handles for `transport` (`udp` or `tcp`).
    pub fn new(transport: &'static str) -> WorkerMetrics {
        WorkerMetrics {
            queries: QueryCounters::new(QUERIES, transport),
            dropped: counter!(DROPPED, "transport" => transport),
            truncated: counter!(TRUNCATED, "transport" => transport),
        }
    }

    /// The shared TCP handles, built at first use (after the exporter is installed).
    pub fn tcp() -> &'static WorkerMetrics {
        static M: std::sync::OnceLock<WorkerMetrics> = std::sync::OnceLock::new();
        M.get_or_init(|| WorkerMetrics::new("tcp"))
    }

    /// Counts one answered query from the response bytes (qtype and rcode).
    #[inline]
    pub fn answered(&self, response: &[u8], truncated: bool) {
        self.queries.answered_packet(response);
        if truncated {
            self.truncated.increment(1);
        }
    }
}

/// Registers help text and units for every metric (Prometheus `# HELP`).
pub fn describe() {
    use metrics::{describe_counter, describe_gauge};
    describe_counter!(QUERIES, "Queries answered, by transport, qtype and rcode.");
    describe_counter!(DROPPED, "Packets dropped without an answer (runts, responses).");
    describe_counter!(TRUNCATED, "Responses sent with TC=1.");
    describe_gauge!(ZONES_LOADED, "Zones currently served.");
    describe_counter!(ZONE_LOAD_FAILURES, "Zone loads that failed, by zone.");
    describe_gauge!(ZONE_SERIAL, "SOA serial served, by zone.");
    describe_counter!(SIGNATURES_MADE, "RRSIGs made by the signer.");
    describe_gauge!(SIGNATURE_EXPIRY, "Seconds until the RRSIGs of a zone expire, by zone.");
    describe_counter!(AXFR, "Zone transfers, by result.");
    describe_counter!(TCP_CONNECTIONS, "TCP connections accepted.");
}
