//! `slack-oauth`: install a Slack app and keep its tokens alive.
//!
//! This facade re-exports the sans-IO protocol core ([`core`]) and, depending on
//! the enabled features, the transports that move its requests over the network.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use slack_oauth_core as core;
pub use slack_oauth_core::*;
