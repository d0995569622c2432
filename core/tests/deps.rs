//! The core's normal dependency tree stays within an allow-list.
//!
//! The core is meant to be embeddable anywhere (including WASM) and cheap to audit, so a new
//! crate in its tree must be a decision: add it here, with the reason, in the same change.

use std::collections::BTreeSet;

/// Every crate allowed in `slack-oauth-core`'s normal dependency tree (all targets),
/// as of `cargo tree -p slack-oauth-core -e normal --target all`.
const ALLOWED: &[&str] = &[
    // Chosen directly: the sans-IO core's own dependencies (core/Cargo.toml).
    "http",
    "serde",
    "serde_json",
    "serde_urlencoded",
    "form_urlencoded",
    "base64",
    "hmac-sha256",
    // The keeper cache's hasher (core/src/keeper/cache.rs): no_std, no dependencies, and much
    // cheaper than SipHash on the short keys of the fresh-token path.
    "foldhash",
    // Theirs.
    "bytes",            // http
    "itoa",             // http, serde_json, serde_urlencoded
    "memchr",           // serde_json
    "percent-encoding", // form_urlencoded
    "ryu",              // serde_urlencoded
    "zmij",             // serde_json (float formatting)
    "serde_core",       // serde, serde_json
    "serde_derive",     // serde's derive feature (a proc macro: build time only)
    "proc-macro2",      // serde_derive
    "quote",            // serde_derive
    "syn",              // serde_derive
    "unicode-ident",    // proc-macro2, syn
];

/// What the `openid` feature adds: RustCrypto's RSA and what it stands on (RS256 signatures of
/// Sign in with Slack id_tokens). Off by default, so the list above stays the default tree.
const OPENID: &[&str] = &[
    "rsa",
    "crypto-bigint",
    "crypto-primes",
    "crypto-common",
    "const-oid",
    "digest",
    "block-buffer",
    "hybrid-array",
    "typenum",
    "sha2",
    "cpufeatures",
    "hmac",
    "signature",
    "rand_core",
    "subtle",
    "zeroize",
    "ctutils",
    "cmov",
    "cpubits",
    "cfg-if",
    "num-traits",
    "libc", // cpufeatures' CPU detection on some targets (aarch64 Linux, Android)
];

#[test]
fn normal_dependency_tree_is_allow_listed() {
    check_tree(&[], ALLOWED.iter().copied().collect());
}

#[test]
fn the_openid_feature_adds_only_its_rsa_tree() {
    check_tree(
        &["--features", "openid"],
        ALLOWED.iter().chain(OPENID).copied().collect(),
    );
}

// The test, not the core, runs a process: the core's clippy.toml forbids it in the library.
#[allow(clippy::disallowed_methods, clippy::disallowed_types)]
fn check_tree(features: &[&str], allowed: BTreeSet<&str>) {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let output = std::process::Command::new(env!("CARGO"))
        .arg("tree")
        .args(features)
        .args([
            "--manifest-path",
            manifest,
            "-p",
            "slack-oauth-core",
            "-e",
            "normal",
            "--target",
            "all",
            "--prefix",
            "none",
            "--format",
            "{p}",
            // `cargo test` has already resolved and fetched everything this needs.
            "--offline",
            "--locked",
        ])
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    let found: BTreeSet<&str> = stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "slack-oauth-core")
        .collect();
    assert!(
        found.contains("http") && found.contains("serde_json"),
        "cargo tree output not understood:\n{stdout}"
    );
    let extra: Vec<&&str> = found.difference(&allowed).collect();
    assert!(
        extra.is_empty(),
        "slack-oauth-core's normal dependency tree gained {extra:?}; the core's dependency \
         budget is deliberate: remove the dependency or extend ALLOWED in {} with a reason",
        file!()
    );
}
