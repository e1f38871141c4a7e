//! The committed header is exactly what cbindgen generates from the sources.
//! Regenerate it with `CONTAINERS_POLICY_BLESS_HEADER=1 cargo test -p containers-policy-ffi --test header`.

use std::path::Path;

#[test]
fn committed_header_matches_a_fresh_generation() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let path = crate_dir.join("include/containers_policy.h");
    if std::env::var_os("CONTAINERS_POLICY_BLESS_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("write header");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} differs from what cbindgen generates from ffi/src; regenerate it with \
         CONTAINERS_POLICY_BLESS_HEADER=1 cargo test -p containers-policy-ffi --test header",
        path.display()
    );
}
