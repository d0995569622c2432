//! Fuzzes the response parser: arbitrary status, headers and body, for every method.
//!
//! Besides "never panics", it checks what `parse` promises about each outcome, so a wrong
//! classification is a crash too.
#![no_main]

use libfuzzer_sys::arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use slack_oauth_core::http::{HeaderValue, Response};
use slack_oauth_core::method::{BuiltinMethod, VisitMethod};
use slack_oauth_core::{parse, Error, Method};

const HEADERS: [&str; 4] = ["retry-after", "content-type", "x-oauth-scopes", "x-other"];

fn response(mut u: Unstructured<'_>) -> Result<Response<Vec<u8>>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() =
        slack_oauth_core::http::StatusCode::from_u16(u.int_in_range(100..=999)?)
            .expect("100..=999 is a valid status");
    for _ in 0..u.int_in_range(0..=4)? {
        let name = *u.choose(&HEADERS)?;
        let value = <&[u8]>::arbitrary(&mut u)?;
        if let Ok(value) = HeaderValue::from_bytes(value) {
            response.headers_mut().append(name, value);
        }
    }
    *response.body_mut() = u.take_rest().to_vec();
    Ok(response)
}

/// [`check`] for one method of core's list.
struct Check<'a>(&'a Response<Vec<u8>>);

impl VisitMethod for Check<'_> {
    type Output = ();
    fn visit<M: Method>(self, _: BuiltinMethod) {
        check::<M>(self.0)
    }
}

fn check<M: Method>(response: &Response<Vec<u8>>) {
    let status = response.status();
    match parse::<M, _>(response) {
        Ok(_) => assert!(status.is_success() && status != 429),
        Err(Error::RateLimited(e)) => assert_eq!(e.status, status),
        Err(Error::Http(e)) => {
            assert_eq!(e.status, status);
            assert_ne!(status, 429);
            assert_eq!(e.body_len, response.body().len());
        }
        Err(Error::Slack(e)) => assert_eq!(e.status, status),
        Err(Error::UnexpectedShape(e)) => {
            assert_eq!(e.method, M::NAME);
            assert_eq!(e.status, status);
            assert!(status.is_success());
        }
        Err(_) => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(response) = response(Unstructured::new(data)) else {
        return;
    };
    for method in BuiltinMethod::ALL {
        method.visit(Check(&response));
    }
});
