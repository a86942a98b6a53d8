//! What we know about each upstream server: smoothed round-trip time with decay, and
//! behaviour (no EDNS, lame) — used to pick the fastest server of a zone and to back
//! off unresponsive ones (as Unbound's infra cache and BIND's SRTT do).
//!
//! # Limitations
//! Kept per address only (not per address and zone); bounded to
//! [`MAX_SERVERS`] entries, dropping the least recently used when full.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

/// Most servers remembered.
pub const MAX_SERVERS: usize = 100_000;
/// SRTT given to a server never tried: low, so new servers get tried (milliseconds).
pub const UNKNOWN_SRTT_MS: u32 = 50;
/// Weight of the old SRTT in the moving average (BIND uses 0.7).
const DECAY: f64 = 0.7;
/// Timeouts in a row after which a server is left alone for [`BACKOFF`].
const BACKOFF_AFTER: u32 = 3;
/// How long a server that truncated an answer is asked over TCP first.
pub const TCP_MEMORY: Duration = Duration::from_secs(600);
/// How long an unresponsive server is skipped.
pub const BACKOFF: Duration = Duration::from_secs(30);

/// Statistics of one server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Smoothed RTT in milliseconds.
    pub srtt_ms: u32,
    /// Consecutive timeouts.
    pub timeouts: u32,
    /// Skip until this time (ms since the epoch).
    pub backoff_until: u64,
    /// The server answered FORMERR to EDNS: ask it without OPT (RFC 6891 §7).
    pub no_edns: bool,
    /// Until this time (ms since the epoch) ask it over TCP first: it truncated a UDP
    /// answer recently (RFC 7766 §5: the retry over TCP is needed anyway).
    pub tcp_until: u64,
    /// Last use (ms since the epoch), for eviction.
    pub last: u64,
}

/// The server table.
#[derive(Debug, Default)]
pub struct Servers {
    inner: Mutex<HashMap<IpAddr, Stats>>,
}

impl Servers {
    /// An empty table.
    pub fn new() -> Servers {
        Servers::default()
    }

    fn with<T>(&self, ip: IpAddr, now_ms: u64, f: impl FnOnce(&mut Stats) -> T) -> T {
        let mut m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if m.len() >= MAX_SERVERS && !m.contains_key(&ip) {
            if let Some(oldest) = m.iter().min_by_key(|(_, s)| s.last).map(|(k, _)| *k) {
                m.remove(&oldest);
            }
        }
        let s = m.entry(ip).or_insert(Stats {
            srtt_ms: UNKNOWN_SRTT_MS,
            timeouts: 0,
            backoff_until: 0,
            no_edns: false,
            tcp_until: 0,
            last: now_ms,
        });
        s.last = now_ms;
        f(s)
    }

    /// Records a reply after `rtt`.
    pub fn reply(&self, ip: IpAddr, rtt: Duration, now_ms: u64) {
        let ms = rtt.as_millis().min(60_000) as f64;
        self.with(ip, now_ms, |s| {
            s.srtt_ms = (DECAY * s.srtt_ms as f64 + (1.0 - DECAY) * ms).round() as u32;
            s.timeouts = 0;
            s.backoff_until = 0;
        });
    }

    /// Records a timeout: the SRTT grows, and after a few in a row the server is backed off.
    pub fn timeout(&self, ip: IpAddr, timeout: Duration, now_ms: u64) {
        self.with(ip, now_ms, |s| {
            s.srtt_ms = (s.srtt_ms.max(timeout.as_millis() as u32)).saturating_mul(2).min(10_000);
            s.timeouts += 1;
            if s.timeouts >= BACKOFF_AFTER {
                s.backoff_until = now_ms + BACKOFF.as_millis() as u64;
            }
        });
    }

    /// Remembers that a server truncates UDP answers: TCP first for [`TCP_MEMORY`].
    pub fn set_truncates(&self, ip: IpAddr, now_ms: u64) {
        self.with(ip, now_ms, |s| s.tcp_until = now_ms + TCP_MEMORY.as_millis() as u64);
    }

    /// Marks a server as not understanding EDNS.
    pub fn set_no_edns(&self, ip: IpAddr, now_ms: u64) {
        self.with(ip, now_ms, |s| s.no_edns = true);
    }

    /// The stats of a server (defaults for an unknown one).
    pub fn get(&self, ip: IpAddr) -> Stats {
        let m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        m.get(&ip).copied().unwrap_or(Stats {
            srtt_ms: UNKNOWN_SRTT_MS,
            timeouts: 0,
            backoff_until: 0,
            no_edns: false,
            tcp_until: 0,
            last: 0,
        })
    }

    /// Orders addresses for trying: servers not backed off first, by SRTT; `jitter`
    /// (0..) spreads load among equals.
    pub fn order(&self, addrs: &[IpAddr], now_ms: u64, jitter: u64) -> Vec<IpAddr> {
        let mut v: Vec<(bool, u32, u64, IpAddr)> = addrs
            .iter()
            .enumerate()
            .map(|(i, &ip)| {
                let s = self.get(ip);
                let shuffle = jitter.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(i as u32 * 7) & 0xff;
                (s.backoff_until > now_ms, s.srtt_ms, shuffle, ip)
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, _, _, ip)| ip).collect()
    }

    /// How long to wait for this server: a few SRTTs, within [min, max].
    pub fn timeout_for(&self, ip: IpAddr, min: Duration, max: Duration) -> Duration {
        let s = self.get(ip);
        Duration::from_millis((s.srtt_ms as u64 * 4).max(min.as_millis() as u64)).min(max)
    }

    /// Number of servers known.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// True if none known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (address, SRTT ms) of every known server, for metrics and status.
    pub fn snapshot(&self) -> Vec<(IpAddr, u32)> {
        self.inner.lock().map(|m| m.iter().map(|(k, s)| (*k, s.srtt_ms)).collect()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faster_servers_come_first_and_timeouts_back_off() {
        let s = Servers::new();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..5 {
            s.reply(a, Duration::from_millis(80), 0);
            s.reply(b, Duration::from_millis(10), 0);
        }
        assert_eq!(s.order(&[a, b], 0, 0), vec![b, a]);
        for _ in 0..3 {
            s.timeout(b, Duration::from_millis(500), 1000);
        }
        assert_eq!(s.order(&[a, b], 1000, 0), vec![a, b], "a backed-off server goes last");
        assert_eq!(s.order(&[a, b], 1000 + BACKOFF.as_millis() as u64 + 1, 0)[1], b, "still slow after backoff: SRTT grew");
        s.reply(b, Duration::from_millis(10), 40_000);
        assert_eq!(s.get(b).timeouts, 0);
    }
}
