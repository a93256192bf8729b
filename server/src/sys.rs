//! What the safe wrappers do not offer: the socket option `SO_RCVLOWAT` (`socket2`, `nix` and `rustix` lack it),
//! and (from `tickwire_shared::hint`) a cache prefetch hint for the passes that touch every client once per tick.
//!
//! With `tickwire_shared::hint`, the only `unsafe` in the workspace (the workspace denies `unsafe_code`; these
//! modules alone allow it).

use std::io;
use std::os::fd::{AsFd, AsRawFd};

/// Sets a TCP socket's receive low-water mark: the kernel signals the socket readable (and wakes whoever waits
/// for that, the reactor's `epoll`) only once `bytes` have arrived, or the peer closed, or the connection
/// failed. A non-blocking read still returns whatever is there. Linux caps the value at half the receive buffer.
#[allow(unsafe_code)]
pub fn set_recv_low_water(socket: &impl AsFd, bytes: u32) -> io::Result<()> {
    let value = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    let len = libc::socklen_t::try_from(size_of::<libc::c_int>()).unwrap_or(4);
    // SAFETY: the descriptor is borrowed from a live socket for the duration of the call; the option value is
    // a `c_int` on this stack frame, passed with its exact size, and the kernel only reads it.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_fd().as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVLOWAT,
            (&raw const value).cast::<libc::c_void>(),
            len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

pub use tickwire_shared::hint::prefetch;

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::time::Duration;

    /// What the read pass relies on: data below the mark does not make the socket readable for the reactor,
    /// a non-blocking read still returns it, and lowering the mark signals data already there.
    #[tokio::test]
    async fn below_the_mark_the_reactor_is_not_woken_and_a_read_still_gets_the_bytes() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let mut client =
            std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let (server, _) = listener.accept().expect("accept");
        server.set_nonblocking(true).expect("nonblocking");
        let server = tokio::net::TcpStream::from_std(server).expect("register");
        set_recv_low_water(&server, 16 * 1024).expect("setsockopt");

        client.write_all(b"input").expect("write");
        let woken = tokio::time::timeout(Duration::from_millis(100), server.readable()).await;
        assert!(
            woken.is_err(),
            "5 bytes below a 16 KiB mark woke the reactor"
        );
        let mut buf = [0u8; 64];
        let n = (&*socket2::SockRef::from(&server))
            .read(&mut buf)
            .expect("a non-blocking read below the mark");
        assert_eq!(&buf[..n], b"input");

        client.write_all(b"more").expect("write");
        let woken = tokio::time::timeout(Duration::from_millis(100), server.readable()).await;
        assert!(woken.is_err(), "still below the mark");
        // Lowering the mark signals the bytes already there (Linux re-checks on the change).
        set_recv_low_water(&server, 1).expect("setsockopt");
        tokio::time::timeout(Duration::from_secs(5), server.readable())
            .await
            .expect("lowering the mark signals waiting data")
            .expect("readable");
        // And the end of the stream signals even at a high mark.
        set_recv_low_water(&server, 16 * 1024).expect("setsockopt");
        let n = server.try_read(&mut buf).expect("read");
        assert_eq!(&buf[..n], b"more");
        drop(client);
        tokio::time::timeout(Duration::from_secs(5), server.readable())
            .await
            .expect("a closed peer signals at any mark")
            .expect("readable");
        assert_eq!(server.try_read(&mut buf).expect("read"), 0);
    }
}
