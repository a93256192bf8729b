//! Thread priorities. The tick thread keeps the default priority; the threads that only move bytes (the fan-out
//! writer and the tokio workers of the `tickwire-server` binary) run at a nice value [`IO_NICE`] higher, so that
//! when they compete with the tick for a core (a server pinned to one core, a busy machine) the tick starts on
//! time and the I/O waits a little. Lowering a thread's own priority needs no privilege. On Linux the nice value
//! is per thread (`setpriority(PRIO_PROCESS, 0, …)` changes only the calling thread).

/// How much less priority the I/O threads get than the tick thread.
pub const IO_NICE: i32 = 5;

/// Lowers the calling thread's priority by [`IO_NICE`]; failures (an OS without per-thread nice values) are
/// ignored, since this only tunes scheduling.
pub fn yield_to_the_tick() {
    if let Ok(current) = rustix::process::getpriority_process(None) {
        let _ = rustix::process::setpriority_process(None, current + IO_NICE);
    }
}
