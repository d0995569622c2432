//! End-to-end tests of both transports against the simulator (and a raw server) on
//! 127.0.0.1: one suite (`common/suite.rs`), run once per transport enabled by features.
//!
//! `cargo test --test e2e` runs it for ureq; add `--features hyper` (or `--all-features`)
//! for hyper too.

mod common;

#[global_allocator]
static ALLOCATOR: common::alloc::Tracking = common::alloc::Tracking;

/// Generates one `#[test]` per suite function for the harness `$h`.
// Unused only when no transport feature is enabled.
#[allow(unused_macros)]
macro_rules! e2e_suite {
    ($h:ty) => {
        e2e_suite!(@tests $h;
            access_happy_path,
            user_access_happy_path,
            exchange_happy_path,
            rotate_happy_path,
            external_get_happy_path,
            external_delete_happy_path,
            slack_error,
            warning_on_success,
            rate_limited_with_retry_after,
            html_503_page,
            oversized_body_is_refused_without_reading,
            oversized_chunked_body_is_refused,
            exact_limit_is_accepted_and_one_more_refused,
            slow_server_times_out,
            redirect_is_returned_not_followed,
            connection_refused,
            truncated_body,
            closed_mid_body,
            statuses_and_headers_are_returned,
            unusable_config_is_refused,
            insecure_url_is_refused_before_io,
            out_of_range_ports_are_refused_before_io,
            connections_are_reused,
            request_reaches_the_server_verbatim,
            https_with_custom_roots,
            https_unknown_issuer_is_a_tls_error,
            host_names_are_resolved,
            connect_timeout,
        );
    };
    (@tests $h:ty; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                crate::common::suite::$name::<$h>();
            }
        )*
    };
}

#[cfg(feature = "ureq")]
mod ureq {
    e2e_suite!(crate::common::harness::Ureq);
}

#[cfg(feature = "hyper")]
mod hyper {
    e2e_suite!(crate::common::harness::Hyper);
}

/// The allocation check in the oversize tests can fail: it sees a large allocation.
#[test]
fn allocation_tracker_sees_large_allocations() {
    let (len, largest) = common::alloc::largest_during(|| vec![1u8; 8 << 20].len());
    assert_eq!(len, 8 << 20);
    assert!(largest >= 8 << 20, "{largest}");
    let ((), largest) = common::alloc::largest_during(|| ());
    assert!(largest < 8 << 20);
}
