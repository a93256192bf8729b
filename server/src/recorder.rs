//! The match recording (`--record FILE`), written to disk while the match runs.
//!
//! After every tick the tick driver takes the simulation's new entries as a [`Chunk`] and hands it to the recorder
//! thread through a bounded queue, without waiting; the thread appends it to the file (the layout is in
//! [`tickwire_sim::record`]) and flushes at least once a second. So the recording costs no memory that grows with
//! the match, and a crash or `kill -9` loses at most the last second. If the disk falls behind by
//! [`QUEUE_CHUNKS`] chunks, or a write fails, recording stops with a warning and the file keeps the match up to
//! the last chunk written (it replays up to there); the tick never waits on the disk.

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};
use tickwire_sim::Chunk;
use tracing::{info, warn};

/// Chunks that may wait for the disk: about 17 s at 60 Hz with players (a chunk per tick that had entries; one a
/// second otherwise). At 1,000 players a chunk is about 40 KB, so this bounds the queue near 40 MB.
pub const QUEUE_CHUNKS: usize = 1024;

/// How often the file is flushed, and how often a chunk goes out when no entries came (so the file's last tick
/// keeps up with the match even when nobody plays).
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Whether `start`, a file's first bytes, begins a recording: its header array opens with the magic string.
fn is_recording(start: &[u8]) -> bool {
    let magic = tickwire_sim::record::MAGIC.as_bytes();
    // An array header (1 byte) and the string's header (1 byte) before the magic.
    start.len() >= 2 + magic.len() && &start[2..2 + magic.len()] == magic
}

/// How long shutdown waits for the last writes of the recording.
const FINISH_WAIT: Duration = Duration::from_secs(10);

/// The recording of a match, from `--record FILE`.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    state: State,
    /// When a chunk last went to the thread.
    sent_at: Instant,
}

#[derive(Debug)]
enum State {
    /// The file is open (checked at start); nothing written yet.
    Ready(File),
    /// The thread writes what the tick sends it, and says when it is done.
    Writing {
        chunks: SyncSender<Chunk>,
        done: Receiver<()>,
    },
    /// Recording ended: finished, or stopped.
    Stopped,
}

impl Recorder {
    /// Opens (creating if need be) the file the recording will go to, so that a path that cannot be written stops
    /// the server's start. Nothing in the file changes until [`Recorder::begin`].
    ///
    /// A regular file that holds something other than a recording is refused (`InvalidInput`): `--record` replaces
    /// an earlier recording, never a map, a config file or anything else given by mistake.
    pub fn open(path: &Path) -> io::Result<Recorder> {
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        if file.metadata()?.is_file() {
            let mut start = [0u8; 32];
            let mut read = 0;
            while read < start.len() {
                match io::Read::read(&mut file, &mut start[read..])? {
                    0 => break,
                    n => read += n,
                }
            }
            if read > 0 && !is_recording(&start[..read]) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the file is not a tickwire recording, so it is not replaced: remove it or record to another \
                     path",
                ));
            }
        }
        Ok(Recorder {
            path: path.to_path_buf(),
            state: State::Ready(file),
            sent_at: Instant::now(),
        })
    }

    /// Starts the recording: the thread that writes it starts, empties the file (a regular file: a pipe or a
    /// device is written as it is), writes the recording's `header`, then appends what [`Recorder::push`] sends.
    /// Every write happens on that thread; if one fails, recording stops (with a warning) and the match goes on.
    pub fn begin(&mut self, header: &[u8]) {
        let State::Ready(file) = std::mem::replace(&mut self.state, State::Stopped) else {
            return;
        };
        let replaced = file
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map_or(0, |m| m.len());
        let (chunks, rx) = sync_channel(QUEUE_CHUNKS);
        let (done_tx, done) = sync_channel(1);
        let path = self.path.clone();
        let header = header.to_vec();
        let thread = std::thread::Builder::new()
            .name("tickwire-recorder".into())
            .spawn(move || {
                report(&path, write_recording(file, &header, &rx));
                let _ = done_tx.send(());
            });
        match thread {
            Ok(_) => {
                if replaced > 0 {
                    info!(path = %self.path.display(), replaced_bytes = replaced, "recording the match (the file's earlier content is replaced)");
                } else {
                    info!(path = %self.path.display(), "recording the match");
                }
                self.state = State::Writing { chunks, done };
            }
            Err(error) => {
                warn!(path = %self.path.display(), %error, "cannot start the recorder thread; not recording");
            }
        }
        self.sent_at = Instant::now();
    }

    /// Whether chunks are still being written.
    pub fn is_recording(&self) -> bool {
        matches!(self.state, State::Writing { .. })
    }

    /// Hands the entries of the tick just taken to the disk, without waiting. An empty chunk is kept back unless
    /// a second has passed (the next one covers its tick). Returns `false` once recording has stopped: the disk
    /// fell [`QUEUE_CHUNKS`] behind (logged here) or a write failed (logged by the thread).
    pub fn push(&mut self, chunk: Chunk) -> bool {
        let State::Writing { chunks, .. } = &self.state else {
            return false;
        };
        if chunk.entries.is_empty() && self.sent_at.elapsed() < FLUSH_EVERY {
            return true;
        }
        let through = chunk.through;
        match chunks.try_send(chunk) {
            Ok(()) => {
                self.sent_at = Instant::now();
                true
            }
            Err(TrySendError::Full(_)) => {
                warn!(
                    path = %self.path.display(),
                    tick = through,
                    "recording stopped: the disk fell {QUEUE_CHUNKS} chunks behind; the file keeps the match up \
                     to the last chunk written (it reads as still open)"
                );
                // Not waiting for the thread: it is stuck on the disk. It writes what it holds and ends.
                self.state = State::Stopped;
                false
            }
            Err(TrySendError::Disconnected(_)) => {
                self.state = State::Stopped;
                false
            }
        }
    }

    /// Ends the recording with its last chunk and waits (up to [`FINISH_WAIT`]: the match is over) until the
    /// file holds it.
    pub fn finish(&mut self, last: Option<Chunk>) {
        let State::Writing { chunks, done } = std::mem::replace(&mut self.state, State::Stopped)
        else {
            return;
        };
        let deadline = Instant::now() + FINISH_WAIT;
        if let Some(mut chunk) = last {
            chunk.last = true;
            // Never a blocking send: a stalled disk with a full queue must not hold up shutdown.
            let mut chunk = Some(chunk);
            while let Some(c) = chunk.take() {
                match chunks.try_send(c) {
                    Err(TrySendError::Full(c)) if Instant::now() < deadline => {
                        chunk = Some(c);
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    _ => {}
                }
            }
        }
        drop(chunks);
        if done
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_err()
        {
            warn!(
                path = %self.path.display(),
                "the recording's last writes did not complete within {FINISH_WAIT:?}"
            );
        }
    }
}

/// What the recorder thread wrote.
#[derive(Debug, Default, Clone, Copy)]
struct Written {
    through: u32,
    entries: u64,
}

/// The recorder thread: empties a regular file, writes the header, then appends each chunk, flushing at least
/// once a second (also when no chunk comes) and at the end.
fn write_recording(mut file: File, header: &[u8], chunks: &Receiver<Chunk>) -> io::Result<Written> {
    if file.metadata()?.is_file() {
        file.set_len(0)?;
        file.rewind()?;
    }
    let mut out = BufWriter::with_capacity(64 * 1024, file);
    out.write_all(header)?;
    out.flush()?;
    let mut bytes = Vec::new();
    let mut written = Written::default();
    let mut flush_at = Instant::now() + FLUSH_EVERY;
    loop {
        match chunks.recv_timeout(flush_at.saturating_duration_since(Instant::now())) {
            Ok(chunk) => {
                bytes.clear();
                chunk.encode_into(&mut bytes);
                out.write_all(&bytes)?;
                written.through = chunk.through;
                written.entries += chunk.entries.len() as u64;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if Instant::now() >= flush_at {
            out.flush()?;
            flush_at = Instant::now() + FLUSH_EVERY;
        }
    }
    out.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_data()
        .or_else(|e| {
            // A pipe or a device has nothing to sync.
            if e.kind() == io::ErrorKind::InvalidInput {
                Ok(())
            } else {
                Err(e)
            }
        })?;
    Ok(written)
}

/// How the recording ended, in the log.
fn report(path: &Path, result: io::Result<Written>) {
    let path = path.display();
    match result {
        Ok(written) => info!(
            path = %path,
            through_tick = written.through,
            entries = written.entries,
            "recording written"
        ),
        Err(error) => warn!(
            path = %path,
            %error,
            "cannot write the recording; it stopped, and the file keeps the match up to the last tick written"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickwire_sim::{Entry, Recording};

    fn header() -> Vec<u8> {
        Recording {
            map: tickwire_sim::MapAsset::default_map(),
            rules: tickwire_sim::RulesAsset::default_rules(),
            tick_rate: 30,
            seed: 1,
            scenario: Default::default(),
            entries: Vec::new(),
            end_tick: 0,
        }
        .header()
    }

    fn chunk(through: u32, entries: usize) -> Chunk {
        Chunk {
            through,
            entries: (0..entries)
                .map(|i| (through - 1, Entry::Input(1, i as u32, 1.0, 0.0, 0.0, 0)))
                .collect(),
            last: false,
        }
    }

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("tickwire-recorder-{}-{name}", std::process::id()))
    }

    #[test]
    fn a_file_that_is_not_a_recording_is_not_replaced() {
        let path = temp("not-a-recording");
        let map = b"width = 1600.0\nheight = 1000.0\n";
        std::fs::write(&path, map).expect("write");
        let refused = Recorder::open(&path).expect_err("a map is not replaced");
        assert_eq!(refused.kind(), io::ErrorKind::InvalidInput);
        assert!(
            refused.to_string().contains("not a tickwire recording"),
            "{refused}"
        );
        assert_eq!(std::fs::read(&path).expect("read"), map, "left as it was");
        // An empty file, and an earlier recording, are fine.
        std::fs::write(&path, b"").expect("write");
        assert!(Recorder::open(&path).is_ok());
        std::fs::write(&path, header()).expect("write");
        assert!(Recorder::open(&path).is_ok());
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn chunks_reach_the_file_while_recording_and_the_end_is_whole() {
        let path = temp("stream");
        // An older recording, longer than this one: replaced, not appended to.
        let mut older = header();
        chunk(1, 50).encode_into(&mut older);
        std::fs::write(&path, &older).expect("write");
        let mut rec = Recorder::open(&path).expect("open");
        rec.begin(&header());
        for tick in 1..=3 {
            assert!(rec.push(chunk(tick, 2)));
        }
        // Flushed within a second: the file reads as the match so far while the recording goes on.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            // An empty chunk after a second forces a write and a flush.
            std::thread::sleep(Duration::from_millis(100));
            assert!(rec.push(chunk(4, 0)));
            let bytes = std::fs::read(&path).expect("read");
            if let Ok(so_far) = Recording::from_bytes(&bytes)
                && so_far.end_tick >= 3
            {
                assert_eq!(so_far.entries.len(), 6);
                break;
            }
            assert!(Instant::now() < deadline, "nothing reached the file");
        }
        rec.finish(Some(chunk(9, 1)));
        assert!(!rec.is_recording());
        let (whole, ending) =
            Recording::read(&std::fs::read(&path).expect("read")).expect("decodes");
        assert_eq!(ending, tickwire_sim::Ending::Finished);
        assert_eq!(whole.end_tick, 9);
        assert_eq!(whole.entries.len(), 7);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_failed_write_stops_recording_and_the_match_goes_on() {
        // /dev/full opens, then fails every write: the recorder thread's first write (the header) fails, the
        // thread ends, and the next pushes learn that recording stopped.
        let Ok(mut rec) = Recorder::open(Path::new("/dev/full")) else {
            return; // no /dev/full here
        };
        rec.begin(&header());
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut tick = 0;
        while rec.push(chunk(tick + 1, 1)) {
            tick += 1;
            assert!(
                Instant::now() < deadline,
                "recording went on after a failed write"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(!rec.is_recording());
        rec.finish(Some(chunk(tick + 2, 1)));
    }

    #[test]
    fn a_disk_that_falls_behind_stops_recording_without_blocking_the_tick() {
        // A FIFO nobody reads: the thread's first flush blocks, as a stalled disk would.
        let path = temp("fifo");
        let _ = std::fs::remove_file(&path);
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        if !made.is_ok_and(|s| s.success()) {
            return; // no mkfifo here
        }
        // Opening a FIFO for writing waits for a reader: open one that never reads.
        let reader = {
            let path = path.clone();
            std::thread::spawn(move || File::open(path))
        };
        let mut rec = Recorder::open(&path).expect("open");
        let _reader = reader
            .join()
            .expect("reader thread")
            .expect("open the reading end");
        // The header fits the pipe; then chunks of about 10 KB fill it (and the thread's 64 KiB buffer), the
        // thread blocks on its write, and the queue fills behind it.
        rec.begin(&header());
        assert!(
            rec.is_recording(),
            "a pipe is written as it is, not truncated"
        );
        let started = Instant::now();
        let mut stopped_at = None;
        for tick in 1..=(QUEUE_CHUNKS as u32 + 64) {
            if !rec.push(chunk(tick, 512)) {
                stopped_at = Some(tick);
                break;
            }
        }
        let stopped_at = stopped_at.expect("recording went on with a stalled disk");
        assert!(
            stopped_at as usize > QUEUE_CHUNKS,
            "stopped at chunk {stopped_at}: before the queue was full, so not for the stall"
        );
        assert!(!rec.is_recording());
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "pushing waited on the disk"
        );
        // The thread is still stuck on the pipe; dropping the reading end fails its write and ends it.
        let _ = std::fs::remove_file(&path);
    }
}
