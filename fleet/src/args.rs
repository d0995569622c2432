//! The conductor's command line, as `main.rs` parses it.

/// The conductor's command line.
#[derive(Debug, Clone)]
pub struct FleetArgs {
    pub store: String,
    /// A simulator already running on loopback (`http://127.0.0.1:PORT`) instead of one of
    /// our own.
    pub sim: Option<String>,
    pub namespace: Option<String>,
    pub processes: usize,
    pub installations: usize,
    pub windows: usize,
    pub kill_every: Option<f64>,
    pub max_kills: usize,
    pub naive: bool,
    pub ttl: u64,
    pub margin: u64,
    pub lease: u64,
    pub user_share: f64,
    pub max_seconds: Option<u64>,
    pub table: bool,
}
