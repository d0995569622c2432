//! The browser half of an install: the install page, Slack's redirect back, and the pages
//! that end it. See [`InstallFlow`].
//!
//! Read downwards: `pages.rs` (the last pages), `used.rs` (single-use states), `flow.rs` (install page, redirect, code
//! exchange, `auth.test`), `receipt.rs` (the signed receipt the success page shows),
//! `headers.rs` (the state cookie and the headers of every answer),
//! then `settings.rs` (what [`InstallFlow::new`] checks) and `failure.rs` (why an install
//! failed). No file imports one above it.

mod failure;
mod flow;
mod headers;
mod pages;
mod receipt;
mod settings;
mod used;

pub use failure::InstallFailure;
pub use flow::{BotCheck, CodeExchange, Installed, INSTALL_RANDOM_BYTES};
pub use receipt::RECEIPT_MAX_AGE;
pub use settings::{FlowError, InstallFlow, InstallPage, DEFAULT_STATE_COOKIE};
pub use used::UsedState;

#[cfg(test)]
mod tests;
