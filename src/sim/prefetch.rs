//! A hint to the processor to start loading memory that will be read soon.

/// Asks the processor to bring the first and the last cache line of
/// `value` into its caches, without waiting for them and without any effect
/// on the program's results: every line of a value spanning two, and not
/// the middle one of a value spanning three (a 120-byte task record that
/// starts past a line's first 8 bytes; fetching that line too measured no
/// faster). Worth it before a read that would miss the caches while other
/// work can run meanwhile. A no-op on processors other than x86-64.
#[inline]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let first = (value as *const T).cast::<i8>();
        let last = first.wrapping_add(std::mem::size_of::<T>().saturating_sub(1));
        // SAFETY: a prefetch reads no memory the program can observe and
        // never faults, whatever the address; SSE, which it needs, is part
        // of every x86-64 processor.
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(first);
            _mm_prefetch::<_MM_HINT_T0>(last);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
