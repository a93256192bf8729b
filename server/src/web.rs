//! The browser client's files, embedded at build time by `build.rs` from `client-web/dist`.

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// Shown at `/` when the server was built without the browser client.
const PLACEHOLDER: &[u8] = b"<!doctype html><meta charset=utf-8><title>tickwire</title>\
<p>This tickwire-server was built without the browser client. Build it with Node.js and npm available \
(and without TICKWIRE_SKIP_WEB_BUILD) to play in the browser. Game clients can connect to <code>/ws</code>.";

/// The content type and bytes served at `path` (`/` is `/index.html`).
pub fn find(path: &str) -> Option<(&'static str, &'static [u8])> {
    let path = if path == "/" { "/index.html" } else { path };
    if let Some((_, content_type, bytes)) = FILES.iter().find(|(p, _, _)| *p == path) {
        return Some((content_type, bytes));
    }
    (path == "/index.html" && FILES.is_empty()).then_some(("text/html; charset=utf-8", PLACEHOLDER))
}
