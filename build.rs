//! Makes the `awsenv` binary start faster, on linux-gnu only: the shell runs it at prompts, with
//! a budget of 1.3x `/bin/true` (`scripts/bench`). Linked against libc.so, two thirds of a
//! start went to ld.so: mapping libc, looking up 127 symbols, applying 2,466 relocations
//! (callgrind: 240k of 373k instructions; /bin/true's whole run is 130k). So `awsenv` is a
//! static PIE: libc.a is linked in and the binary relocates itself (160k instructions a start).
//! Still PIE with ASLR, RELRO and BIND_NOW; awsenv-aws keeps the default.
//!
//! A static glibc must not load NSS modules (getpwuid for a user that /etc/passwd lacks
//! crashes in libnss_systemd): `profile::home` reads /etc/passwd itself.
//!
//! rustc links with `-Bdynamic -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc`. Linker scripts with
//! those names, in a directory searched first and for this binary only, point each at its
//! static archive. Where glibc's static archives are missing (Fedora's glibc-static is not
//! installed by default), glibc is older than 2.34 (libpthread still apart), the build is a
//! cross build, or AWSENV_DYNAMIC_LIBC is set at build time, the link stays dynamic and only
//! the unwinder is static: libgcc_eh.a instead of libgcc_s.so.1, which saves loading one more
//! library at every start.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=AWSENV_DYNAMIC_LIBC");
    let var = |key: &str| std::env::var(key).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux" || var("CARGO_CFG_TARGET_ENV") != "gnu" {
        return;
    }
    let dir = PathBuf::from(var("OUT_DIR")).join("link-static");
    // A directory kept from an earlier build would still shadow libc.so after a switch back.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("OUT_DIR is writable");
    let script = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).expect("OUT_DIR is writable");
    };
    script("libgcc_s.so", "INPUT(-lgcc_eh)\n");
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".into());
    let wanted = std::env::var_os("AWSENV_DYNAMIC_LIBC").is_none() && var("TARGET") == var("HOST");
    let files = ["libc.a", "libgcc.a", "libgcc_eh.a", "rcrt1.o"]; // rcrt1.o starts a static PIE
    if wanted && glibc_at_least(2, 34) && found(&linker, &files) {
        script("libc.so", "GROUP(-l:libc.a -l:libgcc.a -l:libgcc_eh.a)\n");
        for lib in ["m", "pthread", "dl", "rt", "util"] {
            script(&format!("lib{lib}.so"), &format!("INPUT(-l:lib{lib}.a)\n"));
        }
        println!("cargo:rustc-link-arg-bin=awsenv=-static-pie");
    } else if wanted {
        println!(
            "cargo:warning=glibc's static libraries (libc.a: libc6-dev, glibc-static) or glibc \
             2.34 not found: awsenv links libc dynamically, and its prompt hook starts slower"
        );
    }
    println!("cargo:rustc-link-arg-bin=awsenv=-L{}", dir.display());
}

/// Whether the C toolchain that links finds these files: it answers a bare name for what it
/// lacks.
fn found(linker: &str, names: &[&str]) -> bool {
    names.iter().all(|name| {
        Command::new(linker)
            .arg(format!("-print-file-name={name}"))
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .is_some_and(|path| Path::new(path.trim()).is_absolute())
    })
}

/// The host's glibc, as `getconf` says ("glibc 2.36"): a native build links the host's libc.a.
fn glibc_at_least(major: u32, minor: u32) -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text
        .trim()
        .trim_start_matches("glibc ")
        .split('.')
        .map(|n| n.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (major, minor)
}
