//! Listening sockets: one SO_REUSEPORT UDP socket per worker (the kernel spreads
//! datagrams across them by flow hash, so workers share nothing on the hot path) and
//! TCP listeners, with IPV6_V6ONLY set so `[::]` and `0.0.0.0` can be bound side by side.

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// Receive/send buffer size asked of the kernel for UDP sockets.
pub const UDP_BUFFER_BYTES: usize = 4 << 20;

/// A bound UDP socket with SO_REUSEPORT, so each worker can own one on the same address.
pub fn udp_reuseport(addr: SocketAddr, read_timeout: Option<Duration>) -> io::Result<std::net::UdpSocket> {
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_reuse_address(true)?;
    #[cfg(unix)]
    s.set_reuse_port(true)?;
    // Larger buffers absorb bursts; the kernel caps them at net.core.*mem_max.
    let _ = s.set_recv_buffer_size(UDP_BUFFER_BYTES);
    let _ = s.set_send_buffer_size(UDP_BUFFER_BYTES);
    s.bind(&addr.into())?;
    let s: std::net::UdpSocket = s.into();
    s.set_read_timeout(read_timeout)?;
    Ok(s)
}

/// A bound, listening TCP socket (non-blocking, for tokio).
pub fn tcp_listener(addr: SocketAddr, backlog: i32) -> io::Result<std::net::TcpListener> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    s.set_reuse_address(true)?;
    s.set_tcp_nodelay(true)?;
    s.bind(&addr.into())?;
    s.listen(backlog)?;
    s.set_nonblocking(true)?;
    Ok(s.into())
}

/// Picks a free port on `ip` for both UDP and TCP, by binding port 0 over TCP and then
/// checking UDP. Used for the no-config start-up on an unprivileged loopback port.
pub fn free_port(ip: std::net::IpAddr) -> io::Result<u16> {
    for _ in 0..32 {
        let t = std::net::TcpListener::bind((ip, 0))?;
        let port = t.local_addr()?.port();
        if std::net::UdpSocket::bind((ip, port)).is_ok() {
            return Ok(port);
        }
    }
    Err(io::Error::new(io::ErrorKind::AddrInUse, "no free port found"))
}
