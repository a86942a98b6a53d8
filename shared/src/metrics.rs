//! Prometheus exposition for both daemons (`metrics` + `metrics-exporter-prometheus`,
//! HTTP listener only). Histograms get explicit buckets so they export as histograms,
//! not summaries. The listener has no authentication: bind it to loopback or a
//! management network.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use std::net::SocketAddr;

/// Latency buckets in seconds, from 10 µs (cache hits) to 5 s (slow upstreams).
pub const LATENCY_BUCKETS: &[f64] = &[0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0];

/// The exporter could not start.
#[derive(Debug, thiserror::Error)]
#[error("metrics listener on {addr}: {reason}")]
pub struct MetricsError {
    /// The address asked for.
    pub addr: SocketAddr,
    /// Why it failed.
    pub reason: String,
}

/// Starts the Prometheus HTTP listener on `addr` (served at any path, `/metrics` by
/// convention) and installs the global recorder. Histograms whose names end in
/// `_seconds` use [`LATENCY_BUCKETS`].
pub fn install_prometheus(addr: SocketAddr) -> Result<(), MetricsError> {
    let err = |reason: String| MetricsError { addr, reason };
    // Bind first so a taken port is reported here, not lost in a background thread.
    drop(std::net::TcpListener::bind(addr).map_err(|e| err(e.to_string()))?);
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
        .map_err(|e| err(e.to_string()))?
        .install()
        .map_err(|e| err(e.to_string()))
}

/// The rcode as a label value (RFC 1035 §4.1.1, RFC 6891 §9).
pub fn rcode_label(rcode: u16) -> &'static str {
    match rcode {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        9 => "NOTAUTH",
        16 => "BADVERS",
        _ => "OTHER",
    }
}

/// Label values for [`rcode_label`], to pre-build per-rcode counter handles.
pub const RCODE_LABELS: &[(u16, &str)] = &[
    (0, "NOERROR"),
    (1, "FORMERR"),
    (2, "SERVFAIL"),
    (3, "NXDOMAIN"),
    (4, "NOTIMP"),
    (5, "REFUSED"),
    (6, "YXDOMAIN"),
    (9, "NOTAUTH"),
    (16, "BADVERS"),
];

/// QTYPEs with their own label value; the rest count as `other` (bounded cardinality).
pub const QTYPE_LABELS: &[crate::wire::RType] = {
    use crate::wire::RType;
    &[
        RType::A,
        RType::AAAA,
        RType::CNAME,
        RType::MX,
        RType::NS,
        RType::PTR,
        RType::SOA,
        RType::SRV,
        RType::TXT,
        RType::DS,
        RType::DNSKEY,
        RType::HTTPS,
        RType::SVCB,
        RType::ANY,
    ]
};

/// Pre-labelled query counters for one transport: one handle per (qtype, rcode), built
/// once so counting an answer is an index and an atomic add.
pub struct QueryCounters {
    by: Vec<metrics::Counter>,
}

impl QueryCounters {
    /// Builds the handles of counter `name` for `transport`.
    pub fn new(name: &'static str, transport: &'static str) -> QueryCounters {
        let mut by = Vec::with_capacity((QTYPE_LABELS.len() + 1) * (RCODE_LABELS.len() + 1));
        for qt in QTYPE_LABELS.iter().map(|t| t.mnemonic().unwrap_or("other")).chain(["other"]) {
            for rc in RCODE_LABELS.iter().map(|(_, l)| *l).chain(["OTHER"]) {
                by.push(metrics::counter!(name, "transport" => transport, "qtype" => qt, "rcode" => rc));
            }
        }
        QueryCounters { by }
    }

    /// Counts one answer.
    #[inline]
    pub fn answered(&self, qtype: crate::wire::RType, rcode: u16) {
        let qi = QTYPE_LABELS.iter().position(|t| *t == qtype).unwrap_or(QTYPE_LABELS.len());
        let ri = RCODE_LABELS.iter().position(|(r, _)| *r == rcode).unwrap_or(RCODE_LABELS.len());
        self.by[qi * (RCODE_LABELS.len() + 1) + ri].increment(1);
    }

    /// Counts a response by the question type and rcode read back from its bytes.
    pub fn answered_packet(&self, msg: &[u8]) {
        if msg.len() < 12 {
            return;
        }
        let rc = (msg[3] & 0x0f) as u16;
        let qtype = match crate::wire::name::wire_name_len(&msg[12..]) {
            Some(n) if msg.len() >= 12 + n + 2 && msg[5] == 1 => crate::wire::RType(u16::from_be_bytes([msg[12 + n], msg[13 + n]])),
            _ => crate::wire::RType(0),
        };
        self.answered(qtype, rc);
    }
}
