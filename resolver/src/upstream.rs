//! Talking to authoritative servers and forwarders (RFC 1035 §4.2, RFC 7766, RFC 5452).
//!
//! Poisoning defences (RFC 5452 §9): every UDP query gets a fresh random ID and its own
//! socket on a kernel-chosen random source port; a reply is accepted only from the
//! address queried, with the same ID and the same question (case-insensitive: we do not
//! use 0x20 yet). TCP (RFC 7766) is used when a reply is truncated.
//!
//! The resolution core sees only the [`Transport`] trait, so tests can script upstreams.

use ring::rand::{SecureRandom, SystemRandom};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::time::Duration;
use tern_shared::wire::query::QueryView;
use tern_shared::wire::{Header, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Why an exchange produced no usable reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// No reply within the timeout.
    #[error("timed out")]
    Timeout,
    /// The network refused (connection refused, unreachable, ...).
    #[error("network error: {0}")]
    Network(String),
    /// A reply that does not decode.
    #[error("malformed reply: {0}")]
    Malformed(String),
}

/// A future returned by a transport.
pub type Exchange = Pin<Box<dyn Future<Output = Result<Vec<u8>, TransportError>> + Send>>;

/// Sends one query packet to one server and returns the raw reply that matches it.
pub trait Transport: Send + Sync {
    /// One exchange over UDP (`tcp == false`) or TCP.
    fn exchange(&self, server: SocketAddr, query: Vec<u8>, tcp: bool, timeout: Duration) -> Exchange;
}

/// A random 16-bit query ID from the system CSPRNG (RFC 5452 §9.2).
pub fn random_id() -> u16 {
    let mut b = [0u8; 2];
    let _ = SystemRandom::new().fill(&mut b);
    u16::from_be_bytes(b)
}

/// Receive buffer for UDP replies.
const UDP_REPLY_BUFFER: usize = 4096;

/// The real network: a fresh UDP socket per query, TCP with a fresh connection.
#[derive(Debug, Default, Clone, Copy)]
pub struct NetTransport;

impl Transport for NetTransport {
    fn exchange(&self, server: SocketAddr, query: Vec<u8>, tcp: bool, timeout: Duration) -> Exchange {
        Box::pin(async move {
            match tokio::time::timeout(timeout, async move {
                if tcp {
                    tcp_exchange(server, &query).await
                } else {
                    udp_exchange(server, &query).await
                }
            })
            .await
            {
                Ok(r) => r,
                Err(_) => Err(TransportError::Timeout),
            }
        })
    }
}

fn unspecified(server: SocketAddr) -> SocketAddr {
    match server.ip() {
        IpAddr::V4(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        IpAddr::V6(_) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    }
}

async fn udp_exchange(server: SocketAddr, query: &[u8]) -> Result<Vec<u8>, TransportError> {
    let net = |e: std::io::Error| TransportError::Network(e.to_string());
    // Port 0: the kernel picks a random ephemeral port for each socket.
    let sock = tokio::net::UdpSocket::bind(unspecified(server)).await.map_err(net)?;
    sock.send_to(query, server).await.map_err(net)?;
    // We advertise a 1232-octet payload (RFC 6891): a longer datagram is a broken server,
    // so a small buffer suffices and keeps per-query memory low.
    let mut buf = vec![0u8; UDP_REPLY_BUFFER];
    loop {
        let (n, from) = sock.recv_from(&mut buf).await.map_err(net)?;
        // RFC 5452 §9.1: only the address we asked, with our ID and question.
        if from != server || !matches_query(query, &buf[..n]) {
            continue;
        }
        buf.truncate(n);
        return Ok(buf);
    }
}

async fn tcp_exchange(server: SocketAddr, query: &[u8]) -> Result<Vec<u8>, TransportError> {
    let net = |e: std::io::Error| TransportError::Network(e.to_string());
    let mut s = tokio::net::TcpStream::connect(server).await.map_err(net)?;
    let mut frame = Vec::with_capacity(query.len() + 2);
    frame.extend_from_slice(&(query.len() as u16).to_be_bytes());
    frame.extend_from_slice(query);
    s.write_all(&frame).await.map_err(net)?;
    loop {
        let len = s.read_u16().await.map_err(net)? as usize;
        let mut buf = vec![0u8; len];
        s.read_exact(&mut buf).await.map_err(net)?;
        if matches_query(query, &buf) {
            return Ok(buf);
        }
    }
}

/// True if `reply` is a response to `query`: same ID, QR set, same question
/// (name compared case-insensitively, type and class equal).
pub fn matches_query(query: &[u8], reply: &[u8]) -> bool {
    let (Some(qh), Some(rh)) = (Header::parse(query), Header::parse(reply)) else { return false };
    if qh.id != rh.id || !rh.has(tern_shared::wire::flags::QR) {
        return false;
    }
    let Ok(q) = QueryView::parse(query) else { return false };
    if rh.qdcount != 1 {
        // Some servers omit the question on FORMERR/NOTIMP; accept those by ID alone.
        return rh.qdcount == 0 && rh.rcode_low() != 0;
    }
    // The question is never compressed in practice; parse it from the reply.
    let Ok(m) = tern_shared::wire::message::read_name(reply, 12) else { return false };
    let (name, end) = m;
    if reply.len() < end + 4 {
        return false;
    }
    name.wire().eq_ignore_ascii_case(q.qname)
        && reply[end..end + 2] == q.qtype.0.to_be_bytes()
        && reply[end + 2..end + 4] == q.qclass.0.to_be_bytes()
}

/// Decodes a reply, mapping errors to [`TransportError::Malformed`].
pub fn decode(reply: &[u8]) -> Result<Message, TransportError> {
    Message::parse(reply).map_err(|e| TransportError::Malformed(e.to_string()))
}
