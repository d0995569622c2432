//! `sim`: serves the simulator.

use crate::args::SimArgs;
use crate::fail::Failure;
use crate::Outcome;

/// Serves the simulator until the process is stopped.
pub fn run(_args: SimArgs) -> Outcome {
    Err(Failure::Usage("not yet".into()))
}
