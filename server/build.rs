//! Builds the browser client (`client-web/`, with npm) and embeds its `dist/` files in the server binary, so the
//! one `cargo run` command serves the game with no files around it.
//!
//! - `TICKWIRE_WEB_DIST=DIR` embeds an already built directory instead of building.
//! - `TICKWIRE_SKIP_WEB_BUILD=1` skips npm and embeds whatever `client-web/dist` holds (or a placeholder page).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web = manifest.join("../client-web");
    println!("cargo:rerun-if-env-changed=TICKWIRE_WEB_DIST");
    println!("cargo:rerun-if-env-changed=TICKWIRE_SKIP_WEB_BUILD");
    // Only paths that exist: cargo treats a missing watched path as changed, and would rerun this script (and
    // npm) on every build.
    for watched in [
        "src",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
        "public",
    ] {
        watch(&web.join(watched));
    }

    let (dist, built_here) = match std::env::var_os("TICKWIRE_WEB_DIST") {
        Some(dir) => (PathBuf::from(dir), false),
        None => {
            let build = web.join("package.json").exists()
                && std::env::var_os("TICKWIRE_SKIP_WEB_BUILD").is_none();
            if build {
                build_web(&web);
            }
            (web.join("dist"), build)
        }
    };

    // The embedded files are read at compile time: rebuild when a dist built elsewhere changes. A dist built
    // just now follows its sources (watched above); watching it too would rerun every build, since npm wrote it
    // after this script started.
    if !built_here {
        watch(&dist);
    }
    let mut files = Vec::new();
    if dist.join("index.html").exists() {
        collect(&dist, &dist, &mut files);
    }
    files.sort();
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("web_assets.rs");
    let mut code = String::from(
        "/// The browser client's files: (URL path, content type, bytes).\npub static FILES: &[(&str, &str, &[u8])] = &[\n",
    );
    for (url, path) in &files {
        code.push_str(&format!(
            "    ({url:?}, {:?}, include_bytes!({:?})),\n",
            content_type(url),
            path.display().to_string()
        ));
    }
    code.push_str("];\n");
    std::fs::write(out, code).expect("write web_assets.rs");
}

/// Reruns this script when `path` changes; nothing for a path that does not exist (see above).
fn watch(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn build_web(web: &Path) {
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if !web.join("node_modules").exists() {
        run(
            Command::new(npm)
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(web),
            "npm ci",
        );
    }
    run(
        Command::new(npm).args(["run", "build"]).current_dir(web),
        "npm run build",
    );
}

fn run(cmd: &mut Command, what: &str) {
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "`{what}` in client-web/ failed ({s}). The server embeds the browser client; fix the client build, or set \
             TICKWIRE_SKIP_WEB_BUILD=1 to build the server without it."
        ),
        Err(e) => panic!(
            "could not run `{what}` in client-web/: {e}. Install Node.js 20+ with npm to build the browser client, or \
             set TICKWIRE_SKIP_WEB_BUILD=1 to build the server without it."
        ),
    }
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            let url = format!("/{}", rel.to_string_lossy().replace('\\', "/"));
            let abs = path.canonicalize().unwrap_or(path);
            out.push((url, abs));
        }
    }
}

fn content_type(url: &str) -> &'static str {
    match url.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("wasm") => "application/wasm",
        _ => "application/octet-stream",
    }
}
