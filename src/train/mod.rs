//! LoRA fine-tuning: a decoder's training pass with hand-written gradients (`ops`,
//! `attention`, `mm`, `model`), training records and their labels (`records`), the optimizer
//! (`optim`), PEFT adapter files (`adapter`) and the loop that ties them together (`run`).
//! Takes paths and options structs; knows nothing of clap or terminals and reports through
//! `TrainProgress`.

pub mod adapter;
#[cfg(target_arch = "x86_64")]
pub(crate) mod amx;
pub mod attention;
pub mod error;
pub mod gate;
mod lora_ops;
pub(crate) mod mm;
pub mod model;
pub mod ops;
pub mod parts;

pub use error::TrainError;
pub use mm::Precision;
pub mod card;
pub mod optim;
pub mod records;
pub mod run;

/// Keep freed memory in the process during training. A training step allocates and frees the
/// same large activation buffers over and over; glibc hands buffers above its mmap threshold
/// back to the kernel on every free, and the kernel zeroes fresh pages on every allocation
/// (about a tenth of a step's time, measured with perf on SmolLM2 4x256). And one arena for
/// all threads: the parts of a micro-batch (`parts`) run on threads of their own, and glibc's
/// per-thread arenas, made of 64 MiB heaps, each kept their own high-water mark of
/// activation-sized buffers (QLoRA on Qwen2.5-0.5B: 2365 MiB peak against 2033 MiB in one arena).
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator thresholds; it is called before the training
    // threads allocate, and leaves every live allocation untouched.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
pub mod plot;
