//! Runs `examples/custom_transport.rs`: a transport that is nothing but one `HttpClient` impl
//! gets the whole keeper from core (the install, one refresh when due, the cache after it).

#[path = "../examples/custom_transport.rs"]
mod example;

#[test]
fn a_transport_of_ones_own_keeps_a_token_alive() {
    // The example fails unless the due token was refreshed once and then served as it is.
    example::main().expect("the custom transport's keeper");
}
