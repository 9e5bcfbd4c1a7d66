//! Link options for the `hfx` binary.
//!
//! On Linux with glibc the binary is linked with `-z pack-relative-relocs` (DT_RELR) when the
//! toolchain supports it: a position-independent Rust binary of this size carries 1.5 MB of
//! relative relocations (64k entries of 24 bytes) that the dynamic loader reads at every start,
//! and packed they take 17 KB. Measured on `hfx run` with SmolLM2-135M Q4_1: peak RSS 123.6 ->
//! 122.3 MiB, the binary 1.5 MB smaller. Needs binutils 2.38 and glibc 2.36; the probe below
//! links and runs a tiny program with the option and leaves it out when either fails.
//! `HFX_NO_RELR=1` leaves it out regardless (for binaries meant to run on an older glibc
//! than the build machine's).

use std::env;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=HFX_NO_RELR");
    println!("cargo:rerun-if-env-changed=CC");
    let var = |k: &str| env::var(k).unwrap_or_default();
    let native = var("HOST") == var("TARGET");
    if var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
        && native
        && env::var_os("HFX_NO_RELR").is_none()
        && links_with_relr()
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether the C compiler (rustc's linker driver on linux-gnu) links a program with packed
/// relative relocations without a warning, and the program runs: binutils 2.38 with glibc 2.35
/// (Ubuntu 22.04) links it silently, and the loader then refuses it for want of
/// `GLIBC_ABI_DT_RELR`.
fn links_with_relr() -> bool {
    let Some(out) = env::var_os("OUT_DIR").map(PathBuf::from) else { return false };
    let (src, exe) = (out.join("relr_probe.c"), out.join("relr_probe"));
    if std::fs::write(&src, "int main(void) { return 0; }\n").is_err() {
        return false;
    }
    let cc = env::var("CC").unwrap_or_else(|_| "cc".into());
    Command::new(cc)
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .args(["-pie", "-fPIE", "-Wl,-z,pack-relative-relocs", "-Wl,--fatal-warnings"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        && Command::new(&exe).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}
