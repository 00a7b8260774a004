//! Builds the door's QR decoder into the server: `jsqr` from the npm registry (the version in
//! `door/package-lock.json`), installed with `npm ci` when missing, then embedded from
//! `OUT_DIR`. With no npm the build still succeeds: it says so, and the door page reads codes
//! with the browser's own `BarcodeDetector` where there is one, and always by typing.

use std::path::{Path, PathBuf};
use std::process::Command;

const DECODER: &str = "node_modules/jsqr/dist/jsQR.js";

fn main() {
    // Cargo sets both.
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let door = manifest.join("door");
    let decoder = door.join(DECODER);
    println!("cargo:rerun-if-changed=door/package.json");
    println!("cargo:rerun-if-changed=door/package-lock.json");
    println!("cargo:rerun-if-changed={}", decoder.display());
    if !decoder.exists() {
        install(&door);
    }
    let target = out.join("jsQR.js");
    let copied = decoder.exists() && std::fs::copy(&decoder, &target).is_ok();
    if !copied {
        println!(
            "cargo:warning=the door's QR decoder (npm package jsqr) is missing: run `npm ci` in \
             crates/web/door; until then the door reads QR codes only where the browser has \
             BarcodeDetector, and by typing"
        );
        let stub = "// The QR decoder was not built in (no npm at build time): the door page uses \
                    the browser's BarcodeDetector where there is one, and typing.\n";
        if let Err(error) = std::fs::write(&target, stub) {
            panic!("cannot write {}: {error}", target.display());
        }
    }
}

/// `npm ci` in `door`, quietly; a failure is only a warning.
fn install(door: &Path) {
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let status = Command::new(npm)
        .args([
            "ci",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--silent",
        ])
        .current_dir(door)
        .status();
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => println!("cargo:warning=`npm ci` in crates/web/door failed ({status})"),
        Err(error) => println!("cargo:warning=cannot run npm for crates/web/door: {error}"),
    }
}
