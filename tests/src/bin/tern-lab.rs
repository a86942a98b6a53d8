//! `tern-lab`: builds the Tern lab hierarchy and prints where it is (work in progress).
fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/tmp/tern-lab".into());
    let h = tern_tests::hierarchy::build(std::path::Path::new(&dir), "127.0.0.1".parse().unwrap()).expect("build");
    println!("{h:#?}");
}
