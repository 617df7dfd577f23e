//! What the process uses, for `--debug` lines and the benchmarks that read
//! them: resident memory now and at its peak (Linux /proc; "unknown" elsewhere).

/// The process's peak resident memory.
pub(crate) fn peak_memory() -> String {
    proc_status("VmHWM:")
}

/// The process's resident memory now.
pub(crate) fn resident_memory() -> String {
    proc_status("VmRSS:")
}

fn proc_status(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}

/// Hand freed memory back to the system. glibc keeps what a thread freed in
/// that thread's arena, where another thread cannot reuse it: after the
/// import workers stop, their arenas would otherwise stay resident under
/// the refresh that follows, and add to the peak.
pub(crate) fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Large blocks (the refresh's tables, a long message) straight from the
/// system, always: glibc otherwise raises this threshold after the first
/// large block is freed and serves the next ones from its heap, where a
/// growing table is copied on each doubling and what is freed stays
/// resident behind live data. From the system, a table grows in place
/// (mremap) and is handed back when dropped.
pub(crate) fn large_blocks_from_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tunable of the allocator; called
    // before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}
