//! tern-trust-anchors: the trust anchors Tern's validator starts from, and how they change.
//!
//! - [`root`]: the IANA root anchors, IANA's RFC 7958 `root-anchors.xml` built in.
//! - [`xml`], [`bind`], [`file`](mod@file): anchor files in the formats operators have — RFC 7958
//!   XML, BIND `trust-anchors`/`managed-keys`/`trusted-keys`, DS/DNSKEY zone-file records —
//!   refused whole with `file:line: reason` when wrong.
//! - [`anchor`]: the [`Anchor`] type and [`TrustAnchors`], looked up by closest enclosing
//!   anchored name.
//! - [`rollover`]: RFC 5011 automated updates as a sans-I/O state machine
//!   ([`ManagedZone::observe`], probe timing per §2.3).
//! - [`negative`]: RFC 7646 negative trust anchors ([`NtaSet`]).
//! - [`state`]: RFC 5011 state and NTAs persisted as TOML, written atomically.
//! - [`list`]: the rows of `tern-resolver anchors`.
//!
//! The crate does no network I/O and owns no clock or timer: the resolver fetches and
//! validates DNSKEY RRsets, passes them in with the current time (seconds since the Unix
//! epoch), and schedules the probes this crate asks for. It reads anchor files and reads
//! and writes its state files.
//!
//! # Integration, in short
//! 1. Load configured anchor files ([`TrustAnchors::load_file`]); if none is for the root,
//!    [`TrustAnchors::add_builtin_root`].
//! 2. [`RolloverState::load_if_exists`] or [`RolloverState::from_anchors`], then
//!    [`RolloverState::sync_with`] and [`RolloverState::apply_to`] the anchors.
//! 3. When [`ManagedZone::probe_due`], fetch the trust point's DNSKEY RRset, validate it
//!    with a currently trusted key, and call [`ManagedZone::observe`] (see [`rollover`] for
//!    exactly what must be checked first); then [`ManagedZone::next_probe_at`] (or
//!    [`ManagedZone::retry_at`] on failure), [`RolloverState::apply_to`], and
//!    [`RolloverState::save`] (log a failure and keep going: memory still holds the state).
//! 4. Before validating a name, [`NtaSet::covers`]: if so, answers are insecure.
//!
//! # Limitations
//! - Class IN only. No S/MIME check of RFC 7958 files (RFC 7958 §4).
//! - See each module for its own.
#![warn(missing_docs)]

pub mod anchor;
pub mod bind;
pub mod file;
pub mod list;
pub mod negative;
pub mod rollover;
pub mod root;
pub mod state;
pub mod time;
pub mod xml;

pub use anchor::{Anchor, AnchorDataError, AnchorKind, AnchorSource, TrustAnchors};
pub use file::{load_anchor_file, parse_anchors, AnchorErrorKind, AnchorFileError, AnchorFormat, LoadOptions};
pub use list::{anchor_rows, fmt_table, AnchorRow, AnchorStatus};
pub use negative::{NtaEntry, NtaError, NtaSet};
pub use rollover::{KeyState, ManagedZone, RolloverEvent, TrackedKey, ADD_HOLD_DOWN, REMOVE_HOLD_DOWN};
pub use root::{builtin_root_anchors, ROOT_ANCHORS_XML};
pub use state::{RolloverState, StateError, SyncReport};
