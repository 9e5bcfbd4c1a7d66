//! How the process keeps the memory it frees.

/// Keep freed memory in the process while a model runs or trains. A prompt's products and a
/// training step allocate and free the same large buffers over and over; glibc hands buffers
/// above its mmap threshold (and the free top of a thread's heap) back to the kernel on every
/// free, and the kernel zeroes fresh pages on every allocation: about a tenth of a training
/// step (perf on SmolLM2 4x256), and a prompt of a 125 MB Q4_K_M model faulted 67,000 pages a
/// pass (pp512 1200-1305 against 1466-1650 tok/s with the memory kept, three rounds). And one
/// arena for all threads: the parts of a training micro-batch (`train::parts`) run on threads
/// of their own, and glibc's per-thread arenas, made of 64 MiB heaps, each kept their own
/// high-water mark of activation-sized buffers (QLoRA on Qwen2.5-0.5B: 2365 MiB peak against
/// 2033 MiB in one arena). Call it before the model's threads allocate.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator thresholds and leaves every live allocation
    // untouched.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
