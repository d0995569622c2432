//! `--store URL`: installations kept in a shared store (SQLite, PostgreSQL, Redis) and the
//! commands on them: save after `access` / `install`, `token`, `installations`.
//!
//! The records are the library keeper's (`Keeper::install`, keys as in
//! [`InstallationKey`]) and every command goes through the keeper's own calls, so an app and
//! the CLI sharing a store see the same installations. Only finding which app (and org) a
//! `--team` means is done here, from the store's keys.
//!
//! Nothing here prints a token except `token`, whose job it is: the output of a save, a list
//! or a delete holds keys, ids, scopes and expiry times only.
//!
//! Read downwards: the commands (`token.rs`, `installations.rs`, `save.rs`), then
//! `lookup.rs` (which stored installation `--app`/`--team`/... names), then `open.rs` (the
//! store, the keeper over it, and what their errors become).
//!
//! [`InstallationKey`]: slack_oauth::installation::InstallationKey

mod installations;
mod lookup;
mod open;
mod rekey;
mod save;
mod token;

pub use installations::{delete, list};
pub use open::{open, url};
pub use rekey::rekey;
pub use save::{installation_now, print_saved, put, save};
pub use token::token;
