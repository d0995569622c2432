//! `slack-oauth`: every Slack OAuth method and the whole install from a terminal or CI script.
//!
//! stdout carries exactly one JSON object (the method's typed response, plus `warnings`);
//! stderr carries human messages and never a secret. Exit codes: 0 success, 1 Slack answered
//! with an error, 2 usage error, 3 transport or protocol failure.
#![forbid(unsafe_code)]
// Doc comments here double as clap help text, where a bare URL reads better than `<url>`.
#![allow(rustdoc::bare_urls)]

mod args;
mod callback;
mod client;
mod commands;
mod fail;
mod inputs;
mod install;
mod kept;
mod keys;
mod openid;
mod output;
mod secrets;
mod sim;
mod store;

use std::process::ExitCode;

use clap::Parser;

pub(crate) use crate::fail::Outcome;
use crate::fail::{EXIT_OK, EXIT_USAGE};

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `--help` and `--version` print to stdout and exit 0; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    // Everything the command owns (temporary files included) is dropped inside `run`,
    // before the process exits.
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
