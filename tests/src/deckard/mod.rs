//! Deckard conformance: the public resolver scenarios of CZ-NIC's Deckard
//! (`../shared/conformance/deckard/scenarios/*.rpl`) replayed in-process against the
//! resolver core, with upstreams and clock scripted by each scenario.

pub mod replay;
pub mod scenario;
