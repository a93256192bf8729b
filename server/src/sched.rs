//! Thread scheduling: the tick thread runs before everything else in the server.
//!
//! The server has three kinds of threads: the tick thread (inputs, simulation, encoding, hand-off), the fan-out
//! writer, and the tokio workers that read sockets. With the default policy on a busy core they preempt each other
//! all the time: every arriving input wakes a worker, and a woken thread preempts the one running (measured: ~9,700
//! context switches a second each for the writer and the worker at 1,000 players × 60 Hz), and the tick thread
//! waits behind them for the end of their time slice (tick-start lateness p99 ≈ 3 ms).
//!
//! [`Scheduling::Auto`] (the binary's default) changes two things:
//!
//! - the writer and the network workers run `SCHED_BATCH`: a thread woken by a packet no longer preempts the one
//!   running, it runs at the end of that one's slice or when it sleeps, and finds several inputs waiting. When the
//!   tick thread cannot have real time they also run at nice [`IO_NICE`], so that the tick runs first; when it
//!   can, they keep the server's nice value (a lowered writer yields to every busy process on the host, and
//!   players miss ticks);
//! - the tick thread runs `SCHED_FIFO` at priority [`TICK_RT_PRIORITY`] when the process may (root,
//!   `CAP_SYS_NICE`, or an `RLIMIT_RTPRIO` of at least that, e.g. systemd's `LimitRTPRIO=`), so it starts on
//!   time whatever else the core is doing. It sleeps between ticks; the kernel's real-time throttling (95 % of
//!   each second by default) still bounds it. Without permission it keeps the normal policy, and says so.
//!
//! `auto` never raises a priority the operator lowered: started with a positive nice value (`nice -n 19
//! tickwire-server`), the I/O threads keep that nice (or [`IO_NICE`] if higher) and no thread gets real time.
//! `realtime` is the operator insisting, and tries anyway.
//!
//! Both are Linux scheduling policies; elsewhere every thread keeps its default.

use std::fmt;

/// The tick thread's real-time priority under `SCHED_FIFO` (1–99): low, so that it preempts ordinary threads
/// without competing with the kernel's own real-time threads.
pub const TICK_RT_PRIORITY: u8 = 10;

/// The nice value of the I/O threads under [`Scheduling::Auto`] when the tick thread cannot get real time: this
/// is what lets it run first (tick p99 at 1,000 players × 60 Hz: 9 % of the budget with it, 23 % at 0). When the
/// tick thread runs real time the I/O threads keep the nice value the server was started with.
pub const IO_NICE: i32 = 10;

/// How the server asks the OS to schedule its threads. The binary defaults to `auto`; [`Default`] (and so
/// `ServerConfig::default()`) is `normal`, so embedders and tests decide for themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheduling {
    /// Leave every thread's policy and priority as the OS started it.
    #[default]
    Normal,
    /// I/O threads `SCHED_BATCH`; the tick thread `SCHED_FIFO` if permitted, else normal (the binary's default).
    Auto,
    /// Like `auto`, but refuse to start when the tick thread cannot run `SCHED_FIFO`.
    Realtime,
}

impl fmt::Display for Scheduling {
    /// The name `--scheduling` and the config file take.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheduling::Normal => "normal",
            Scheduling::Auto => "auto",
            Scheduling::Realtime => "realtime",
        })
    }
}

/// What the tick thread got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickPolicy {
    /// The OS default (scheduling `normal`).
    Untouched,
    /// `SCHED_FIFO` at [`TICK_RT_PRIORITY`].
    Realtime,
    /// Real time was asked for (`auto`) but refused; the thread keeps the normal policy.
    Refused(String),
}

impl fmt::Display for TickPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TickPolicy::Untouched => f.write_str("default policy"),
            TickPolicy::Realtime => write!(f, "SCHED_FIFO priority {TICK_RT_PRIORITY}"),
            TickPolicy::Refused(why) => write!(f, "default policy (SCHED_FIFO refused: {why})"),
        }
    }
}

/// The tick thread could not get the real-time policy that [`Scheduling::Realtime`] requires.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "--scheduling realtime: the tick thread cannot run SCHED_FIFO ({0}); run as root, grant CAP_SYS_NICE, \
     raise RLIMIT_RTPRIO (systemd: LimitRTPRIO=10), or use --scheduling auto"
)]
pub struct RealtimeRefused(pub String);

impl Scheduling {
    /// Applies the I/O policy to the calling thread (the writer, a network worker). Failure only logs: the
    /// thread then runs as before.
    pub fn io_thread(self) {
        self.io_thread_from(inherited_nice());
    }

    fn io_thread_from(self, inherited: i32) {
        if self == Scheduling::Normal {
            return;
        }
        let nice = if raises_allowed(self, inherited) && realtime_permitted() {
            // The tick thread will run real time: it needs no lowered I/O threads to start first, and lowering them
            // would only make the server's writes yield to every other busy process on the host (a browser on a
            // developer's machine made players miss whole ticks that way).
            inherited
        } else {
            io_nice(inherited)
        };
        if let Err(why) = os::batch(nice) {
            tracing::warn!(%why, nice, "could not move an I/O thread to SCHED_BATCH");
        }
    }

    /// Applies the read pass thread's policy to the calling thread (see [`crate::reader`]): `SCHED_FIFO` one
    /// priority below the tick thread when permitted (it starts on time, and the tick preempts it), else the
    /// I/O policy.
    pub fn reader_thread(self) {
        let inherited = inherited_nice();
        if self == Scheduling::Normal {
            return;
        }
        if !raises_allowed(self, inherited) || os::fifo(TICK_RT_PRIORITY - 1).is_err() {
            self.io_thread_from(inherited);
        }
    }

    /// Applies the tick policy to the calling thread (the tick thread).
    pub fn tick_thread(self) -> Result<TickPolicy, RealtimeRefused> {
        self.tick_thread_from(inherited_nice())
    }

    fn tick_thread_from(self, inherited: i32) -> Result<TickPolicy, RealtimeRefused> {
        match self {
            Scheduling::Normal => Ok(TickPolicy::Untouched),
            Scheduling::Auto if !raises_allowed(self, inherited) => {
                Ok(TickPolicy::Refused(format!(
                    "the server was started at nice {inherited}, and auto does not raise a priority the operator \
                     lowered (--scheduling realtime insists)"
                )))
            }
            Scheduling::Auto => Ok(match os::fifo(TICK_RT_PRIORITY) {
                Ok(()) => TickPolicy::Realtime,
                Err(why) => TickPolicy::Refused(why),
            }),
            Scheduling::Realtime => os::fifo(TICK_RT_PRIORITY)
                .map(|()| TickPolicy::Realtime)
                .map_err(RealtimeRefused),
        }
    }
}

/// The nice value the server was started with: read once, by the first thread that applies a policy, before
/// any thread's priority changed.
fn inherited_nice() -> i32 {
    static INHERITED: std::sync::OnceLock<i32> = std::sync::OnceLock::new();
    *INHERITED.get_or_init(os::nice)
}

/// Whether this process may run a thread `SCHED_FIFO` at [`TICK_RT_PRIORITY`]: asked once, on a short-lived
/// thread, since the I/O threads take their policy before the tick thread exists.
fn realtime_permitted() -> bool {
    static PERMITTED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *PERMITTED.get_or_init(|| {
        std::thread::Builder::new()
            .name("tickwire-sched-probe".into())
            .spawn(|| os::fifo(TICK_RT_PRIORITY).is_ok())
            .ok()
            .and_then(|probe| probe.join().ok())
            .unwrap_or(false)
    })
}

/// The I/O threads' nice value when the tick thread cannot run real time: [`IO_NICE`], or the nice the server was started with when that is higher (an
/// operator who started the server with `nice -n 19` gets no thread above 19).
fn io_nice(inherited: i32) -> i32 {
    IO_NICE.max(inherited)
}

/// Whether `mode` may give a thread real time: `auto` does not when the operator started the server at a
/// positive nice value (it asked for the server to yield to other work); `realtime` always tries.
fn raises_allowed(mode: Scheduling, inherited: i32) -> bool {
    match mode {
        Scheduling::Normal => false,
        Scheduling::Auto => inherited <= 0,
        Scheduling::Realtime => true,
    }
}

/// The calling thread's scheduling policy, as the OS reports it (`SCHED_OTHER`, `SCHED_BATCH`, `SCHED_FIFO`...).
pub fn current_policy() -> String {
    os::current()
}

/// The calling thread's nice value.
pub fn current_nice() -> i32 {
    os::nice()
}

#[cfg(target_os = "linux")]
mod os {
    use thread_priority::{
        NormalThreadSchedulePolicy, RealtimeThreadSchedulePolicy, ThreadPriority,
        ThreadPriorityValue, ThreadSchedulePolicy, set_thread_priority_and_policy,
        thread_native_id, thread_schedule_policy,
    };

    pub fn batch(nice: i32) -> Result<(), String> {
        // The crate sets the policy and a nice value together, from its 0–99 scale. Ask it for exactly `nice`:
        // asking for a lower nice than the thread has (its `Min` is 19, for example) needs privileges.
        let p =
            crossplatform_for_nice(nice).ok_or_else(|| format!("no priority for nice {nice}"))?;
        let value = ThreadPriorityValue::try_from(p).map_err(|e| e.to_string())?;
        set_thread_priority_and_policy(
            thread_native_id(),
            ThreadPriority::Crossplatform(value),
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
        )
        .map_err(|e| match e {
            thread_priority::Error::OS(code) => std::io::Error::from_raw_os_error(code).to_string(),
            e => format!("{e:?}"),
        })?;
        match super::current_nice() {
            n if n == nice => Ok(()),
            n => Err(format!("nice is {n}, not {nice}")),
        }
    }

    /// The value of the crate's 0–99 scale that it turns into nice `nice` for the normal policies (it maps 99 to
    /// -20 and 0 to 19, rounding toward 19).
    fn crossplatform_for_nice(nice: i32) -> Option<u8> {
        (0..=99u8).find(|&p| {
            let ratio = 1.0 - f32::from(p) / 99.0;
            i32::from((39.0 * ratio) as i8) - 20 == nice
        })
    }

    pub fn nice() -> i32 {
        rustix::process::getpriority_process(None).unwrap_or(0)
    }

    pub fn fifo(priority: u8) -> Result<(), String> {
        let value = ThreadPriorityValue::try_from(priority).map_err(|e| e.to_string())?;
        set_thread_priority_and_policy(
            thread_native_id(),
            ThreadPriority::Crossplatform(value),
            ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo),
        )
        .map_err(|e| match e {
            thread_priority::Error::OS(1) => "operation not permitted".to_string(),
            e => format!("{e:?}"),
        })
    }

    pub fn current() -> String {
        match thread_schedule_policy() {
            Ok(ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch)) => "SCHED_BATCH",
            Ok(ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle)) => "SCHED_IDLE",
            Ok(ThreadSchedulePolicy::Normal(_)) => "SCHED_OTHER",
            Ok(ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo)) => "SCHED_FIFO",
            Ok(ThreadSchedulePolicy::Realtime(_)) => "real-time",
            Err(_) => "unknown",
        }
        .to_string()
    }
}

#[cfg(not(target_os = "linux"))]
mod os {
    pub fn batch(_nice: i32) -> Result<(), String> {
        Ok(())
    }

    pub fn nice() -> i32 {
        0
    }

    pub fn fifo(_priority: u8) -> Result<(), String> {
        Err("SCHED_FIFO is Linux-only here".to_string())
    }

    pub fn current() -> String {
        "default".to_string()
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// Runs `f` on a fresh thread, so that no test thread keeps a changed policy.
    fn on_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::spawn(f).join().expect("the thread ran")
    }

    #[test]
    fn displays_as_the_flag_and_config_file_spell_it() {
        use clap::ValueEnum;
        for mode in Scheduling::value_variants() {
            let name = mode.to_possible_value().expect("every mode is a value");
            assert_eq!(mode.to_string(), name.get_name());
        }
    }

    #[test]
    fn normal_touches_nothing() {
        let (before, tick, io) = on_thread(|| {
            let before = current_nice();
            let tick = Scheduling::Normal
                .tick_thread()
                .map(|p| (p, current_policy()));
            Scheduling::Normal.io_thread();
            (before, tick, (current_policy(), current_nice()))
        });
        assert_eq!(
            tick.expect("normal never refuses"),
            (TickPolicy::Untouched, "SCHED_OTHER".to_string())
        );
        assert_eq!(io, ("SCHED_OTHER".to_string(), before));
    }

    #[test]
    fn io_threads_batch_at_io_nice_or_the_inherited_one() {
        let (before, got) = on_thread(|| {
            let before = current_nice();
            Scheduling::Auto.io_thread_from(before);
            (before, (current_policy(), current_nice()))
        });
        // At the server's own nice when the tick thread can run real time, else at IO_NICE.
        let nice = if realtime_permitted() {
            before
        } else {
            IO_NICE.max(before)
        };
        assert_eq!(got, ("SCHED_BATCH".to_string(), nice));
    }

    #[test]
    fn auto_never_raises_what_the_operator_lowered() {
        assert_eq!((io_nice(0), io_nice(15), io_nice(19)), (IO_NICE, 15, 19));
        assert!(raises_allowed(Scheduling::Auto, 0) && raises_allowed(Scheduling::Auto, -5));
        assert!(!raises_allowed(Scheduling::Auto, 1) && !raises_allowed(Scheduling::Normal, 0));
        assert!(raises_allowed(Scheduling::Realtime, 19));
        // On a thread the operator lowered to nice 15 (anyone may raise their own nice value): the I/O policy
        // keeps 15 (asking for 10 would need privileges, and would undo the operator's choice), and the tick
        // thread stays off real time, saying why.
        let (io, tick) = on_thread(|| {
            rustix::process::setpriority_process(None, 15).expect("raising one's nice is allowed");
            let inherited = current_nice();
            Scheduling::Auto.io_thread_from(inherited);
            let io = (current_policy(), current_nice());
            let tick = Scheduling::Auto.tick_thread_from(inherited);
            (io, (tick, current_policy()))
        });
        assert_eq!(io, ("SCHED_BATCH".to_string(), 15.max(IO_NICE)));
        match tick {
            (Ok(TickPolicy::Refused(why)), policy) => {
                assert!(why.contains("nice 15"), "{why}");
                assert_ne!(policy, "SCHED_FIFO");
            }
            other => panic!("auto must not take real time at nice 15: {other:?}"),
        }
    }

    #[test]
    fn auto_and_realtime_agree_on_what_the_os_permits() {
        let inherited = on_thread(current_nice);
        let auto = on_thread(move || {
            (
                Scheduling::Auto.tick_thread_from(inherited),
                current_policy(),
            )
        });
        let realtime = on_thread(|| (Scheduling::Realtime.tick_thread(), current_policy()));
        if inherited > 0 {
            // Started niced (e.g. `nice -n 19 cargo test`): auto does not try; nothing to compare.
            assert!(
                matches!(auto, (Ok(TickPolicy::Refused(_)), ref p) if p != "SCHED_FIFO"),
                "{auto:?}"
            );
            return;
        }
        match auto {
            (Ok(TickPolicy::Realtime), policy) => {
                assert_eq!(policy, "SCHED_FIFO");
                assert!(matches!(realtime, (Ok(TickPolicy::Realtime), ref p) if p == "SCHED_FIFO"));
            }
            (Ok(TickPolicy::Refused(why)), policy) => {
                assert_eq!(policy, "SCHED_OTHER", "{why}");
                let (refused, policy) = realtime;
                let refused = refused.expect_err("realtime refuses what auto was refused");
                assert!(refused.to_string().contains("LimitRTPRIO"), "{refused}");
                assert_eq!(policy, "SCHED_OTHER");
            }
            other => panic!("auto must try real time: {other:?}"),
        }
    }
}
