//! The anchors listing behind `tern-resolver anchors`: one row per configured anchor and
//! per RFC 5011 tracked key, with its state, and a plain-text table of them.
//!
//! # Limitations
//! - Negative trust anchors are listed separately ([`crate::negative::NtaSet::list`]).

use crate::anchor::{AnchorKind, AnchorSource, TrustAnchors};
use crate::rollover::KeyState;
use crate::state::RolloverState;
use crate::time::{fmt_duration, fmt_utc};
use std::fmt::{self, Write};
use tern_shared::wire::{Name, RType};

/// What a listed anchor is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnchorStatus {
    /// A static anchor: trusted as configured, never updated.
    Static,
    /// A managed anchor not yet seen in a validated DNSKEY RRset (a configured DS
    /// waiting for its key, or a managed trust point without RFC 5011 state yet).
    Initial,
    /// An RFC 5011 tracked key in this state.
    Key(KeyState),
    /// A key of a trust point deleted by RFC 5011 §5 (every anchor revoked).
    Deleted(KeyState),
}

impl fmt::Display for AnchorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnchorStatus::Static => f.write_str("static"),
            AnchorStatus::Initial => f.write_str("initial"),
            AnchorStatus::Key(s) => write!(f, "{s}"),
            AnchorStatus::Deleted(s) => write!(f, "{s}, trust point deleted"),
        }
    }
}

/// One row of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnchorRow {
    /// The anchored name.
    pub name: Name,
    /// DS or DNSKEY.
    pub kind: RType,
    /// Key tag (of a revoked key: with the REVOKE bit, as it appears in the zone).
    pub key_tag: u16,
    /// Algorithm number.
    pub algorithm: u8,
    /// State.
    pub status: AnchorStatus,
    /// Managed by RFC 5011.
    pub managed: bool,
    /// Where it came from.
    pub source: AnchorSource,
    /// For add-pending keys, when they may become valid; for revoked keys, when they may
    /// be removed.
    pub hold_down_ends: Option<u64>,
}

/// The listing: configured anchors (`anchors`), with managed trust points shown from
/// their RFC 5011 state when `rollover` has one (every tracked key, revoked and removed
/// ones included). Rows are by name in canonical order.
pub fn anchor_rows(anchors: &TrustAnchors, rollover: Option<&RolloverState>) -> Vec<AnchorRow> {
    let mut names: Vec<Name> = anchors.zones().cloned().collect();
    if let Some(r) = rollover {
        names.extend(r.zones().map(|z| z.owner().clone()));
    }
    names.sort();
    names.dedup();
    let mut rows = Vec::new();
    for name in names {
        let configured = anchors.zone(&name).unwrap_or_default();
        let state = rollover.and_then(|r| r.zone(&name));
        for a in configured.iter().filter(|a| !a.managed || state.is_none()) {
            rows.push(AnchorRow {
                name: name.clone(),
                kind: a.kind.rtype(),
                key_tag: a.key_tag,
                algorithm: a.algorithm(),
                status: if a.managed { AnchorStatus::Initial } else { AnchorStatus::Static },
                managed: a.managed,
                source: a.source.clone(),
                hold_down_ends: None,
            });
        }
        let Some(zone) = state else { continue };
        for d in zone.initial_ds() {
            let kind = AnchorKind::Ds(d.rdata.clone());
            rows.push(AnchorRow {
                name: name.clone(),
                kind: RType::DS,
                key_tag: kind.key_tag(),
                algorithm: kind.algorithm(),
                status: AnchorStatus::Initial,
                managed: true,
                source: d.source.clone(),
                hold_down_ends: None,
            });
        }
        for k in zone.keys() {
            rows.push(AnchorRow {
                name: name.clone(),
                kind: RType::DNSKEY,
                key_tag: k.key_tag(),
                algorithm: k.algorithm(),
                status: if zone.is_deleted() { AnchorStatus::Deleted(k.state()) } else { AnchorStatus::Key(k.state()) },
                managed: true,
                source: k.source().clone(),
                hold_down_ends: k.hold_down_ends(),
            });
        }
    }
    rows
}

/// The rows as an aligned plain-text table with a header; hold-downs are shown with the
/// time left at `now`.
pub fn fmt_table(rows: &[AnchorRow], now: u64) -> String {
    let header = ["NAME", "TYPE", "TAG", "ALG", "STATE", "MANAGED", "SOURCE"].map(String::from);
    let mut cells: Vec<[String; 7]> = vec![header];
    for r in rows {
        let mut state = r.status.to_string();
        if let Some(end) = r.hold_down_ends {
            let what = if matches!(r.status, AnchorStatus::Key(KeyState::AddPend)) { "valid" } else { "removed" };
            if end > now {
                let _ = write!(state, " ({what} after {}, {} left)", fmt_utc(end), fmt_duration(end - now));
            } else {
                let _ = write!(state, " ({what} at next probe)");
            }
        }
        cells.push([
            r.name.to_string(),
            r.kind.to_string(),
            r.key_tag.to_string(),
            r.algorithm.to_string(),
            state,
            if r.managed { "yes" } else { "no" }.into(),
            r.source.to_string(),
        ]);
    }
    let mut width = [0usize; 7];
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in &cells {
        let mut line = String::new();
        for (i, (c, w)) in row.iter().zip(width).enumerate() {
            if i + 1 == row.len() {
                line.push_str(c);
            } else {
                let _ = write!(line, "{c:<w$}  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anchor::Anchor;
    use crate::rollover::tests::{ksk, T0};
    use crate::time::DAY;

    #[test]
    fn rows_show_static_initial_and_tracked_keys() {
        let mut ta = TrustAnchors::new();
        ta.add_builtin_root(T0);
        let example: Name = "example.".parse().unwrap();
        ta.add(Anchor::dnskey(example.clone(), &ksk(7), false, AnchorSource::File { file: "ta.conf".into(), line: 4 }).unwrap());

        // Before any RFC 5011 state: the root DS anchors are "initial".
        let rows = anchor_rows(&ta, None);
        let summary: Vec<(String, RType, u16, AnchorStatus, bool)> =
            rows.iter().map(|r| (r.name.to_string(), r.kind, r.key_tag, r.status, r.managed)).collect();
        let tag7 = tern_shared::dnssec::key_tag(&ksk(7));
        assert_eq!(
            summary,
            vec![
                (".".into(), RType::DS, 20326, AnchorStatus::Initial, true),
                (".".into(), RType::DS, 38696, AnchorStatus::Initial, true),
                ("example.".into(), RType::DNSKEY, tag7, AnchorStatus::Static, false),
            ]
        );

        // With RFC 5011 state for the root: one valid key, one add-pending.
        let mut state = RolloverState::from_anchors(&ta, T0);
        let fake = Anchor::dnskey(Name::root(), &ksk(1), true, AnchorSource::BuiltIn).unwrap();
        let mut zone = crate::rollover::ManagedZone::new(Name::root(), &[fake], T0);
        zone.observe(T0, &[&ksk(1), &ksk(2)], &[]);
        state.insert(zone);
        let rows = anchor_rows(&ta, Some(&state));
        let states: Vec<AnchorStatus> = rows.iter().map(|r| r.status).collect();
        assert_eq!(states, vec![AnchorStatus::Key(KeyState::Valid), AnchorStatus::Key(KeyState::AddPend), AnchorStatus::Static]);
        assert_eq!(rows[1].hold_down_ends, Some(T0 + 30 * DAY));
        assert_eq!(rows[1].source, AnchorSource::Rfc5011);

        let table = fmt_table(&rows, T0 + DAY);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[0].starts_with("NAME") && lines[0].ends_with("SOURCE"));
        assert!(lines[2].contains("add-pending (valid after ") && lines[2].contains("29d 0h left"), "{table}");
        assert!(lines[3].contains("example.") && lines[3].contains("static") && lines[3].ends_with("ta.conf:4"), "{table}");
    }
}
