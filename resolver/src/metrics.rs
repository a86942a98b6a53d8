//! Metric names of tern-resolver (Prometheus conventions: `tern_resolver_` prefix,
//! `_total` counters, `_seconds` histograms) and the per-worker handles built once, so
//! the hot path only increments. Values kept as atomics elsewhere (cache sizes, upstream
//! counters, server RTTs) are published by [`spawn_publisher`] once a second.

use crate::server::Server;
use metrics::{counter, gauge, histogram, Histogram};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tern_shared::metrics::QueryCounters;

/// Queries answered, by transport, qtype and rcode.
pub const QUERIES: &str = "tern_resolver_queries_total";
/// Time to answer a question that needed resolution (cache hits are not timed).
pub const ANSWER_SECONDS: &str = "tern_resolver_answer_seconds";
/// Questions answered from the packet cache.
pub const CACHE_HITS: &str = "tern_resolver_cache_hits_total";
/// Questions that needed the resolver.
pub const CACHE_MISSES: &str = "tern_resolver_cache_misses_total";
/// Entries per cache (`rrset`, `answer`, `packet`).
pub const CACHE_ENTRIES: &str = "tern_resolver_cache_entries";
/// Entries evicted for space, per cache.
pub const CACHE_EVICTIONS: &str = "tern_resolver_cache_evictions_total";
/// Estimated bytes held by the RRset cache.
pub const CACHE_MEMORY: &str = "tern_resolver_cache_memory_bytes";
/// Validation outcomes of answers sent (`secure`, `insecure`, `bogus`, `indeterminate`),
/// with the EDE code for failures.
pub const VALIDATION: &str = "tern_resolver_validation_total";
/// Upstream queries sent.
pub const UPSTREAM_QUERIES: &str = "tern_resolver_upstream_queries_total";
/// Upstream queries that timed out.
pub const UPSTREAM_TIMEOUTS: &str = "tern_resolver_upstream_timeouts_total";
/// Smoothed RTT per upstream server.
pub const UPSTREAM_SRTT: &str = "tern_resolver_upstream_srtt_seconds";
/// Packets dropped without an answer (runts, responses).
pub const DROPPED: &str = "tern_resolver_dropped_total";
/// Malformed queries answered FORMERR.
pub const MALFORMED: &str = "tern_resolver_malformed_total";
/// Queries answered (or dropped) by `[policy]`, by action (`local`, `deny`, ...).
pub const POLICY: &str = "tern_resolver_policy_total";
/// AAAA answers synthesised by DNS64 (RFC 6147).
pub const DNS64_SYNTHESISED: &str = "tern_resolver_dns64_synthesised_total";
/// Queries refused by the ACL.
pub const REFUSED_ACL: &str = "tern_resolver_acl_refused_total";
/// Questions that ran out of work budget (`resolution`, `validation`).
pub const BUDGET_EXHAUSTED: &str = "tern_resolver_budget_exhausted_total";
/// Bogus answers that validated when asked again of the zone's other servers.
pub const BOGUS_RETRIED_OK: &str = "tern_resolver_bogus_retried_ok_total";
/// Stale answers served (RFC 8767).
pub const STALE_SERVED: &str = "tern_resolver_stale_answers_total";
/// Answers refreshed before they expired (`cache.prefetch`).
pub const PREFETCHES: &str = "tern_resolver_prefetches_total";
/// State of each trust-anchor key, by zone and key tag, as a number (see [`anchor_state_code`]).
pub const ANCHOR_STATE: &str = "tern_resolver_trust_anchor_state";

/// The number exported for an anchor's state: 0 static, 1 initial (configured, not yet
/// seen), and the RFC 5011 §4 states 2 Start, 3 AddPend, 4 Valid, 5 Missing, 6 Revoked,
/// 7 Removed; a deleted trust point's keys count as 8.
pub fn anchor_state_code(s: &tern_trust_anchors::AnchorStatus) -> f64 {
    use tern_trust_anchors::{AnchorStatus, KeyState};
    match s {
        AnchorStatus::Static => 0.0,
        AnchorStatus::Initial => 1.0,
        AnchorStatus::Deleted(_) => 8.0,
        AnchorStatus::Key(k) => match k {
            KeyState::Start => 2.0,
            KeyState::AddPend => 3.0,
            KeyState::Valid => 4.0,
            KeyState::Missing => 5.0,
            KeyState::Revoked => 6.0,
            KeyState::Removed => 7.0,
        },
    }
}

/// Pre-labelled handles for one transport.
pub struct QueryMetrics {
    counters: QueryCounters,
    answer: Histogram,
}

impl QueryMetrics {
    /// Builds every (qtype, rcode) handle for `transport` once.
    pub fn new(transport: &'static str) -> QueryMetrics {
        QueryMetrics { counters: QueryCounters::new(QUERIES, transport), answer: histogram!(ANSWER_SECONDS, "transport" => transport) }
    }

    /// Counts one response by reading its question type and rcode.
    #[inline]
    pub fn answered_packet(&self, msg: &[u8]) {
        self.counters.answered_packet(msg);
    }

    /// Records the time taken by a resolved answer.
    pub fn latency(&self, d: Duration) {
        self.answer.record(d.as_secs_f64());
    }
}

/// Handles for UDP, built at first use (after the exporter is installed).
pub fn udp() -> &'static QueryMetrics {
    static M: std::sync::OnceLock<QueryMetrics> = std::sync::OnceLock::new();
    M.get_or_init(|| QueryMetrics::new("udp"))
}

/// Handles for TCP.
pub fn tcp() -> &'static QueryMetrics {
    static M: std::sync::OnceLock<QueryMetrics> = std::sync::OnceLock::new();
    M.get_or_init(|| QueryMetrics::new("tcp"))
}

/// Counts the validation outcome of an answer sent.
pub fn validation(result: &'static str, ede: Option<u16>) {
    match ede {
        Some(code) => counter!(VALIDATION, "result" => result, "ede" => code.to_string()).increment(1),
        None => counter!(VALIDATION, "result" => result, "ede" => "none").increment(1),
    }
}

/// Counts a query the policy decided.
pub fn policy(action: &'static str) {
    counter!(POLICY, "action" => action).increment(1);
}

/// Counts a DNS64 synthesis.
pub fn dns64_synthesised() {
    counter!(DNS64_SYNTHESISED).increment(1);
}

/// Publishes the values kept as atomics, every second, on the current runtime.
pub fn spawn_publisher(server: Arc<Server>, maintainer: Option<Arc<crate::resolve::rollover::TrustMaintainer>>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            publish(&server, maintainer.as_deref());
        }
    });
}

fn publish(server: &Server, maintainer: Option<&crate::resolve::rollover::TrustMaintainer>) {
    {
        let state = maintainer.map(|m| m.state());
        let anchors = server.resolver.anchors.read().unwrap_or_else(|p| p.into_inner());
        for row in tern_trust_anchors::anchor_rows(&anchors, state.as_ref()) {
            gauge!(ANCHOR_STATE, "zone" => row.name.to_string(), "key_tag" => row.key_tag.to_string()).set(anchor_state_code(&row.status));
        }
    }
    let r = &server.resolver;
    let s = &server.stats;
    counter!(CACHE_HITS).absolute(s.cache_hits.load(Ordering::Relaxed));
    counter!(CACHE_MISSES).absolute(s.cache_misses.load(Ordering::Relaxed));
    counter!(DROPPED).absolute(s.dropped.load(Ordering::Relaxed));
    counter!(MALFORMED).absolute(s.formerr.load(Ordering::Relaxed));
    counter!(REFUSED_ACL).absolute(s.refused.load(Ordering::Relaxed));
    counter!(UPSTREAM_QUERIES).absolute(r.counters.upstream_queries.load(Ordering::Relaxed));
    counter!(UPSTREAM_TIMEOUTS).absolute(r.counters.upstream_timeouts.load(Ordering::Relaxed));
    counter!(BUDGET_EXHAUSTED, "kind" => "resolution").absolute(r.counters.budget_exhausted.load(Ordering::Relaxed));
    counter!(BUDGET_EXHAUSTED, "kind" => "validation").absolute(r.counters.validation_budget_exhausted.load(Ordering::Relaxed));
    counter!(BOGUS_RETRIED_OK).absolute(r.counters.bogus_retried_ok.load(Ordering::Relaxed));
    counter!(STALE_SERVED).absolute(r.counters.stale_served.load(Ordering::Relaxed));
    counter!(PREFETCHES).absolute(r.counters.prefetches.load(Ordering::Relaxed));
    gauge!(CACHE_ENTRIES, "cache" => "rrset").set(r.rrsets.len() as f64);
    gauge!(CACHE_ENTRIES, "cache" => "answer").set(r.answers.len() as f64);
    gauge!(CACHE_ENTRIES, "cache" => "packet").set(r.packets.len() as f64);
    counter!(CACHE_EVICTIONS, "cache" => "rrset").absolute(r.rrsets.evictions());
    gauge!(CACHE_MEMORY, "cache" => "rrset").set(r.rrsets.memory_bytes() as f64);
    // Per-server SRTT for the busiest servers only, to bound label cardinality.
    let mut servers = r.servers.snapshot();
    servers.sort_by_key(|(_, rtt)| *rtt);
    for (ip, ms) in servers.into_iter().take(64) {
        gauge!(UPSTREAM_SRTT, "server" => ip.to_string()).set(ms as f64 / 1000.0);
    }
}

/// Registers help text for every metric (Prometheus `# HELP`).
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(QUERIES, "Queries answered, by transport, qtype and rcode.");
    describe_histogram!(ANSWER_SECONDS, Unit::Seconds, "Time to answer questions that needed resolution.");
    describe_counter!(CACHE_HITS, "Questions answered from the packet cache.");
    describe_counter!(CACHE_MISSES, "Questions that needed the resolver.");
    describe_gauge!(CACHE_ENTRIES, "Entries per cache.");
    describe_counter!(CACHE_EVICTIONS, "Entries evicted for space, per cache.");
    describe_gauge!(CACHE_MEMORY, Unit::Bytes, "Estimated bytes held, per cache.");
    describe_counter!(VALIDATION, "Validation outcomes of answers, with the EDE code of failures.");
    describe_counter!(UPSTREAM_QUERIES, "Upstream queries sent.");
    describe_counter!(UPSTREAM_TIMEOUTS, "Upstream queries that timed out.");
    describe_gauge!(UPSTREAM_SRTT, Unit::Seconds, "Smoothed round-trip time per upstream server.");
    describe_counter!(DROPPED, "Packets dropped without an answer (runts, responses).");
    describe_counter!(MALFORMED, "Malformed queries answered FORMERR.");
    describe_counter!(POLICY, "Queries answered or dropped by the configured policy, by action.");
    describe_counter!(DNS64_SYNTHESISED, "AAAA answers synthesised by DNS64 (RFC 6147).");
    describe_counter!(REFUSED_ACL, "Queries refused by the client ACL.");
    describe_counter!(BUDGET_EXHAUSTED, "Questions that ran out of work budget, by kind.");
    describe_counter!(BOGUS_RETRIED_OK, "Answers that failed validation, then validated when asked again of other servers.");
    describe_counter!(STALE_SERVED, "Stale answers served (RFC 8767): the authorities failed or were too slow.");
    describe_counter!(PREFETCHES, "Answers refreshed in the background before they expired (cache.prefetch).");
    describe_gauge!(ANCHOR_STATE, "Trust-anchor key state: 0 static, 1 initial, RFC 5011 2 Start, 3 AddPend, 4 Valid, 5 Missing, 6 Revoked, 7 Removed, 8 deleted trust point.");
}
