//! Command-line behaviour of the tern-auth binary. (Its presence also makes
//! `cargo test --workspace` build the binary the whole-binary tests in `tests/` run.)

use std::process::Command;

fn tern_auth() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tern-auth"))
}

#[test]
fn check_config_accepts_defaults() {
    let out = tern_auth().arg("--check-config").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("configuration OK"));
}

#[test]
fn bad_config_is_refused_naming_the_key() {
    let dir = std::env::temp_dir().join(format!("tern-auth-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("bad.toml");
    std::fs::write(&cfg, "[server]\nudp_payload = 100\n").unwrap();
    let out = tern_auth().args(["--check-config", "--config"]).arg(&cfg).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("server.udp_payload"), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(&cfg, "[server]\nlisten = [\"127.0.0.1:53\"]\nbogus_key = 1\n").unwrap();
    let out = tern_auth().args(["--check-config", "--config"]).arg(&cfg).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bogus_key"), "{}", String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_zone_argument_is_refused() {
    let out = tern_auth().args(["--check-config", "--zone", "example.com"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("NAME=FILE"));
}
