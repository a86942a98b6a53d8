//! Prometheus metrics of both daemons: scraped over HTTP, accepted by `promtool check
//! metrics` (Debian package `prometheus`), and counters move as queries are sent.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tern_shared::wire::{rcode, RType};
use tern_tests::*;

/// The value of the first sample of `metric` whose labels contain all of `labels`.
fn value(text: &str, metric: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(metric) && l[metric.len()..].starts_with(['{', ' ']))
        .filter(|l| labels.iter().all(|x| l.contains(x)))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

fn auth_with_metrics(dir: &Path) -> (Auth, SocketAddr) {
    let zone = dir.join("example.com.zone");
    std::fs::copy(fixtures().join("example.com.zone"), &zone).unwrap();
    let metrics = fresh_addr(9153);
    let auth = start_auth(dir, &[("example.com.", &zone)], &["--metrics", &metrics.to_string()]);
    (auth, metrics)
}

#[test]
fn auth_metrics_pass_promtool_and_count_queries() {
    let dir = scratch();
    let data = dir.path().join("auth-data");
    let (ok, _, err) = run_auth(&["zone", "secure", "example.com.", "--data-dir", &data.display().to_string()]);
    assert!(ok, "{err}");
    let (auth, metrics) = auth_with_metrics(dir.path());
    let before = scrape_metrics(metrics);
    for _ in 0..3 {
        assert_eq!(query(auth.addr, "www.example.com.", RType::A, Q::default()).rcode(), rcode::NOERROR);
    }
    assert_eq!(query(auth.addr, "nope.example.com.", RType::AAAA, Q::default()).rcode(), rcode::NXDOMAIN);
    assert_eq!(query(auth.addr, "www.example.com.", RType::A, Q { tcp: true, ..Q::default() }).rcode(), rcode::NOERROR);
    let after = scrape_metrics(metrics);
    promtool_accepts(&after);
    let q = "tern_auth_queries_total";
    let d = |labels: &[&str]| value(&after, q, labels) - value(&before, q, labels);
    assert_eq!(d(&["transport=\"udp\"", "qtype=\"A\"", "rcode=\"NOERROR\""]), 3.0, "{after}");
    assert_eq!(d(&["transport=\"udp\"", "qtype=\"AAAA\"", "rcode=\"NXDOMAIN\""]), 1.0);
    assert_eq!(d(&["transport=\"tcp\"", "qtype=\"A\"", "rcode=\"NOERROR\""]), 1.0);
    assert_eq!(value(&after, "tern_auth_zones_loaded", &[]), 1.0);
    assert_eq!(value(&after, "tern_auth_zone_serial", &["zone=\"example.com.\""]), 2024010101.0);
    assert!(value(&after, "tern_auth_signatures_made_total", &[]) > 10.0);
    assert!(value(&after, "tern_auth_signature_expiry_seconds_remaining", &["zone=\"example.com.\""]) > 13.0 * 86400.0);
}

#[test]
fn resolver_metrics_pass_promtool_and_count_queries() {
    let dir = scratch();
    let data = dir.path().join("auth-data");
    let (ok, ds, err) = run_auth(&["zone", "secure", "example.com.", "--data-dir", &data.display().to_string()]);
    assert!(ok, "{err}");
    let anchor = dir.path().join("example.com.ds");
    std::fs::write(&anchor, ds).unwrap();
    let (auth, _) = auth_with_metrics(dir.path());
    let metrics = fresh_addr(9154);
    let (metrics_text, forward, anchor_text) = (metrics.to_string(), format!("example.com.={}", auth.addr), anchor.display().to_string());
    let (res, listen) =
        start_resolver(dir.path(), &["--metrics", &metrics_text, "--forward-zone", &forward, "--trust-anchor", &anchor_text]);
    for _ in 0..3 {
        let r = query(listen, "www.example.com.", RType::A, Q::rd_dnssec());
        assert_eq!(r.rcode(), rcode::NOERROR, "{}\n{}", r.summary(), res.log_text());
        assert!(r.flag(tern_shared::wire::flags::AD), "secure through the forward zone with the DS anchor: {}", r.summary());
    }
    assert_eq!(query(listen, "nope.example.com.", RType::A, Q::rd_dnssec()).rcode(), rcode::NXDOMAIN);
    // Published once a second.
    std::thread::sleep(Duration::from_millis(1500));
    let text = scrape_metrics(metrics);
    promtool_accepts(&text);
    assert!(value(&text, "tern_resolver_queries_total", &["qtype=\"A\"", "rcode=\"NOERROR\""]) >= 3.0, "{text}");
    assert!(value(&text, "tern_resolver_cache_hits_total", &[]) >= 2.0, "repeats come from the packet cache: {text}");
    assert!(value(&text, "tern_resolver_upstream_queries_total", &[]) >= 2.0);
    assert!(value(&text, "tern_resolver_validation_total", &["result=\"secure\""]) >= 1.0);
    assert!(value(&text, "tern_resolver_answer_seconds_count", &[]) >= 1.0);
    assert!(value(&text, "tern_resolver_cache_entries", &["cache=\"rrset\""]) >= 1.0);
    // Per-anchor state: the example.com. DS is static (0); the built-in root anchors are
    // managed and present (a state code, 1 = initial until RFC 5011 sees their keys).
    assert!(text.contains("tern_resolver_trust_anchor_state{zone=\"example.com.\""), "{text}");
    assert_eq!(value(&text, "tern_resolver_trust_anchor_state", &["zone=\"example.com.\""]), 0.0);
    assert!(text.lines().any(|l| l.starts_with("tern_resolver_trust_anchor_state{zone=\".\",key_tag=\"20326\"}")), "{text}");
}
