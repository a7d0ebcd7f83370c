//! The `gloss` binary: everything is in the library; this sets the allocator up and hands over
//! the exit code.

/// mimalloc, not the system's malloc: a build makes and frees millions of small values (template
/// values, strings) from every thread, and glibc's malloc took a sixth of a build's time at
/// 2,225 sources and a quarter at 8,900 (perf). Measured on the BBC briefing against glibc:
/// x1 0.90 -> 0.79 s, 126 -> about 115 MiB; x4 3.25 -> 2.73 s, 395 -> 350 MiB. Two settings keep its
/// memory low: no transparent huge pages (the `no_thp` feature: freed 4 KiB pages inside a huge
/// page cannot go back) and [`PURGE_DELAY_MS`].
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_t` (`mimalloc.h`; the same in v2 and v3).
/// libmimalloc-sys names only some options.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long mimalloc keeps freed memory before it gives it back to the system. Its default,
/// 1,000 ms, is longer than a whole build, so freed memory was never returned: the peak at x4
/// was 437 MiB with it, 350 MiB with 5 ms.
const PURGE_DELAY_MS: std::ffi::c_long = 5;

fn main() -> std::process::ExitCode {
    // SAFETY: `mi_option_set` stores a number in mimalloc's table of options, which it reads
    // atomically when it next purges; any value is valid for this option.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    gloss::cli::run()
}

#[cfg(test)]
mod tests {
    use super::MI_OPTION_PURGE_DELAY;

    /// The number names the purge delay: of mimalloc's options only it defaults to 1,000 (ms).
    /// This fails if an update of libmimalloc-sys numbers the options differently.
    #[test]
    fn the_option_set_is_the_purge_delay() {
        // SAFETY: reads mimalloc's table of options.
        let delay = unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000);
    }
}
