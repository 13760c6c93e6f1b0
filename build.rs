//! Makes the `awsenv` binary start faster, on linux-gnu only. Rust's std links the unwinder
//! dynamically there (libgcc_s.so.1). Loading that one extra library costs about 0.2 ms per
//! start, against `/bin/true`'s 0.6 ms. That is the prompt hook's budget. A one-line linker
//! script named libgcc_s.so, found first on this binary's library path, links the static
//! unwinder (libgcc_eh.a, what `crt-static` builds use) instead. Nothing else changes: still
//! PIE, still RELRO, still glibc. awsenv-sts keeps the default, as do other targets.
//! `scripts/bench` measures the effect.

fn main() {
    let target = |key: &str| std::env::var(key).unwrap_or_default();
    if target("CARGO_CFG_TARGET_OS") != "linux" || target("CARGO_CFG_TARGET_ENV") != "gnu" {
        return;
    }
    let dir = std::path::PathBuf::from(target("OUT_DIR")).join("static-unwinder");
    std::fs::create_dir_all(&dir).expect("OUT_DIR is writable");
    std::fs::write(dir.join("libgcc_s.so"), "INPUT(-lgcc_eh)\n").expect("OUT_DIR is writable");
    println!("cargo:rustc-link-arg-bin=awsenv=-L{}", dir.display());
    println!("cargo:rerun-if-changed=build.rs");
}
