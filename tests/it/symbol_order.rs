//! `scripts/symbol-order.txt`, the link order build.rs hands to lld so that the code `hfx run`
//! executes is resident in a few pages: the list must still name this code, and a binary linked
//! by lld must follow it.

use std::collections::HashSet;
use std::process::Command;

use crate::common::{hfx_bin, repo_root};

fn listed() -> Vec<String> {
    let path = repo_root().join("scripts/symbol-order.txt");
    let text = fs_err::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect()
}

/// The binary's defined function symbols, in address order (binutils' `nm`).
fn text_symbols() -> Vec<String> {
    let out = Command::new("nm")
        .args(["--defined-only", "--numeric-sort"])
        .arg(hfx_bin())
        .output()
        .expect("binutils' nm (the test reads the hfx binary's symbol table with it)");
    assert!(out.status.success(), "nm failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [_, "t" | "T", name] => Some(name.to_string()),
            _ => None,
        })
        .collect()
}

/// A symbol without what differs between builds of the same code: the legacy mangling's hash
/// (`17h<16 hex digits>E`, which covers toolchain, dependency versions and profile) and LLVM's
/// `.llvm.N` suffix of promoted local symbols.
fn path_of(symbol: &str) -> &str {
    let s = symbol.split(".llvm.").next().unwrap_or(symbol);
    match s.len().checked_sub(20).map(|i| s.split_at(i)) {
        Some((path, hash))
            if hash.starts_with("17h") && hash.ends_with('E') && hash[3..19].bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            path
        }
        _ => s,
    }
}

#[test]
fn symbol_order_names_functions_of_this_build() {
    let list = listed();
    assert!(list.len() > 1000, "only {} functions listed: regenerate with scripts/symbol-order.sh", list.len());
    let mut seen = HashSet::new();
    for s in &list {
        assert!(!s.contains(char::is_whitespace), "not a symbol name: {s:?}");
        assert!(seen.insert(s.as_str()), "listed twice: {s}");
    }
    // Test builds hash symbols differently from release builds, so compare paths: a list that
    // no longer names the code (renamed or removed functions) orders nothing.
    let symbols = text_symbols();
    let have: HashSet<&str> = symbols.iter().map(|s| path_of(s)).collect();
    let missing: Vec<&str> = list.iter().map(|s| path_of(s)).filter(|p| !have.contains(p)).collect();
    assert!(
        missing.len() * 20 <= list.len(),
        "{} of {} listed functions are not in this build (e.g. {:?}): regenerate with scripts/symbol-order.sh",
        missing.len(),
        list.len(),
        &missing[..missing.len().min(5)]
    );
    // The hot kernels are what the list is for.
    assert!(list.iter().any(|s| s.starts_with("_ZN3hfx6models7decoder6packed")), "no packed kernel listed");
}

#[test]
fn lld_links_hfx_in_symbol_order() {
    // build.rs hands lld the order when a probe links with it; rustc links with lld by default
    // on x86_64 Linux (CI's platform), so there the order must have been applied.
    let ordered = env!("HFX_SYMBOL_ORDER") == "1";
    if cfg!(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu")) {
        assert!(
            ordered,
            "build.rs did not link hfx in symbol order: its lld probe failed (another linker in RUSTFLAGS?)"
        );
    }
    if !ordered {
        return;
    }
    let out = Command::new("readelf").args(["-p", ".comment"]).arg(hfx_bin()).output().expect("binutils' readelf");
    let comment = String::from_utf8_lossy(&out.stdout);
    assert!(comment.contains("Linker: LLD"), "linked in symbol order, but not by lld: {comment}");
    let list: HashSet<String> = listed().into_iter().collect();
    let symbols = text_symbols();
    // lld puts the listed functions this build has first, in list order.
    let first: Vec<&String> = symbols.iter().take(20).collect();
    let ordered = first.iter().filter(|s| list.contains(s.as_str())).count();
    assert!(ordered >= 15, "the binary's first functions are not from scripts/symbol-order.txt: {first:?}");
}
