//! Learning forward zones from a sibling tern-auth: its control endpoint lists the zones
//! it serves with the DS of the signed ones (`GET /zones`); every listed zone becomes a
//! forward zone (RD=0, to tern-auth's DNS address), validated with the listed DS as its
//! trust anchor when signed, insecure otherwise. Adding a zone on tern-auth then needs
//! no change on the resolver (what PowerDNS users build from the Auth API).
//!
//! Configured forward zones and anchors always win over learned ones with the same name.
//!
//! # Limitations
//! Polled, not pushed: a new zone is picked up within the refresh interval. A tern-auth
//! that cannot be reached keeps the zones last learned from it.

use crate::config::{AuthSource, ForwardDnssec, ForwardZone};
use crate::resolve::Resolver;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use tern_shared::wire::Name;
use tern_trust_anchors::{Anchor, LoadOptions};

/// The `GET /zones` body.
#[derive(Debug, Deserialize)]
struct Listing {
    #[serde(default)]
    zone: Vec<Listed>,
}

#[derive(Debug, Deserialize)]
struct Listed {
    name: String,
    #[serde(default)]
    signed: bool,
    #[serde(default)]
    ds: Vec<String>,
}

/// A zone learned from a tern-auth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learned {
    /// The zone.
    pub name: Name,
    /// Its DS anchors (empty when unsigned).
    pub anchors: Vec<Anchor>,
}

/// Why a listing could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The control endpoint could not be reached.
    #[error("{0}")]
    Client(#[from] tern_shared::control::ClientError),
    /// It answered with an error status.
    #[error("tern-auth control endpoint answered {status}: {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Body.
        body: String,
    },
    /// The body was not a zone listing.
    #[error("tern-auth zone listing unreadable: {0}")]
    Listing(String),
}

/// Parses a `GET /zones` body.
pub fn parse_listing(body: &str, now: u64) -> Result<Vec<Learned>, DiscoveryError> {
    let listing: Listing = toml::from_str(body).map_err(|e| DiscoveryError::Listing(e.to_string()))?;
    let mut out = Vec::new();
    for z in listing.zone {
        let name = Name::parse(&z.name, Some(&Name::root())).map_err(|e| DiscoveryError::Listing(format!("zone {:?}: {e}", z.name)))?;
        let mut anchors = Vec::new();
        if z.signed {
            let text = z.ds.join("\n");
            let opts = LoadOptions { now, ..LoadOptions::default() };
            for a in tern_trust_anchors::parse_anchors(&text, "tern-auth GET /zones", &opts)
                .map_err(|e| DiscoveryError::Listing(e.to_string()))?
            {
                if a.owner == name {
                    anchors.push(a);
                }
            }
        }
        out.push(Learned { name, anchors });
    }
    Ok(out)
}

/// Asks one tern-auth for its zones (blocking).
pub fn fetch(source: &AuthSource, now: u64) -> Result<Vec<Learned>, DiscoveryError> {
    let (status, body) = tern_shared::control::call(source.control, "GET", "/zones", source.api_key.as_deref(), "")?;
    if status != 200 {
        return Err(DiscoveryError::Status { status, body });
    }
    parse_listing(&body, now)
}

/// Keeps the resolver's forward zones and anchors in step with what the tern-auth
/// sources list, polling each at its refresh interval.
pub struct Discovery {
    resolver: Arc<Resolver>,
    sources: Vec<AuthSource>,
    /// What each source last listed.
    learned: HashMap<usize, Vec<Learned>>,
    /// Zones with operator-configured anchors: never overridden.
    configured_anchors: Vec<Name>,
    /// Zones whose anchors discovery set (and so may change or remove).
    owned_anchors: std::sync::Mutex<Vec<Name>>,
}

impl Discovery {
    /// A discovery for `sources` (configured forward zones of the same names win).
    pub fn new(resolver: Arc<Resolver>, sources: Vec<AuthSource>) -> Discovery {
        let configured_anchors = resolver.anchors.read().unwrap_or_else(|p| p.into_inner()).zones().cloned().collect();
        Discovery { resolver, sources, learned: HashMap::new(), configured_anchors, owned_anchors: Default::default() }
    }

    /// Polls every source once and applies the result. Returns the number of learned zones.
    pub async fn refresh(&mut self) -> usize {
        let now = self.resolver.now();
        for (i, src) in self.sources.clone().into_iter().enumerate() {
            let res = tokio::task::spawn_blocking(move || fetch(&src, now)).await;
            match res {
                Ok(Ok(list)) => {
                    if self.learned.get(&i) != Some(&list) {
                        tracing::info!(source = %self.sources[i].control, zones = list.len(), "zones learned from tern-auth");
                    }
                    self.learned.insert(i, list);
                }
                Ok(Err(e)) => {
                    tracing::warn!(source = %self.sources[i].control, error = %e, "could not learn zones from tern-auth; keeping the last list")
                }
                Err(_) => {}
            }
        }
        self.apply()
    }

    fn apply(&self) -> usize {
        let mut forwards: Vec<ForwardZone> = Vec::new();
        let mut count = 0;
        let mut wanted: Vec<(Name, Vec<Anchor>)> = Vec::new();
        for (i, list) in &self.learned {
            for z in list {
                if forwards.iter().any(|f| f.name == z.name) || self.resolver.is_configured_forward(&z.name) {
                    continue;
                }
                count += 1;
                let dnssec = if z.anchors.is_empty() { ForwardDnssec::Insecure } else { ForwardDnssec::Validate };
                forwards.push(ForwardZone { name: z.name.clone(), targets: self.sources[*i].targets.clone(), recursive: false, dnssec });
                if !z.anchors.is_empty() && !self.configured_anchors.contains(&z.name) {
                    wanted.push((z.name.clone(), z.anchors.clone()));
                }
            }
        }
        {
            let mut a = self.resolver.anchors.write().unwrap_or_else(|p| p.into_inner());
            let mut owned = self.owned_anchors.lock().unwrap_or_else(|p| p.into_inner());
            // Zones no longer listed (or no longer signed) lose their learned anchors.
            for name in owned.iter().filter(|n| !wanted.iter().any(|(w, _)| w == *n)) {
                a.remove_zone(name);
                self.resolver.keys.flush_subtree(name);
            }
            owned.clear();
            for (name, list) in wanted {
                if a.zone(&name).map(|x| x.to_vec()).as_deref() != Some(&list[..]) {
                    a.replace_zone(&name, list);
                    self.resolver.keys.flush_subtree(&name);
                }
                owned.push(name);
            }
        }
        self.resolver.set_learned_forwards(forwards);
        count
    }

    /// Runs forever, polling at the shortest refresh interval of the sources.
    pub async fn run(mut self) {
        let every = self.sources.iter().map(|s| s.refresh).min().unwrap_or(std::time::Duration::from_secs(30));
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            self.refresh().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_gives_zones_and_their_ds() {
        let body = "[[zone]]\nname = \"corp.internal.\"\nserial = 3\nsigned = true\nds = [\"corp.internal. 3600 IN DS 39010 13 2 646A2BD42E020A5FEB07EC3DC32EECE1FF4CC9BD3AC939C38040C30D11543733\"]\n\n[[zone]]\nname = \"plain.internal.\"\nserial = 1\nsigned = false\nds = []\n";
        let l = parse_listing(body, 1_800_000_000).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].anchors.len(), 1);
        assert_eq!(l[0].anchors[0].key_tag, 39010);
        assert!(l[1].anchors.is_empty());
        assert!(parse_listing("zone = 3", 0).is_err());
    }
}
