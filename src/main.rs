//! The `hfx` binary: everything lives in the library so tests and examples can reach it.

fn main() -> std::process::ExitCode {
    hfx::run(std::env::args_os())
}
