//! Shared pieces of the end-to-end tests: the transport harness, the suite, a raw server.
#![allow(dead_code, unused_macros)]

pub mod alloc;
pub mod harness;
pub mod raw;
pub mod suite;
