//! Runs the quickstart's flows (the code behind `cargo run --example quickstart`, with and
//! without `--features hyper`) and checks that every step happened and that no secret value
//! reached the output.

#[path = "../examples/quickstart/common.rs"]
mod common;
#[cfg(feature = "ureq")]
#[path = "../examples/quickstart/flow.rs"]
mod flow;
#[cfg(feature = "hyper")]
#[path = "../examples/quickstart/flow_async.rs"]
mod flow_async;

use common::Report;

/// Every Slack token prefix the quickstart prints, longest first; each must be followed by
/// the mask.
const PREFIXES: [&str; 6] = [
    "xoxe.xoxb-1-",
    "xoxe.xoxp-1-",
    "xoxe-1-",
    "xoxb-",
    "xoxp-",
    "xwfp-",
];

fn check(report: &Report, lines: &[String]) {
    let output = lines.join("\n");

    assert_eq!(report.steps, 10, "{output}");
    assert_eq!(report.callers, 8);
    assert_eq!(report.refreshes, 1, "one refresh for all callers\n{output}");
    assert_eq!(report.config_rotations, 1);
    assert!(report.external_deleted && report.exchanged);
    for expected in [
        " 1. Simulator",
        "&state=…&code_challenge=",
        "callback?code=…&state=…",
        "state verified",
        "installed in T0SIM (Sim Team), stored under key A082F37E84B//T0SIM/bot",
        "store: SQLite file installations.db in a temporary folder (",
        "the bot token has expired (Slack: expired)",
        "keeper 2, on its own connection to the file: xoxe.xoxb-1-…",
        ", no refresh of its own",
        "asked at once; 1 refresh sent; all got xoxe.xoxb-1-…",
        "the user token rotated on its own chain: xoxe.xoxp-1-…",
        "tooling.tokens.rotate: xoxe.xoxp-1-…",
        "a second get answers `token_not_found`",
        "oauth.v2.exchange: xoxb-…",
        "Done: 10 steps.",
    ] {
        assert!(
            output.contains(expected),
            "missing {expected:?} in\n{output}"
        );
    }

    #[cfg(unix)]
    assert!(output.contains("temporary folder (mode 600)"), "{output}");

    // Every secret the run handled: client secret, verifier, state, code, access and
    // refresh tokens (before and after rotation), config tokens, workflow, provider and
    // legacy tokens.
    assert!(report.secrets.len() >= 20, "{:?}", report.secrets.len());
    for secret in &report.secrets {
        assert!(
            secret.len() >= 16,
            "too short to be a secret: {} chars",
            secret.len()
        );
        assert!(
            !output.contains(secret.as_str()),
            "a secret was printed:\n{output}"
        );
        let tail = &secret[secret.len() - 12..];
        assert!(
            !output.contains(tail),
            "part of a secret was printed:\n{output}"
        );
    }
    // And nothing that looks like a token was printed beyond its prefix: with every masked
    // token taken out (longest prefixes first), no prefix is left.
    let mut rest = output.clone();
    for prefix in PREFIXES {
        rest = rest.replace(&format!("{prefix}…"), "");
    }
    for prefix in PREFIXES {
        assert!(!rest.contains(prefix), "unmasked {prefix} in\n{output}");
    }
}

#[cfg(feature = "ureq")]
#[test]
fn quickstart_blocking() {
    let mut lines = Vec::new();
    let report = flow::run(&mut |line: &str| lines.push(line.to_owned())).unwrap();
    assert!(lines[1].contains("slack_oauth::ureq"));
    check(&report, &lines);
}

#[cfg(feature = "hyper")]
#[test]
fn quickstart_async() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut lines = Vec::new();
    let report = runtime
        .block_on(flow_async::run(&mut |line: &str| {
            lines.push(line.to_owned())
        }))
        .unwrap();
    assert!(lines[1].contains("slack_oauth::hyper"));
    check(&report, &lines);
}
