//! Prints [`wasm_smoke::smoke`] run natively; `.ci/wasm-smoke` compares it with the WASM run.

fn main() {
    println!("{}", wasm_smoke::smoke());
}
