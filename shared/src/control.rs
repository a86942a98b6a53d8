//! The control and health endpoint both daemons expose: a deliberately small HTTP/1.1
//! server (one request per connection) for `/healthz`, `/readyz` and operator commands,
//! and the matching blocking client the `ctl` subcommands use.
//!
//! Access: `/healthz` and `/readyz` are open (probes); everything else needs the
//! configured API key in `X-API-Key`, or, when no key is configured, a loopback client.
//!
//! # Limitations
//! No TLS and no keep-alive: it is meant for loopback or a management network.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Largest request accepted (headers and body).
const MAX_REQUEST: usize = 64 * 1024;
/// Time allowed to send a request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// A parsed control request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// Query parameters in order.
    pub query: Vec<(String, String)>,
    /// Body (UTF-8 lossy).
    pub body: String,
}

impl Request {
    /// The first query parameter named `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// A control response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Body, sent as `text/plain` (JSON when it starts with `{` or `[`).
    pub body: String,
}

impl Response {
    /// 200 with a body.
    pub fn ok(body: impl Into<String>) -> Response {
        Response { status: 200, body: body.into() }
    }
    /// An error status with a message.
    pub fn error(status: u16, body: impl Into<String>) -> Response {
        Response { status, body: body.into() }
    }
}

/// Handles one request; runs on a blocking thread, so it may wait for work to finish.
pub type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

/// Serves the control endpoint on `listener` until the task is dropped.
pub async fn serve(listener: tokio::net::TcpListener, api_key: Option<String>, handler: Handler) {
    let api_key = Arc::new(api_key);
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let handler = handler.clone();
        let api_key = api_key.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(REQUEST_TIMEOUT * 12, connection(stream, peer, api_key, handler)).await;
        });
    }
}

async fn connection(
    mut stream: tokio::net::TcpStream,
    peer: SocketAddr,
    api_key: Arc<Option<String>>,
    handler: Handler,
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let (head_end, content_len) = loop {
        let n = tokio::time::timeout(REQUEST_TIMEOUT, stream.read(&mut chunk)).await.map_err(|_| std::io::ErrorKind::TimedOut)??;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_REQUEST {
            return write_response(&mut stream, &Response::error(413, "request too large")).await;
        }
        if let Some(p) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..p]).to_string();
            let len = header(&head, "content-length").and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
            break (p + 4, len);
        }
    };
    if head_end + content_len > MAX_REQUEST {
        return write_response(&mut stream, &Response::error(413, "request too large")).await;
    }
    while buf.len() < head_end + content_len {
        let n = tokio::time::timeout(REQUEST_TIMEOUT, stream.read(&mut chunk)).await.map_err(|_| std::io::ErrorKind::TimedOut)??;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut first = head.lines().next().unwrap_or("").split_whitespace();
    let method = first.next().unwrap_or("").to_string();
    let target = first.next().unwrap_or("/").to_string();
    let (path, qs) = target.split_once('?').unwrap_or((&target, ""));
    let query = qs
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect();
    let body_end = (head_end + content_len).min(buf.len());
    let req = Request { method, path: path.to_string(), query, body: String::from_utf8_lossy(&buf[head_end..body_end]).to_string() };
    let open = matches!(req.path.as_str(), "/healthz" | "/readyz");
    let authorised = open
        || match api_key.as_ref() {
            Some(key) => header(&head, "x-api-key").is_some_and(|given| constant_time_eq(given.as_bytes(), key.as_bytes())),
            None => is_loopback(peer.ip()),
        };
    let resp = if authorised {
        let h = handler.clone();
        tokio::task::spawn_blocking(move || h(req)).await.unwrap_or_else(|_| Response::error(500, "handler failed"))
    } else {
        Response::error(401, "missing or wrong X-API-Key")
    };
    write_response(&mut stream, &resp).await
}

async fn write_response(stream: &mut tokio::net::TcpStream, r: &Response) -> std::io::Result<()> {
    let reason = match r.status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        413 => "Payload Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let ctype = if r.body.starts_with('{') || r.body.starts_with('[') { "application/json" } else { "text/plain; charset=utf-8" };
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        r.status,
        reason,
        ctype,
        r.body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(r.body.as_bytes()).await?;
    stream.shutdown().await
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Decodes `%XX` escapes and `+` in a query component.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                Ok(v) => {
                    out.push(v);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encodes a query component.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || b"-._~".contains(&c) {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// Errors of the control client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Could not connect or talk to the endpoint.
    #[error("control endpoint {addr}: {source}")]
    Io {
        /// Where.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The reply was not HTTP.
    #[error("control endpoint {addr}: malformed reply")]
    Malformed {
        /// Where.
        addr: SocketAddr,
    },
}

/// Sends one request and returns (status, body). Blocking; for the `ctl` commands.
pub fn call(addr: SocketAddr, method: &str, path_and_query: &str, api_key: Option<&str>, body: &str) -> Result<(u16, String), ClientError> {
    let io = |source| ClientError::Io { addr, source };
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(io)?;
    s.set_read_timeout(Some(Duration::from_secs(120))).map_err(io)?;
    let key = api_key.map(|k| format!("X-API-Key: {k}\r\n")).unwrap_or_default();
    let req = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: {addr}\r\n{key}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(io)?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).map_err(io)?;
    let text = String::from_utf8_lossy(&resp);
    let (head, body) = text.split_once("\r\n\r\n").ok_or(ClientError::Malformed { addr })?;
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(ClientError::Malformed { addr })?;
    Ok((status, body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_components_decode() {
        assert_eq!(percent_decode("a%2Eb+c"), "a.b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_encode("example.com."), "example.com.");
        assert_eq!(percent_encode("a b"), "a%20b");
    }

    #[test]
    fn api_key_comparison_is_exact() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
