//! WebSocket close codes used by tickwire, as named constants.
//!
//! Codes below 4000 are the standard RFC 6455 codes, used with their standard meaning. Codes 4000–4099 are
//! tickwire's own. Every close frame the server sends also carries a short human-readable reason.

/// The peer finished normally.
pub const NORMAL: u16 = 1000;
/// The server is shutting down (or the client is going away).
pub const GOING_AWAY: u16 = 1001;
/// The client broke the WebSocket rules the server relies on.
pub const PROTOCOL_ERROR: u16 = 1002;
/// A text frame arrived: tickwire speaks binary frames only.
pub const UNSUPPORTED_DATA: u16 = 1003;
/// A binary frame did not hold a valid tickwire message (bad MessagePack, unknown type, wrong shape).
pub const INVALID_PAYLOAD: u16 = 1007;
/// The client violated a server policy (for example flooding inputs).
pub const POLICY_VIOLATION: u16 = 1008;
/// A message or frame exceeded the server's size limit.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// The server hit an unexpected internal error.
pub const INTERNAL_ERROR: u16 = 1011;
/// Try again later (RFC 6455 registry). tickwire never sends it: a full server answers the upgrade with HTTP 503
/// and `Retry-After` (docs/PROTOCOL.md §7); the name is here for clients that meet other servers.
pub const TRY_AGAIN_LATER: u16 = 1013;

/// The client's protocol version differs from the server's ([`crate::PROTOCOL_VERSION`]).
pub const VERSION_MISMATCH: u16 = 4000;
/// An operator kicked this client; the reason says why.
pub const KICKED: u16 = 4001;
/// The client did not send its hello in time after connecting.
pub const HELLO_TIMEOUT: u16 = 4002;
/// The client sent a well-formed message at the wrong moment (an input before hello, a second hello).
pub const UNEXPECTED_MESSAGE: u16 = 4003;
/// The client could not keep up with the server's updates for too long.
pub const TOO_SLOW: u16 = 4004;

/// The client stopped answering the server's pings.
pub const IDLE_TIMEOUT: u16 = 4005;
/// The hello's resume token is unknown, expired or already in use.
pub const RESUME_REFUSED: u16 = 4006;

/// A short name for a close code, for logs and user interfaces.
pub fn describe(code: u16) -> &'static str {
    match code {
        NORMAL => "normal closure",
        GOING_AWAY => "going away",
        PROTOCOL_ERROR => "protocol error",
        UNSUPPORTED_DATA => "unsupported data (text frame)",
        INVALID_PAYLOAD => "invalid payload",
        POLICY_VIOLATION => "policy violation",
        MESSAGE_TOO_BIG => "message too big",
        INTERNAL_ERROR => "internal server error",
        TRY_AGAIN_LATER => "server full, try again later",
        VERSION_MISMATCH => "protocol version mismatch",
        KICKED => "kicked by the operator",
        HELLO_TIMEOUT => "no hello in time",
        UNEXPECTED_MESSAGE => "unexpected message",
        TOO_SLOW => "client too slow",
        IDLE_TIMEOUT => "no answer to pings",
        RESUME_REFUSED => "resume refused",
        _ => "unknown close code",
    }
}
