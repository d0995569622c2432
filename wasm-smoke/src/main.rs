//! Prints [`wasm_smoke::smoke`] run natively, for `.ci/wasm-smoke` to compare with the WASM
//! run; exits non-zero when a check fails natively already.

use std::process::ExitCode;

fn main() -> ExitCode {
    let result = wasm_smoke::smoke();
    println!("{result}");
    if result == wasm_smoke::EXPECTED {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "native smoke: {result:#x}, expected {:#x}",
            wasm_smoke::EXPECTED
        );
        ExitCode::FAILURE
    }
}
