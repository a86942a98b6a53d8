//! The auth-plus-resolver stack: tern-resolver learns the zones tern-auth serves, and
//! the DS of the signed ones, from tern-auth's control endpoint — adding a zone on
//! tern-auth (config edit + `tern-auth ctl reload` + `zone secure`) needs no change on
//! the resolver.

use std::time::Duration;
use tern_shared::wire::{flags, rcode, RType};
use tern_tests::*;

const CORP: &str = "$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n  NS ns\nns A 192.0.2.99\nwww A 10.1.2.3\n";

#[test]
fn resolver_learns_zones_and_their_ds_from_tern_auth() {
    let dir = scratch();
    let zone = dir.path().join("example.com.zone");
    std::fs::copy(fixtures().join("example.com.zone"), &zone).unwrap();
    let data = dir.path().join("auth-data");
    let data_s = data.display().to_string();
    let (ok, _, err) = run_auth(&["zone", "secure", "example.com.", "--data-dir", &data_s]);
    assert!(ok, "{err}");
    let control = fresh_addr(8953);
    let cfg = dir.path().join("auth.toml");
    let write_cfg = |extra: &str| {
        std::fs::write(
            &cfg,
            format!("[server]\ncontrol = \"{control}\"\n\n[[zone]]\nname = \"example.com.\"\nfile = \"{}\"\n{extra}", zone.display()),
        )
        .unwrap();
    };
    write_cfg("");
    let auth = start_auth(dir.path(), &[], &["--config", &cfg.display().to_string()]);

    let res_cfg = dir.path().join("resolver.toml");
    std::fs::write(&res_cfg, format!("[[zones_from_auth]]\ncontrol = \"{control}\"\ntargets = [\"{}\"]\nrefresh = \"1s\"\n", auth.addr))
        .unwrap();
    let (res, listen) = start_resolver(dir.path(), &["--config", &res_cfg.display().to_string()]);

    let r = query(listen, "www.example.com.", RType::A, Q::rd_dnssec());
    assert_eq!(r.rcode(), rcode::NOERROR, "{}\n{}", r.summary(), res.log_text());
    assert!(r.flag(flags::AD), "validated with the DS learned from tern-auth: {}", r.summary());

    // A new zone on tern-auth: config edit and reload, no change on the resolver.
    let corp = dir.path().join("corp.example.zone");
    std::fs::write(&corp, CORP).unwrap();
    write_cfg(&format!("\n[[zone]]\nname = \"corp.example.\"\nfile = \"{}\"\n", corp.display()));
    let (ok, out, err) = run_auth(&["ctl", "reload", "--control", &control.to_string()]);
    assert!(ok && out.contains("2 zone(s)"), "{out}{err}");
    let insecure = eventually(Duration::from_secs(10), || {
        try_query(listen, "www.corp.example.", RType::A, Q::rd_dnssec())
            .is_some_and(|r| r.rcode() == rcode::NOERROR && r.answers(RType::A) == vec!["10.1.2.3"] && !r.flag(flags::AD))
    });
    assert!(insecure, "unsigned zone learned and answered (insecure): {}", res.log_text());
    // Securing it on tern-auth makes it secure on the resolver too.
    let (ok, _, err) = run_auth(&["zone", "secure", "corp.example.", "--data-dir", &data_s]);
    assert!(ok, "{err}");
    let secure = eventually(Duration::from_secs(20), || {
        try_query(listen, "www.corp.example.", RType::A, Q::rd_dnssec()).is_some_and(|r| r.rcode() == rcode::NOERROR && r.flag(flags::AD))
    });
    assert!(secure, "signed zone validated with its learned DS: {}", res.log_text());
    // Removing it from tern-auth removes it from the resolver.
    write_cfg("");
    let (ok, _, _) = run_auth(&["ctl", "reload", "--control", &control.to_string()]);
    assert!(ok);
    let gone = eventually(Duration::from_secs(10), || {
        try_query(listen, "www.corp.example.", RType::A, Q::rd_dnssec()).is_some_and(|r| r.rcode() != rcode::NOERROR)
    });
    assert!(gone, "a zone removed from tern-auth is no longer forwarded");
}
