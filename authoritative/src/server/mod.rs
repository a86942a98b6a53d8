//! The network side of tern-auth: one UDP worker thread per core, each with its own
//! SO_REUSEPORT socket and reused buffers (the hot path allocates nothing), and a
//! tokio TCP server with idle timeouts (RFC 7766 §6.2.3), pipelined queries answered
//! in order (RFC 7766 §6.2.1.1) and AXFR out (RFC 5936) to allowed addresses.

pub mod respond;
pub mod transfer;

use crate::metrics::{WorkerMetrics, TCP_CONNECTIONS};
use crate::zone::set::ZoneSet;
use arc_swap::ArcSwap;
use ipnet::IpNet;
use respond::{respond, Limits, Outcome, Transport};
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// State shared by all workers.
pub struct Shared {
    /// The zones being served; replaced as a whole on reload or re-sign.
    pub zones: ArcSwap<ZoneSet>,
    /// Answering limits.
    pub limits: Limits,
    /// Address ranges allowed to transfer every zone.
    pub allow_transfer: Vec<IpNet>,
    /// TCP idle timeout.
    pub tcp_idle: Duration,
    /// Most simultaneous TCP connections.
    pub tcp_max: usize,
    /// Set to stop the workers.
    pub shutdown: AtomicBool,
    /// The zones the configuration lists (for readiness: all of them served).
    pub configured: ArcSwap<Vec<tern_shared::wire::Name>>,
    tcp_open: AtomicUsize,
}

impl Shared {
    /// New shared state.
    pub fn new(zones: ZoneSet, limits: Limits, allow_transfer: Vec<IpNet>, tcp_idle: Duration, tcp_max: usize) -> Shared {
        Shared {
            zones: ArcSwap::from_pointee(zones),
            limits,
            allow_transfer,
            tcp_idle,
            tcp_max,
            shutdown: AtomicBool::new(false),
            configured: ArcSwap::from_pointee(Vec::new()),
            tcp_open: AtomicUsize::new(0),
        }
    }
}

/// How often a blocked UDP worker wakes to check for shutdown.
const UDP_POLL: Duration = Duration::from_millis(250);

/// Binds one UDP socket for a worker.
pub fn bind_udp(addr: SocketAddr) -> io::Result<UdpSocket> {
    tern_shared::socket::udp_reuseport(addr, Some(UDP_POLL))
}

/// Runs one UDP worker until shutdown: receive a batch (`recvmmsg`), answer each,
/// send the batch (`sendmmsg`), with buffers allocated once and no allocation per packet.
pub fn udp_worker(sock: UdpSocket, shared: Arc<Shared>) {
    let m = WorkerMetrics::new("udp");
    let mut batch = tern_shared::socket::UdpBatch::new();
    let mut errors_logged = 0u32;
    while !shared.shutdown.load(Ordering::Relaxed) {
        let n = match batch.recv(&sock) {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted) => continue,
            Err(e) => {
                if errors_logged < 10 {
                    errors_logged += 1;
                    tracing::warn!(error = %e, "UDP receive failed");
                }
                continue;
            }
        };
        let zones = shared.zones.load();
        for i in 0..n {
            // Answer straight into the batch's send buffer: no copy.
            let (query, reply) = batch.datagram_and_reply(i);
            match respond(&zones, query, reply, Transport::Udp, shared.limits) {
                Outcome::Answered { truncated, .. } => {
                    m.answered(reply, truncated);
                    batch.queue(i);
                }
                Outcome::Transfer | Outcome::Dropped => m.dropped.increment(1),
            }
        }
        let _ = batch.send(&sock);
    }
}

/// Accepts TCP connections on `listener` until shutdown.
pub async fn tcp_server(listener: std::net::TcpListener, shared: Arc<Shared>) -> io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let accepted = metrics::counter!(TCP_CONNECTIONS);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "TCP accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if shared.shutdown.load(Ordering::Relaxed) {
            return Ok(());
        }
        if shared.tcp_open.fetch_add(1, Ordering::AcqRel) >= shared.tcp_max {
            shared.tcp_open.fetch_sub(1, Ordering::AcqRel);
            drop(stream);
            continue;
        }
        accepted.increment(1);
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = tcp_connection(stream, peer, &shared).await;
            shared.tcp_open.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

/// Serves one TCP connection: length-prefixed messages (RFC 1035 §4.2.2), answered in
/// order, closed after the idle timeout.
async fn tcp_connection(mut stream: TcpStream, peer: SocketAddr, shared: &Shared) -> io::Result<()> {
    let m = WorkerMetrics::tcp();
    let mut inbuf = vec![0u8; 65535];
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    let mut frame: Vec<u8> = Vec::with_capacity(4096);
    loop {
        let len = match tokio::time::timeout(shared.tcp_idle, stream.read_u16()).await {
            Ok(Ok(l)) => l as usize,
            _ => return Ok(()),
        };
        match tokio::time::timeout(shared.tcp_idle, stream.read_exact(&mut inbuf[..len])).await {
            Ok(Ok(_)) => {}
            _ => return Ok(()),
        }
        let zones = shared.zones.load_full();
        match respond(&zones, &inbuf[..len], &mut out, Transport::Tcp, shared.limits) {
            Outcome::Answered { truncated, .. } => {
                m.answered(&out, truncated);
                frame.clear();
                frame.extend_from_slice(&(out.len() as u16).to_be_bytes());
                frame.extend_from_slice(&out);
                stream.write_all(&frame).await?;
            }
            Outcome::Transfer => {
                transfer::serve(&mut stream, peer, &zones, &inbuf[..len], &shared.allow_transfer).await?;
            }
            Outcome::Dropped => {
                m.dropped.increment(1);
                return Ok(());
            }
        }
    }
}
