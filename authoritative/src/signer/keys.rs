//! Signing keys of a zone: making a KSK/ZSK pair for `tern-auth zone secure`, loading
//! them from the store, and the DS records for the parent (RFC 4034 §5, RFC 4509,
//! RFC 6605 §6: SHA-256 and SHA-384).

use crate::store::{KeyRole, StoredKey};
use data_encoding::BASE64;
use tern_shared::dnssec::{ds_rdata, KeyError, SigningKey};
use tern_shared::wire::record::{DNSKEY_SEP, DNSKEY_ZONE};
use tern_shared::wire::{Name, RType, Record};

/// DNSKEY flags of a KSK: Zone Key + SEP (RFC 4034 §2.1.1).
pub const KSK_FLAGS: u16 = DNSKEY_ZONE | DNSKEY_SEP;
/// DNSKEY flags of a ZSK.
pub const ZSK_FLAGS: u16 = DNSKEY_ZONE;
/// DS digest types published by `zone ds`: SHA-256 (RFC 4509) and SHA-384 (RFC 6605).
pub const DS_DIGESTS: [u8; 2] = [2, 4];

/// A stored key that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyLoadError {
    /// The stored PKCS#8 is not base64.
    #[error("stored key (tag {key_tag}) is not valid base64")]
    Encoding {
        /// Its key tag.
        key_tag: u16,
    },
    /// The key material was rejected.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// The usable keys of one zone.
#[derive(Debug, Default)]
pub struct ZoneKeys {
    /// Key-signing key.
    pub ksk: Option<SigningKey>,
    /// Zone-signing key.
    pub zsk: Option<SigningKey>,
}

impl ZoneKeys {
    /// Loads the newest KSK and ZSK from stored keys.
    pub fn from_stored(stored: &[StoredKey]) -> Result<ZoneKeys, KeyLoadError> {
        let mut keys = ZoneKeys::default();
        for k in stored {
            let der = BASE64.decode(k.pkcs8.as_bytes()).map_err(|_| KeyLoadError::Encoding { key_tag: k.key_tag })?;
            let key = SigningKey::from_pkcs8(k.algorithm, &der)?;
            match k.role {
                KeyRole::Ksk => keys.ksk = Some(key),
                KeyRole::Zsk => keys.zsk = Some(key),
            }
        }
        Ok(keys)
    }
}

/// Generates a new key of `role` and returns it ready for the store.
pub fn generate(role: KeyRole, algorithm: u8, now: u64) -> Result<StoredKey, KeyError> {
    let key = SigningKey::generate(algorithm)?;
    let flags = match role {
        KeyRole::Ksk => KSK_FLAGS,
        KeyRole::Zsk => ZSK_FLAGS,
    };
    Ok(StoredKey { role, algorithm, flags, key_tag: key.key_tag(flags), pkcs8: BASE64.encode(&key.to_pkcs8()), created: now })
}

/// The DS records (SHA-256 and SHA-384) for the KSKs among `stored`.
pub fn ds_records(zone: &Name, stored: &[StoredKey], ttl: u32) -> Result<Vec<Record>, KeyLoadError> {
    let keys = ZoneKeys::from_stored(stored)?;
    let mut out = Vec::new();
    if let Some(ksk) = &keys.ksk {
        let dnskey = ksk.dnskey_rdata(KSK_FLAGS);
        for d in DS_DIGESTS {
            if let Some(rd) = ds_rdata(zone, &dnskey, d) {
                out.push(Record::new(zone.clone(), RType::DS, ttl, rd));
            }
        }
    }
    Ok(out)
}

/// The DNSKEY record of the KSK, for anchors that want the key itself.
pub fn ksk_dnskey(zone: &Name, stored: &[StoredKey], ttl: u32) -> Result<Option<Record>, KeyLoadError> {
    let keys = ZoneKeys::from_stored(stored)?;
    Ok(keys.ksk.map(|k| Record::new(zone.clone(), RType::DNSKEY, ttl, k.dnskey_rdata(KSK_FLAGS))))
}
