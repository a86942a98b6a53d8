//! Online signing of a zone snapshot (RFC 4033-4035, RFC 5155, RFC 7344, RFC 9276):
//! publishes the DNSKEY RRset (and CDS/CDNSKEY on request), builds the NSEC or NSEC3
//! chain, and signs every authoritative RRset — at load and re-sign time, never per
//! query.
//!
//! Key use: the KSK (flags 257) signs the DNSKEY, CDS and CDNSKEY RRsets, the ZSK
//! (flags 256) everything else.
//!
//! # Limitations
//! The whole zone is re-signed each time (no incremental re-signing yet); keys do not
//! roll automatically.

pub mod keys;

use crate::config::SigningTimes;
use crate::store::{Denial, KeyRole, Policy};
use crate::zone::{Node, NodeKind, Nsec3Chain, Nsec3Entry, Nsec3Param, RRset, Zone};
use data_encoding::{BASE32HEX_NOPAD, HEXLOWER_PERMISSIVE};
use keys::ZoneKeys;
use tern_shared::dnssec::{ds_rdata, nsec3_hash, sign_rrset, KeyError};
use tern_shared::wire::rdata::make_bitmap;
use tern_shared::wire::record::{Soa, DNSKEY_SEP, DNSKEY_ZONE};
use tern_shared::wire::{Class, Name, RType};

/// RFC 9276 §3.2: resolvers may treat more iterations as insecure; we refuse to make them.
pub const NSEC3_MAX_ITERATIONS: u16 = 100;

/// Why a zone could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A stored key could not be loaded.
    #[error("zone {zone}: {source}")]
    KeyLoad {
        /// The zone.
        zone: Name,
        /// The key problem.
        source: keys::KeyLoadError,
    },
    /// Signing failed.
    #[error("zone {zone}: {source}")]
    Key {
        /// The zone.
        zone: Name,
        /// The key problem.
        source: KeyError,
    },
    /// The store holds no KSK or no ZSK for a zone with a signing policy.
    #[error("zone {zone}: no {role:?} in the store")]
    MissingKey {
        /// The zone.
        zone: Name,
        /// Which role is missing.
        role: KeyRole,
    },
    /// The NSEC3 salt is not hex.
    #[error("zone {zone}: NSEC3 salt {salt:?} is not hex")]
    BadSalt {
        /// The zone.
        zone: Name,
        /// The salt as stored.
        salt: String,
    },
    /// Too many NSEC3 iterations (RFC 9276 §3.1).
    #[error("zone {zone}: {iterations} NSEC3 iterations exceed {NSEC3_MAX_ITERATIONS} (RFC 9276)")]
    TooManyIterations {
        /// The zone.
        zone: Name,
        /// Iterations asked for.
        iterations: u16,
    },
    /// Two names hash to the same NSEC3 owner (RFC 5155 §7.1: change the salt).
    #[error("zone {zone}: NSEC3 hash collision between {a} and {b}; change the salt")]
    HashCollision {
        /// The zone.
        zone: Name,
        /// One name.
        a: Name,
        /// The other.
        b: Name,
    },
}

/// What a signing pass produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignReport {
    /// RRSIGs made.
    pub signatures: usize,
    /// Expiration time of the signatures (seconds since the epoch).
    pub expiration: u64,
    /// Inception time written into the signatures.
    pub inception: u64,
}

/// DNSSEC record types a zone being signed online must not bring from its file: the
/// signer makes them.
pub fn is_signer_owned(t: RType) -> bool {
    matches!(t, RType::RRSIG | RType::NSEC | RType::NSEC3 | RType::NSEC3PARAM | RType::DNSKEY | RType::CDS | RType::CDNSKEY)
}

/// Signs `zone` in place per `policy` with `keys`, at time `now` (seconds since the
/// epoch), setting the SOA serial to `serial`. The zone must come from a file without
/// signer-owned records (see [`is_signer_owned`]).
pub fn sign_zone(
    zone: &mut Zone,
    policy: &Policy,
    keys: &ZoneKeys,
    times: SigningTimes,
    now: u64,
    serial: u32,
) -> Result<SignReport, SignError> {
    let origin = zone.origin.clone();
    let inception = now.saturating_sub(times.inception_offset.as_secs());
    let expiration = now + times.validity.as_secs();
    let ksk = keys.ksk.as_ref().ok_or(SignError::MissingKey { zone: origin.clone(), role: KeyRole::Ksk })?;
    let zsk = keys.zsk.as_ref().ok_or(SignError::MissingKey { zone: origin.clone(), role: KeyRole::Zsk })?;
    let ksk_dnskey = ksk.dnskey_rdata(DNSKEY_ZONE | DNSKEY_SEP);
    let zsk_dnskey = zsk.dnskey_rdata(DNSKEY_ZONE);

    // Strip anything signer-owned, bump the serial.
    for node in zone.nodes.iter_mut() {
        node.rrsets.retain(|s| !is_signer_owned(s.rtype));
        for s in node.rrsets.iter_mut() {
            s.sigs.clear();
        }
    }
    zone.nsec3 = None;
    let apex_i = zone.node_index(origin.wire()).expect("apex exists");
    let soa_ttl;
    {
        let soa = zone.nodes[apex_i].rrsets.iter_mut().find(|s| s.rtype == RType::SOA).expect("checked at load");
        let mut fields = Soa::parse(&soa.rdatas[0]).expect("validated SOA");
        fields.serial = serial;
        soa.rdatas[0] = fields.to_rdata().into_boxed_slice();
        soa_ttl = soa.ttl;
    }
    zone.serial = serial;
    let neg_ttl = zone.negative_ttl;

    // Apex DNSSEC RRsets.
    let mut apex_sets = vec![RRset {
        rtype: RType::DNSKEY,
        ttl: soa_ttl,
        rdatas: vec![ksk_dnskey.clone().into(), zsk_dnskey.clone().into()],
        sigs: vec![],
    }];
    if policy.publish_cds {
        // RFC 7344 §4: CDS/CDNSKEY mirror the DS the parent should hold.
        let cds: Vec<Box<[u8]>> = [2u8, 4].iter().filter_map(|&d| ds_rdata(&origin, &ksk_dnskey, d)).map(Into::into).collect();
        apex_sets.push(RRset { rtype: RType::CDS, ttl: soa_ttl, rdatas: cds, sigs: vec![] });
        apex_sets.push(RRset { rtype: RType::CDNSKEY, ttl: soa_ttl, rdatas: vec![ksk_dnskey.clone().into()], sigs: vec![] });
    }
    let nsec3_param = match &policy.denial {
        Denial::Nsec => None,
        Denial::Nsec3 { iterations, salt, opt_out } => {
            if *iterations > NSEC3_MAX_ITERATIONS {
                return Err(SignError::TooManyIterations { zone: origin.clone(), iterations: *iterations });
            }
            let salt_bytes =
                HEXLOWER_PERMISSIVE.decode(salt.as_bytes()).map_err(|_| SignError::BadSalt { zone: origin.clone(), salt: salt.clone() })?;
            if salt_bytes.len() > 255 {
                return Err(SignError::BadSalt { zone: origin.clone(), salt: salt.clone() });
            }
            // RFC 5155 §4.1.2: NSEC3PARAM flags are zero; opt-out lives in the NSEC3 records.
            let mut rd = vec![1u8, 0];
            rd.extend_from_slice(&iterations.to_be_bytes());
            rd.push(salt_bytes.len() as u8);
            rd.extend_from_slice(&salt_bytes);
            apex_sets.push(RRset { rtype: RType::NSEC3PARAM, ttl: 0, rdatas: vec![rd.into()], sigs: vec![] });
            Some((Nsec3Param { alg: 1, iterations: *iterations, salt: salt_bytes }, *opt_out))
        }
    };
    {
        let apex = &mut zone.nodes[apex_i];
        apex.rrsets.extend(apex_sets);
        apex.rrsets.sort_by_key(|s| s.rtype);
    }

    // Denial of existence.
    match &nsec3_param {
        None => add_nsec_chain(zone, neg_ttl),
        Some((param, opt_out)) => {
            zone.nsec3 = Some(build_nsec3_chain(zone, param.clone(), *opt_out, neg_ttl)?);
        }
    }

    // Signatures.
    let mut count = 0usize;
    let (inc32, exp32) = (inception as u32, expiration as u32);
    let key_err = |source| SignError::Key { zone: origin.clone(), source };
    for node in zone.nodes.iter_mut() {
        let owner = node.name.clone();
        let kind = node.kind;
        for set in node.rrsets.iter_mut() {
            let signed = match kind {
                NodeKind::Auth => true,
                // At a cut only the parent-side DS and NSEC are authoritative (RFC 4035 §2.2).
                NodeKind::Cut => matches!(set.rtype, RType::DS | RType::NSEC),
                NodeKind::Glue | NodeKind::Occluded => false,
            };
            if !signed {
                continue;
            }
            let by_ksk = matches!(set.rtype, RType::DNSKEY | RType::CDS | RType::CDNSKEY);
            let (key, dnskey) = if by_ksk { (ksk, &ksk_dnskey) } else { (zsk, &zsk_dnskey) };
            let rdatas: Vec<&[u8]> = set.rdatas.iter().map(|r| &r[..]).collect();
            let sig = sign_rrset(key, dnskey, &origin, &owner, Class::IN, set.rtype, set.ttl, &rdatas, inc32, exp32).map_err(key_err)?;
            set.sigs = vec![sig.into()];
            count += 1;
        }
    }
    if let Some(chain) = zone.nsec3.as_mut() {
        for e in chain.entries.iter_mut() {
            let rdatas: Vec<&[u8]> = e.rrset.rdatas.iter().map(|r| &r[..]).collect();
            let sig = sign_rrset(zsk, &zsk_dnskey, &origin, &e.owner, Class::IN, RType::NSEC3, e.rrset.ttl, &rdatas, inc32, exp32)
                .map_err(key_err)?;
            e.rrset.sigs = vec![sig.into()];
            count += 1;
        }
    }
    zone.refresh_derived();
    metrics::counter!(crate::metrics::SIGNATURES_MADE).increment(count as u64);
    Ok(SignReport { signatures: count, expiration, inception })
}

/// True if this node gets a link in the NSEC chain: authoritative names with data and
/// delegation points (RFC 4034 §4, RFC 4035 §2.3); not glue, not empty non-terminals.
fn in_nsec_chain(n: &Node) -> bool {
    matches!(n.kind, NodeKind::Auth | NodeKind::Cut) && !n.is_empty()
}

fn add_nsec_chain(zone: &mut Zone, ttl: u32) {
    let members: Vec<usize> = (0..zone.nodes.len()).filter(|&i| in_nsec_chain(&zone.nodes[i])).collect();
    for (k, &i) in members.iter().enumerate() {
        let next = members[(k + 1) % members.len()];
        let next_name = zone.nodes[next].name.to_lowercase();
        let node = &zone.nodes[i];
        let mut types: Vec<RType> = node.rrsets.iter().map(|s| s.rtype).collect();
        types.push(RType::NSEC);
        types.push(RType::RRSIG);
        let mut rd = next_name.wire().to_vec();
        rd.extend_from_slice(&make_bitmap(types));
        let node = &mut zone.nodes[i];
        node.rrsets.push(RRset { rtype: RType::NSEC, ttl, rdatas: vec![rd.into()], sigs: vec![] });
        node.rrsets.sort_by_key(|s| s.rtype);
    }
}

fn build_nsec3_chain(zone: &Zone, param: Nsec3Param, opt_out: bool, ttl: u32) -> Result<Nsec3Chain, SignError> {
    let mut items: Vec<([u8; 20], &Node)> = Vec::new();
    for n in &zone.nodes {
        let include = match n.kind {
            NodeKind::Auth => true,
            // RFC 5155 §7.1: with opt-out, insecure delegations get no NSEC3.
            NodeKind::Cut => !(opt_out && n.rrset(RType::DS).is_none()),
            NodeKind::Glue | NodeKind::Occluded => false,
        };
        if include {
            items.push((nsec3_hash(&n.name, &param.salt, param.iterations), n));
        }
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    for w in items.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(SignError::HashCollision { zone: zone.origin.clone(), a: w[0].1.name.clone(), b: w[1].1.name.clone() });
        }
    }
    let mut entries = Vec::with_capacity(items.len());
    for (k, (hash, node)) in items.iter().enumerate() {
        let next = &items[(k + 1) % items.len()].0;
        let mut types: Vec<RType> = node.rrsets.iter().map(|s| s.rtype).collect();
        // RRSIG is present wherever something at the name is signed (RFC 5155 §3.2).
        let signed_here = match node.kind {
            NodeKind::Auth => !node.is_empty(),
            _ => node.rrset(RType::DS).is_some(),
        };
        if signed_here {
            types.push(RType::RRSIG);
        }
        let mut rd = vec![1u8, if opt_out { 1 } else { 0 }];
        rd.extend_from_slice(&param.iterations.to_be_bytes());
        rd.push(param.salt.len() as u8);
        rd.extend_from_slice(&param.salt);
        rd.push(20);
        rd.extend_from_slice(next);
        rd.extend_from_slice(&make_bitmap(types));
        let label = BASE32HEX_NOPAD.encode(hash).to_ascii_lowercase();
        let owner = zone.origin.prepend_label(label.as_bytes()).expect("32-octet label under a valid apex fits");
        entries.push(Nsec3Entry {
            hash: hash.to_vec(),
            owner,
            rrset: RRset { rtype: RType::NSEC3, ttl, rdatas: vec![rd.into()], sigs: vec![] },
        });
    }
    Ok(Nsec3Chain::new(param, entries))
}
