//! Zone transfer out (RFC 5936 AXFR; IXFR answered AXFR-style, RFC 1995 §4) over TCP,
//! to addresses in the zone's or the server's allow list only (deny by default).
//!
//! # Limitations
//! No TSIG yet, so the allow list is the only access control; no incremental
//! transfers from a journal yet.

use crate::metrics::AXFR;
use crate::zone::set::ZoneSet;
use ipnet::IpNet;
use std::io;
use std::net::SocketAddr;
use tern_shared::config::ip_allowed;
use tern_shared::wire::writer::{Full, Section};
use tern_shared::wire::{flags, rcode, Header, MessageWriter, QueryView, RType};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Size of each transfer message; RFC 5936 §2.2 allows up to 65535, smaller messages
/// keep memory bounded and suit every client.
const MESSAGE_SIZE: usize = 16 * 1024;

/// Answers an AXFR or IXFR query on a TCP stream.
pub async fn serve(stream: &mut TcpStream, peer: SocketAddr, zones: &ZoneSet, query: &[u8], global_acl: &[IpNet]) -> io::Result<()> {
    let Ok(q) = QueryView::parse(query) else { return Ok(()) };
    let base = flags::QR | (q.header.flags & flags::RD);
    let mut out = Vec::with_capacity(MESSAGE_SIZE);
    let refuse = |out: &mut Vec<u8>, rc: u16| {
        let mut w = MessageWriter::new(out, 512, Header { id: q.header.id, flags: base | rc, ..Default::default() });
        let _ = w.question(q.qname, q.qtype, q.qclass);
        w.finish();
    };
    let zone = zones.get(q.qname);
    let allowed = zone.is_some_and(|z| ip_allowed(global_acl, peer.ip()) || ip_allowed(&z.transfer_acl, peer.ip()));
    let Some(zone) = zone.filter(|_| allowed) else {
        metrics::counter!(AXFR, "result" => "refused").increment(1);
        tracing::info!(client = %peer, zone = %String::from_utf8_lossy(q.qname), "zone transfer refused");
        // RFC 5936 §2.2.1: NOTAUTH for zones we do not serve, REFUSED by policy.
        refuse(&mut out, if zone.is_none() { rcode::NOTAUTH } else { rcode::REFUSED });
        return send(stream, &out).await;
    };
    let records = zone.records();
    let soa = &records[0];
    let mut i = 0;
    let mut first = true;
    // The transfer is SOA, every record, SOA again (RFC 5936 §2.2).
    let total = records.len() + 1;
    while i < total {
        let mut w = MessageWriter::new(&mut out, MESSAGE_SIZE, Header { id: q.header.id, flags: base | flags::AA, ..Default::default() });
        if first {
            let _ = w.question(q.qname, q.qtype, q.qclass);
        }
        let mut wrote = 0;
        while i < total {
            let r = if i < records.len() { &records[i] } else { soa };
            match w.record(Section::Answer, r) {
                Ok(()) => {
                    i += 1;
                    wrote += 1;
                }
                Err(Full) if wrote > 0 => break,
                Err(Full) => {
                    // One record larger than a message: cannot happen below 64 KiB RDATA,
                    // but never loop forever.
                    return Ok(());
                }
            }
        }
        w.finish();
        first = false;
        send(stream, &out).await?;
    }
    metrics::counter!(AXFR, "result" => "ok").increment(1);
    tracing::info!(client = %peer, zone = %zone.origin, serial = zone.serial, records = records.len(), qtype = %RType(q.qtype.0), "zone transferred");
    Ok(())
}

async fn send(stream: &mut TcpStream, msg: &[u8]) -> io::Result<()> {
    let mut frame = Vec::with_capacity(msg.len() + 2);
    frame.extend_from_slice(&(msg.len() as u16).to_be_bytes());
    frame.extend_from_slice(msg);
    stream.write_all(&frame).await
}
