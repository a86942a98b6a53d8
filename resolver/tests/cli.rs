//! Command-line behaviour of the tern-resolver binary. (Its presence also makes
//! `cargo test --workspace` build the binary the whole-binary tests in `tests/` run.)

use std::process::Command;

fn tern_resolver() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tern-resolver"))
}

#[test]
fn check_config_accepts_defaults_with_the_builtin_root_anchor() {
    let out = tern_resolver().arg("--check-config").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 trust anchor zone"), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn anchors_lists_the_iana_root_keys() {
    let out = tern_resolver().arg("anchors").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("20326") && text.contains("38696"), "{text}");
}

#[test]
fn bad_config_values_are_refused_naming_the_key() {
    let dir = std::env::temp_dir().join(format!("tern-resolver-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "[cache]\nmax_ttl = \"forever\"\n").unwrap();
    let out = tern_resolver().args(["--check-config", "--config"]).arg(&cfg).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cache.max_ttl"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = tern_resolver().args(["--check-config", "--forward-zone", "corp.=nowhere"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("forward_zone[0].targets[0]"), "{}", String::from_utf8_lossy(&out.stderr));
    let anchor = dir.join("bad.anchor");
    std::fs::write(&anchor, ". IN DS 1 13 2 00\n").unwrap();
    let out = tern_resolver().args(["--check-config", "--trust-anchor"]).arg(&anchor).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.anchor:1:"), "file:line named: {}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}
