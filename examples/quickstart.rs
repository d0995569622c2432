//! The whole life of a Slack app installation against the simulator on 127.0.0.1, no
//! configuration needed:
//!
//! ```bash
//! cargo run --example quickstart                   # blocking transport (ureq)
//! cargo run --example quickstart --features hyper  # the same flow, async (hyper on Tokio)
//! ```
//!
//! Authorize URL with PKCE and a signed state, the user's approval, the callback, the code
//! exchange, a token keeper rotating expired tokens (one refresh for many callers), a
//! configuration token rotation, an external token read and deleted, and a legacy token
//! migrated to rotation. The flows live in `quickstart/flow.rs` (blocking) and
//! `quickstart/flow_async.rs` (async); `tests/quickstart.rs` runs both.
//!
//! Random bytes for PKCE, the state and its key come from the operating system through
//! the `getrandom` crate (a dev-dependency): the core draws no random numbers itself.

#[cfg(any(feature = "ureq", feature = "hyper"))]
#[path = "quickstart/common.rs"]
mod common;
#[cfg(all(feature = "ureq", not(feature = "hyper")))]
#[path = "quickstart/flow.rs"]
mod flow;
#[cfg(feature = "hyper")]
#[path = "quickstart/flow_async.rs"]
mod flow_async;

#[cfg(any(feature = "ureq", feature = "hyper"))]
fn main() -> std::process::ExitCode {
    let mut print = |line: &str| println!("{line}");
    #[cfg(feature = "hyper")]
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Into::into)
        .and_then(|runtime| runtime.block_on(flow_async::run(&mut print)));
    #[cfg(not(feature = "hyper"))]
    let result = flow::run(&mut print);
    match result {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quickstart failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(any(feature = "ureq", feature = "hyper")))]
fn main() -> std::process::ExitCode {
    eprintln!("the quickstart needs a transport: enable the `ureq` or `hyper` feature");
    std::process::ExitCode::FAILURE
}
