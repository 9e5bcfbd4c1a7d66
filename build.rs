//! Link options for the `hfx` binary.
//!
//! On Linux with glibc the binary is linked with `-z pack-relative-relocs` (DT_RELR) when the
//! toolchain supports it: a position-independent Rust binary of this size carries 1.5 MB of
//! relative relocations (64k entries of 24 bytes) that the dynamic loader reads at every start,
//! and packed they take 17 KB. Measured on `hfx run` with SmolLM2-135M Q4_1: peak RSS 120.7 ->
//! 119.4 MiB, the binary 1.5 MB smaller. Needs binutils 2.38 and glibc 2.36; the probe below
//! links and runs a tiny program with the option and leaves it out when either fails.
//! `HFX_NO_RELR=1` leaves it out regardless (for binaries meant to run on an older glibc
//! than the build machine's).
//!
//! When rustc links with lld (its default on x86_64 Linux since 1.90), the functions listed in
//! `scripts/symbol-order.txt` (the ones `hfx run` executes, made by `scripts/symbol-order.sh`)
//! are laid out first and together. Code pages are mapped 64 KiB around each fault, so scattered
//! hot code kept 7.5 MiB of the binary resident for 1.6 MiB of functions that ran. A probe links
//! a tiny program with rustc's own linker setup and the option; another linker leaves it out.

// The probes below ignore their file errors (a failed probe leaves the option out), so fs-err's
// messages would go unread; it is not a build dependency.
#![allow(clippy::disallowed_methods)]

use std::env;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=HFX_NO_RELR");
    println!("cargo:rerun-if-env-changed=CC");
    println!("cargo:rerun-if-changed={ORDER}");
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
    // ELF targets (lld's Mach-O and COFF flavours have other options).
    let mut ordered = false;
    if var("CARGO_CFG_TARGET_FAMILY") == "unix"
        && var("CARGO_CFG_TARGET_VENDOR") != "apple"
        && let Some(args) = symbol_order_args()
    {
        for arg in args {
            println!("cargo:rustc-link-arg-bins={arg}");
        }
        ordered = true;
    }
    // Tells tests/it/symbol_order.rs whether the binary was linked in symbol order.
    println!("cargo:rustc-env=HFX_SYMBOL_ORDER={}", u8::from(ordered));
}

const ORDER: &str = "scripts/symbol-order.txt";

/// The link arguments for lld's `--symbol-ordering-file`, if rustc links with lld here.
/// Symbols of the list missing from this build (another toolchain, other dependency versions,
/// features) are skipped without a warning: a stale list only costs memory.
fn symbol_order_args() -> Option<Vec<String>> {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR")?);
    let order = manifest.join(ORDER);
    let out = PathBuf::from(env::var_os("OUT_DIR")?);
    if !order.is_file() {
        return None;
    }
    let args =
        vec![format!("-Wl,--symbol-ordering-file={}", order.display()), "-Wl,--no-warn-symbol-ordering".to_string()];
    let src = out.join("order_probe.rs");
    std::fs::write(&src, "fn main() {}\n").ok()?;
    let rustc = env::var_os("RUSTC")?;
    let mut cmd = Command::new(rustc);
    // The flags cargo passes to every rustc (a linker choice among them), then the probe's own.
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    cmd.args(flags.split('\x1f').filter(|f| !f.is_empty()));
    if let Ok(linker) = env::var("RUSTC_LINKER") {
        cmd.arg(format!("-Clinker={linker}"));
    }
    cmd.arg("--target").arg(env::var("TARGET").ok()?);
    cmd.arg(&src).arg("-o").arg(out.join("order_probe")).arg("-Clink-arg=-Wl,--fatal-warnings");
    for a in &args {
        cmd.arg(format!("-Clink-arg={a}"));
    }
    let ok = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    ok.then_some(args)
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
