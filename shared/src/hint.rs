//! A cache prefetch hint, for passes that touch many cold structures one after the other (a server's read pass and
//! fan-out over every client, a mirror's walk over the entities a delta moves): each can ask for the next ones
//! while it works on this one.
//!
//! With `tickwire-server`'s `sys` module, the only `unsafe` in the workspace (the workspace denies `unsafe_code`;
//! these modules alone allow it).

/// Asks the CPU to start loading every cache line of `value`. A hint only: it reads nothing the program sees and
/// cannot fault. A no-op where the architecture has no such hint here.
#[allow(unsafe_code)]
#[inline]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let start = std::ptr::from_ref(value).cast::<i8>();
        let mut offset = 0;
        while offset < size_of::<T>() {
            // SAFETY: `prefetch` is a hint: it does not access memory as far as the program is concerned and never
            // faults; every address lies inside `value`, which is live for the call. SSE is part of x86_64.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset)) };
            offset += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
