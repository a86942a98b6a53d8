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

/// Datagrams moved per system call by [`UdpBatch`] (Linux `recvmmsg`/`sendmmsg`).
pub const BATCH: usize = 32;
/// Largest query datagram accepted; longer ones are cut and then fail to parse (a DNS
/// query this long is not legitimate: RFC 6891 payload sizes are for responses).
pub const MAX_QUERY: usize = 4096;
/// Largest response datagram sent by a batch (our EDNS payload limit is at most 4096).
pub const MAX_RESPONSE: usize = 4096;

/// Batched UDP I/O for a worker: up to [`BATCH`] queries received with one `recvmmsg`
/// and the answers sent with one `sendmmsg`, into buffers allocated once. On a loaded
/// server most of the per-query cost is system calls; batching divides it.
pub struct UdpBatch {
    rx: Box<[[u8; MAX_QUERY]]>,
    rx_len: [usize; BATCH],
    peers: Box<[libc::sockaddr_storage]>,
    tx: Vec<Vec<u8>>,
    tx_peer: [usize; BATCH],
    n_tx: usize,
    /// Receive headers, pointing into `rx`/`peers` once and for all (heap buffers do not
    /// move with the struct).
    iov: Box<[libc::iovec]>,
    msgs: Box<[libc::mmsghdr]>,
    /// How many receive headers the kernel filled last time (their lengths need reset).
    n_rx: usize,
    tx_iov: Box<[libc::iovec]>,
    tx_msgs: Box<[libc::mmsghdr]>,
}

// SAFETY: the raw pointers inside `iov`/`msgs` point only into this struct's own heap
// buffers and are rebuilt before every system call.
unsafe impl Send for UdpBatch {}

impl Default for UdpBatch {
    fn default() -> Self {
        UdpBatch::new()
    }
}

impl UdpBatch {
    /// Allocates the buffers (about 260 KiB).
    pub fn new() -> UdpBatch {
        // SAFETY: all-zero is a valid sockaddr_storage, iovec and mmsghdr.
        let zero_ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let zero_iov: libc::iovec = libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 };
        let zero_msg: libc::mmsghdr = unsafe { std::mem::zeroed() };
        let mut b = UdpBatch {
            rx: vec![[0u8; MAX_QUERY]; BATCH].into_boxed_slice(),
            rx_len: [0; BATCH],
            peers: vec![zero_ss; BATCH].into_boxed_slice(),
            tx: (0..BATCH).map(|_| Vec::with_capacity(MAX_RESPONSE)).collect(),
            tx_peer: [0; BATCH],
            n_tx: 0,
            iov: vec![zero_iov; BATCH].into_boxed_slice(),
            msgs: vec![zero_msg; BATCH].into_boxed_slice(),
            n_rx: 0,
            tx_iov: vec![zero_iov; BATCH].into_boxed_slice(),
            tx_msgs: vec![zero_msg; BATCH].into_boxed_slice(),
        };
        for i in 0..BATCH {
            b.iov[i] = libc::iovec { iov_base: b.rx[i].as_mut_ptr().cast(), iov_len: MAX_QUERY };
            let h = &mut b.msgs[i].msg_hdr;
            h.msg_name = (&mut b.peers[i] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            h.msg_iov = &mut b.iov[i];
            h.msg_iovlen = 1;
        }
        b
    }

    /// Receives 1 to [`BATCH`] datagrams (blocking until at least one, or the socket's
    /// read timeout). Returns how many.
    pub fn recv(&mut self, sock: &std::net::UdpSocket) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        // Only what the kernel changed last time needs resetting.
        for m in self.msgs[..self.n_rx].iter_mut() {
            m.msg_hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            m.msg_hdr.msg_flags = 0;
            m.msg_len = 0;
        }
        self.n_rx = 0;
        // SAFETY: every mmsghdr points at buffers owned by `self` that outlive the call.
        let n = unsafe {
            libc::recvmmsg(sock.as_raw_fd(), self.msgs.as_mut_ptr(), BATCH as libc::c_uint, libc::MSG_WAITFORONE, std::ptr::null_mut())
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = n as usize;
        self.n_rx = n;
        for i in 0..n {
            self.rx_len[i] = self.msgs[i].msg_len as usize;
        }
        self.n_tx = 0;
        Ok(n)
    }

    /// The `i`th datagram received.
    #[inline]
    pub fn datagram(&self, i: usize) -> &[u8] {
        &self.rx[i][..self.rx_len[i]]
    }

    /// The sender of the `i`th datagram.
    pub fn peer(&self, i: usize) -> Option<SocketAddr> {
        sockaddr_to(&self.peers[i])
    }

    /// The `i`th datagram and the next free response buffer (capacity
    /// [`MAX_RESPONSE`]; whatever it holds is replaced), to answer straight into.
    #[inline]
    pub fn datagram_and_reply(&mut self, i: usize) -> (&[u8], &mut Vec<u8>) {
        (&self.rx[i][..self.rx_len[i]], &mut self.tx[self.n_tx])
    }

    /// Queues the current response buffer (as filled through
    /// [`datagram_and_reply`](Self::datagram_and_reply)) to go to the `i`th sender.
    #[inline]
    pub fn queue(&mut self, i: usize) {
        let b = &mut self.tx[self.n_tx];
        b.truncate(MAX_RESPONSE);
        self.tx_peer[self.n_tx] = i;
        self.n_tx += 1;
    }

    /// Sends every queued reply with as few `sendmmsg` calls as the kernel allows.
    pub fn send(&mut self, sock: &std::net::UdpSocket) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        let total = self.n_tx;
        for k in 0..total {
            self.tx_iov[k] = libc::iovec { iov_base: self.tx[k].as_mut_ptr().cast(), iov_len: self.tx[k].len() };
            let peer = self.tx_peer[k];
            let h = &mut self.tx_msgs[k].msg_hdr;
            h.msg_name = (&mut self.peers[peer] as *mut libc::sockaddr_storage).cast();
            h.msg_namelen = sockaddr_len(&self.peers[peer]);
            h.msg_iov = &mut self.tx_iov[k];
            h.msg_iovlen = 1;
        }
        let mut sent = 0;
        while sent < total {
            // SAFETY: the headers point at buffers owned by `self`, valid for the call.
            let n = unsafe { libc::sendmmsg(sock.as_raw_fd(), self.tx_msgs[sent..].as_mut_ptr(), (total - sent) as libc::c_uint, 0) };
            if n <= 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // Skip the datagram that failed (e.g. an unreachable client) and go on.
                sent += 1;
                continue;
            }
            sent += n as usize;
        }
        self.n_tx = 0;
        Ok(total)
    }
}

fn sockaddr_len(ss: &libc::sockaddr_storage) -> libc::socklen_t {
    match ss.ss_family as libc::c_int {
        libc::AF_INET6 => std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
        _ => std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
    }
}

fn sockaddr_to(ss: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match ss.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says this storage holds a sockaddr_in.
            let a = unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::new(ip.into(), u16::from_be(a.sin_port)))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says this storage holds a sockaddr_in6.
            let a = unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let ip = std::net::Ipv6Addr::from(a.sin6_addr.s6_addr);
            Some(SocketAddr::new(ip.into(), u16::from_be(a.sin6_port)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_receives_several_datagrams_and_answers_each_sender() {
        let server = udp_reuseport("127.0.0.1:0".parse().unwrap(), Some(Duration::from_secs(2))).unwrap();
        let addr = server.local_addr().unwrap();
        let clients: Vec<std::net::UdpSocket> = (0..5).map(|_| std::net::UdpSocket::bind("127.0.0.1:0").unwrap()).collect();
        for (i, c) in clients.iter().enumerate() {
            c.send_to(&[i as u8; 3], addr).unwrap();
        }
        let mut b = UdpBatch::new();
        let mut got = 0;
        while got < 5 {
            let n = b.recv(&server).unwrap();
            for i in 0..n {
                let (d, reply) = b.datagram_and_reply(i);
                reply.clear();
                reply.extend_from_slice(d);
                reply.push(0xee);
                b.queue(i);
            }
            b.send(&server).unwrap();
            got += n;
        }
        for (i, c) in clients.iter().enumerate() {
            c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut buf = [0u8; 16];
            let (n, from) = c.recv_from(&mut buf).unwrap();
            assert_eq!(from, addr);
            assert_eq!(&buf[..n], &[i as u8, i as u8, i as u8, 0xee]);
        }
    }
}
