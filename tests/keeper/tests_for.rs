//! The one macro both keeper suites are generated with: this crate's, run once per transport
//! (`tests/keeper.rs`), and the durable stores' (`stores/tests/keeper.rs`), run once per backend.

/// One `#[test]` per listed name, whose body is `$run!(name)`: the caller's macro says how
/// one test of the suite runs (with which harness or backend, skipped when it is absent).
macro_rules! tests_for {
    ($run:ident: $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $run!($name);
            }
        )*
    };
}
