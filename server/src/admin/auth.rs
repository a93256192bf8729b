//! The admin token: compared in constant time, never printed, and failures slowed down.
//!
//! Both sides are hashed before the comparison so that neither the content nor the length of the token leaks
//! through timing. A failed login is logged with the peer's address (never the token), counted in
//! `tickwire_admin_auth_failures_total`, and answered only after [`FAILURE_DELAY`]; failures are serialised
//! server-wide, so guessing runs at about one attempt per second however many connections an attacker opens.
//! Successful logins never wait for that lock.

use crate::hub::Hub;
use std::net::SocketAddr;
use std::time::Duration;
use subtle::ConstantTimeEq;
use tracing::warn;

/// How long a failed login waits before its answer.
pub const FAILURE_DELAY: Duration = Duration::from_secs(1);

/// Tokens shorter than this are accepted with a warning.
pub const WEAK_TOKEN_CHARS: usize = 16;

/// The shared secret for remote administration. Its `Debug` form is redacted.
#[derive(Clone)]
pub struct AdminToken {
    digest: [u8; 20],
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

impl AdminToken {
    /// Wraps a configured token (only its digest is kept).
    pub fn new(secret: &str) -> AdminToken {
        AdminToken {
            digest: digest(secret.as_bytes()),
        }
    }

    /// True when `candidate` is the token, in time independent of where they differ.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        bool::from(self.digest.ct_eq(&digest(candidate)))
    }
}

fn digest(bytes: &[u8]) -> [u8; 20] {
    sha1_smol::Sha1::from(bytes).digest().bytes()
}

/// Records and slows down a failed login from `peer` on `front_end`.
pub async fn failed(hub: &Hub, peer: SocketAddr, front_end: &str, why: &str) {
    hub.metrics.admin_auth_failures.increment(1);
    warn!(%peer, front_end, why, "admin login refused");
    let _serialised = hub.admin.failures.lock().await;
    tokio::time::sleep(FAILURE_DELAY).await;
}

/// The token from an `Authorization: Bearer TOKEN` header value.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_tokens_and_never_prints_them() {
        let t = AdminToken::new("correct horse battery staple");
        assert!(t.matches(b"correct horse battery staple"));
        assert!(!t.matches(b"correct horse battery stapl"));
        assert!(!t.matches(b""));
        assert!(!format!("{t:?}").contains("horse"));
    }

    #[test]
    fn reads_bearer_headers() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer   abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("abc"), None);
    }
}
