//! A Slack app's install flow served with axum: the "Add to Slack" page, the OAuth redirect,
//! the success page, and the events endpoint that forgets uninstalled workspaces.
//!
//! ```bash
//! cargo run --example install_server --features axum          # against the simulator
//! SLACK_CLIENT_ID=… SLACK_CLIENT_SECRET=… SLACK_SIGNING_SECRET=… \
//!   SLACK_REDIRECT_URI=https://your.host/slack/oauth_redirect \
//!   cargo run --example install_server --features axum        # against real Slack
//! ```
//!
//! It prints the URL to open. `PORT` picks the port (default: any free one for the
//! simulator, 3000 for Slack), `SLACK_SCOPES` the bot scopes (default `chat:write`),
//! `SLACK_STATE_KEY` the state-signing key (default: a random one per run), and
//! `INSTALL_SERVER_EXIT_AFTER=SECONDS` stops it after that long (for scripts and tests).
//! Installations live in memory unless `SLACK_OAUTH_STORE=sqlite:installs.db` (run with
//! `--features axum,sqlite`) names a durable store; a relative SQLite path goes under
//! `target/`.
//!
//! Against the simulator it prints the simulator's throw-away signing secret, and the
//! simulator delivers its signed events (an `app_uninstalled` when the app is uninstalled
//! there) to the example's events endpoint. `GET /` leads to the install page. In real-Slack
//! mode, open the URL it prints (the redirect URI's host): the state cookie is only sent back
//! to the host name that set it.

#[path = "install_server/app.rs"]
mod app;

fn main() -> std::process::ExitCode {
    let result = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Into::into)
        .and_then(|runtime| runtime.block_on(app::main()));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("install_server failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
