//! The client side of tern-resolver: one UDP worker thread per core with its own
//! SO_REUSEPORT socket, answering cache hits inline from the packet cache (no task, no
//! allocation) and handing misses to the async resolver; TCP (RFC 7766) on tokio.
//!
//! Admission (in this order): parse (runts and responses dropped, malformed queries
//! FORMERR, RFC 1035 §4.1.1), ACL (REFUSED for clients outside `allow_from`), EDNS
//! version (BADVERS, RFC 6891 §6.1.3), opcode and class checks.

pub mod reply;

use crate::cache::packet::{self, make_key, Packet, MAX_KEY};
use crate::resolve::Resolver;
use ipnet::IpNet;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tern_shared::config::ip_allowed;
use tern_shared::wire::query::QueryView;
use tern_shared::wire::{opcode, rcode, Class, QueryError, RType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Shared server state.
pub struct Server {
    /// The resolver.
    pub resolver: Arc<Resolver>,
    /// Client ACL (replaced on reload).
    pub allow_from: arc_swap::ArcSwap<Vec<IpNet>>,
    /// Local data and rules (replaced on reload).
    pub policy: arc_swap::ArcSwap<crate::policy::Policy>,
    /// DNS64, when on (replaced on reload).
    pub dns64: arc_swap::ArcSwapOption<crate::dns64::Dns64>,
    /// Our UDP payload size.
    pub udp_payload: u16,
    /// TCP idle timeout.
    pub tcp_idle: Duration,
    /// Set to stop.
    pub shutdown: AtomicBool,
    /// Counters.
    pub stats: ServerStats,
}

/// Server counters (read by metrics).
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Queries answered from the packet cache.
    pub cache_hits: AtomicU64,
    /// Queries that needed the resolver.
    pub cache_misses: AtomicU64,
    /// Packets dropped (runts, responses).
    pub dropped: AtomicU64,
    /// FORMERR answers.
    pub formerr: AtomicU64,
    /// REFUSED by ACL.
    pub refused: AtomicU64,
    /// Answers by rcode: NOERROR, SERVFAIL, NXDOMAIN, other.
    pub noerror: AtomicU64,
    /// SERVFAIL answers.
    pub servfail: AtomicU64,
    /// NXDOMAIN answers.
    pub nxdomain: AtomicU64,
    /// Secure answers (AD set).
    pub secure: AtomicU64,
    /// Bogus answers (SERVFAIL for validation).
    pub bogus: AtomicU64,
}

impl ServerStats {
    fn count_rcode(&self, rc: u16) {
        match rc {
            rcode::NOERROR => &self.noerror,
            rcode::SERVFAIL => &self.servfail,
            rcode::NXDOMAIN => &self.nxdomain,
            _ => return,
        }
        .fetch_add(1, Ordering::Relaxed);
    }
}

/// How a packet is handled after admission.
pub enum Admit<'a> {
    /// Send this already-written response.
    Reply,
    /// Nothing to send.
    Drop,
    /// Resolve this question.
    Resolve(QueryView<'a>),
}

/// How often a blocked UDP worker wakes to check for shutdown.
const UDP_POLL: Duration = Duration::from_millis(250);

impl Server {
    /// Binds one UDP socket for a worker.
    pub fn bind_udp(addr: SocketAddr) -> io::Result<UdpSocket> {
        tern_shared::socket::udp_reuseport(addr, Some(UDP_POLL))
    }

    /// Admission and the cache-hit fast path. Writes into `out` when it returns `Reply`.
    pub fn admit<'a>(&self, packet: &'a [u8], peer: SocketAddr, out: &mut Vec<u8>, limit_udp: bool) -> Admit<'a> {
        let q = match QueryView::parse(packet) {
            Ok(q) => q,
            Err(QueryError::Drop) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                return Admit::Drop;
            }
            Err(QueryError::FormErr(h)) | Err(QueryError::NotImp(h)) => {
                let rc = if h.opcode() == opcode::QUERY || h.opcode() == opcode::NOTIFY { rcode::FORMERR } else { rcode::NOTIMP };
                self.stats.formerr.fetch_add(1, Ordering::Relaxed);
                header_only(out, h, rc);
                return Admit::Reply;
            }
        };
        if !ip_allowed(&self.allow_from.load(), peer.ip()) {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
            reply::write_error(&q, rcode::REFUSED, None, out, false);
            return Admit::Reply;
        }
        if q.edns.is_some_and(|e| e.version > 0) {
            reply::write_error(&q, rcode::BADVERS, None, out, true);
            return Admit::Reply;
        }
        if q.header.opcode() != opcode::QUERY {
            reply::write_error(&q, rcode::NOTIMP, None, out, true);
            return Admit::Reply;
        }
        if q.qclass != Class::IN {
            reply::write_error(&q, rcode::REFUSED, None, out, true);
            return Admit::Reply;
        }
        if matches!(q.qtype, RType::AXFR | RType::IXFR | RType::OPT | RType::MAILA | RType::MAILB | RType::TSIG | RType::TKEY) {
            reply::write_error(&q, rcode::NOTIMP, None, out, true);
            return Admit::Reply;
        }
        // Policy before the caches, so a reload applies to cached names at once.
        let policy = self.policy.load();
        if !policy.is_empty() {
            match policy.respond(&q, limit_udp, out) {
                (crate::policy::Verdict::Resolve, _) => {}
                (v, action) => {
                    if let Some(a) = action {
                        crate::metrics::policy(a);
                    }
                    return if v == crate::policy::Verdict::Drop { Admit::Drop } else { Admit::Reply };
                }
            }
        }
        // The hot path: a complete answer image for exactly this question and variant.
        let mut kbuf = [0u8; MAX_KEY];
        let klen = self.key(&mut kbuf, &q, peer.ip());
        let now = self.resolver.now();
        let limit = if limit_udp { reply::udp_limit(&q, self.udp_payload) } else { usize::MAX };
        let prefetch = self.resolver.settings.prefetch;
        let hit = self.resolver.packets.with(&kbuf[..klen], now, |p| {
            if p.image.len() > limit {
                return None;
            }
            packet::write_hit(p, &q, now, out);
            Some(prefetch && p.claim_prefetch(now))
        });
        if let Some(Some(refresh)) = hit {
            self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            if refresh {
                // A popular answer near its end: refresh it in the background, so it
                // does not expire under its clients (the rare, allocating case), once
                // the shard's lock is let go.
                if let Ok(name) = tern_shared::wire::Name::from_wire(q.qname) {
                    self.resolver.prefetch(&name, q.qtype);
                }
            }
            return Admit::Reply;
        }
        self.stats.cache_misses.fetch_add(1, Ordering::Relaxed);
        Admit::Resolve(q)
    }

    /// The packet-cache key of `q` from `peer` (see [`make_key`]): AAAA and PTR answers
    /// differ for clients outside `dns64.clients`, so theirs are kept apart.
    fn key(&self, buf: &mut [u8; MAX_KEY], q: &QueryView<'_>, peer: IpAddr) -> usize {
        let n = make_key(buf, q);
        if matches!(q.qtype, RType::AAAA | RType::PTR) && self.dns64.load().as_ref().is_some_and(|d| !d.serves(peer)) {
            buf[n - 1] |= packet::variant::NO_DNS64;
        }
        n
    }

    /// Resolves `q` from `peer` and writes the response; stores it in the packet cache
    /// when complete.
    pub async fn answer(&self, q: &QueryView<'_>, peer: IpAddr, limit: usize, out: &mut Vec<u8>) {
        let qname = match tern_shared::wire::Name::from_wire(q.qname) {
            Ok(n) => n,
            Err(_) => {
                reply::write_error(q, rcode::FORMERR, None, out, true);
                return;
            }
        };
        // RFC 6147 §5.3.1: a PTR question for an address under the DNS64 prefix is
        // answered through the IPv4 address's in-addr.arpa name.
        let dns64 = self.dns64.load_full().filter(|d| d.serves(peer));
        let ptr_target = if q.qtype == RType::PTR { dns64.as_ref().and_then(|d| d.reverse_target(&qname)) } else { None };
        let mut a = match &ptr_target {
            Some(t) => {
                // The IPv4 name may be local data (a hosts-style PTR) the resolver never sees.
                let local = self.policy.load().local_answer(t, RType::PTR, self.resolver.now());
                let ans = match local {
                    Some(l) => Arc::new(l),
                    None => self.resolver.resolve(t, RType::PTR).await,
                };
                Arc::new(crate::dns64::reverse_answer(&qname, t, &ans, self.resolver.now()))
            }
            None => self.resolver.resolve(&qname, q.qtype).await,
        };
        let now = self.resolver.now();
        let cd = q.header.has(tern_shared::wire::flags::CD);
        if q.qtype == RType::AAAA && !(cd && q.dnssec_ok()) {
            // RFC 6147 §5.5: a client setting CD and DO validates itself; no synthesis.
            if let Some(d) = &dns64 {
                if d.wants(&a) {
                    let target = d.target(&qname, &a);
                    let four = self.resolver.resolve(&target, RType::A).await;
                    if let Some(s) = d.synthesize(&a, &four, now) {
                        crate::metrics::dns64_synthesised();
                        a = Arc::new(s);
                    }
                }
            }
        }
        if let Some(r) = self.policy.load().renumbered(&a) {
            a = Arc::new(r);
        }
        if crate::validator::sentinel::parse(&qname).is_some() {
            let root_tags: Vec<u16> = {
                let anchors = self.resolver.anchors.read().unwrap_or_else(|p| p.into_inner());
                anchors.zone(&tern_shared::wire::Name::root()).map(|l| l.iter().map(|a| a.key_tag).collect()).unwrap_or_default()
            };
            if crate::validator::sentinel::must_fail(&qname, q.qtype, cd, a.security.is_secure(), &root_tags) {
                // RFC 8509 §3.2; not packet-cached, since the root anchors can change.
                reply::write_error(q, rcode::SERVFAIL, None, out, true);
                self.stats.count_rcode(rcode::SERVFAIL);
                return;
            }
        }
        let w = reply::write_answer(q, &a, now, limit, self.udp_payload, out);
        self.stats.count_rcode(w.rcode);
        if w.secure {
            self.stats.secure.fetch_add(1, Ordering::Relaxed);
        }
        if w.rcode == rcode::SERVFAIL && a.security.is_bogus() {
            self.stats.bogus.fetch_add(1, Ordering::Relaxed);
        }
        if a.kind != crate::cache::AnswerKind::Failure {
            let result = match &a.security {
                crate::validator::Security::Secure => "secure",
                crate::validator::Security::Insecure(_) => "insecure",
                crate::validator::Security::Bogus(_) => "bogus",
                crate::validator::Security::Indeterminate(_) => "indeterminate",
            };
            crate::metrics::validation(result, a.security.ede_code());
        }
        if w.cacheable && a.expires > now {
            if let Some(offsets) = packet::ttl_offsets(out) {
                let mut kbuf = [0u8; MAX_KEY];
                let klen = self.key(&mut kbuf, q, peer);
                // The image is stored with TTLs as of `now`.
                self.resolver
                    .packets
                    .insert(&kbuf[..klen], Packet::new(out.clone().into_boxed_slice(), offsets.into_iter().collect(), now, a.expires));
            }
        }
    }
}

fn count_reply(m: &crate::metrics::QueryMetrics, out: &[u8]) {
    m.answered_packet(out);
}

fn header_only(out: &mut Vec<u8>, h: tern_shared::wire::Header, rc: u16) {
    use tern_shared::wire::{flags, Header, MessageWriter};
    let f = flags::QR | (h.flags & (0x7800 | flags::RD)) | rc;
    MessageWriter::new(out, 512, Header { id: h.id, flags: f, ..Default::default() }).finish();
}

/// Runs one UDP worker until shutdown. Queries arrive in batches (`recvmmsg`); cache
/// hits are answered on this thread and sent back in one `sendmmsg`; misses are resolved
/// on the runtime and answered from there through a clone of the socket.
pub fn udp_worker(sock: UdpSocket, server: Arc<Server>, rt: tokio::runtime::Handle) {
    // In the runtime's context, so a cache hit can start a prefetch task.
    let _in_runtime = rt.enter();
    let sock = Arc::new(sock);
    let mut batch = tern_shared::socket::UdpBatch::new();
    while !server.shutdown.load(Ordering::Relaxed) {
        let n = match batch.recv(&sock) {
            Ok(n) => n,
            Err(_) => continue,
        };
        for i in 0..n {
            let Some(peer) = batch.peer(i) else { continue };
            // Cache hits are written straight into the batch's send buffer.
            let (query, reply) = batch.datagram_and_reply(i);
            match server.admit(query, peer, reply, true) {
                Admit::Drop => {}
                Admit::Reply => {
                    count_reply(crate::metrics::udp(), reply);
                    batch.queue(i);
                }
                Admit::Resolve(_) => {
                    let packet = batch.datagram(i).to_vec();
                    let (server, sock) = (server.clone(), sock.clone());
                    rt.spawn(async move {
                        let Ok(q) = QueryView::parse(&packet) else { return };
                        let mut out = Vec::with_capacity(1232);
                        let limit = reply::udp_limit(&q, server.udp_payload);
                        let started = std::time::Instant::now();
                        server.answer(&q, peer.ip(), limit, &mut out).await;
                        crate::metrics::udp().latency(started.elapsed());
                        count_reply(crate::metrics::udp(), &out);
                        let _ = sock.send_to(&out, peer);
                    });
                }
            }
        }
        let _ = batch.send(&sock);
    }
}

/// Accepts TCP connections until shutdown.
pub async fn tcp_server(listener: std::net::TcpListener, server: Arc<Server>) -> io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if server.shutdown.load(Ordering::Relaxed) {
            return Ok(());
        }
        let server = server.clone();
        tokio::spawn(async move {
            let _ = tcp_connection(stream, peer, &server).await;
        });
    }
}

async fn tcp_connection(mut stream: tokio::net::TcpStream, peer: SocketAddr, server: &Server) -> io::Result<()> {
    let mut inbuf = vec![0u8; 65535];
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let len = match tokio::time::timeout(server.tcp_idle, stream.read_u16()).await {
            Ok(Ok(l)) => l as usize,
            _ => return Ok(()),
        };
        match tokio::time::timeout(server.tcp_idle, stream.read_exact(&mut inbuf[..len])).await {
            Ok(Ok(_)) => {}
            _ => return Ok(()),
        }
        match server.admit(&inbuf[..len], peer, &mut out, false) {
            Admit::Drop => return Ok(()),
            Admit::Reply => {}
            Admit::Resolve(q) => {
                let started = std::time::Instant::now();
                server.answer(&q, peer.ip(), 65535, &mut out).await;
                crate::metrics::tcp().latency(started.elapsed());
            }
        }
        count_reply(crate::metrics::tcp(), &out);
        let mut frame = Vec::with_capacity(out.len() + 2);
        frame.extend_from_slice(&(out.len() as u16).to_be_bytes());
        frame.extend_from_slice(&out);
        stream.write_all(&frame).await?;
    }
}
