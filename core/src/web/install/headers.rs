//! What every answer of the install flow carries: the state cookie, and the headers that keep
//! the code and the pages from leaking (no referrer, no cache, no framing).

use http::{header, HeaderMap, HeaderValue, Response, StatusCode};

use super::settings::InstallFlow;

impl InstallFlow {
    fn cookie_attributes(&self, max_age: u64) -> String {
        let mut attributes = format!(
            "; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Lax",
            self.cookie_path
        );
        if self.secure_cookie {
            attributes.push_str("; Secure");
        }
        attributes
    }

    pub(super) fn set_cookie(&self, headers: &mut HeaderMap, value: &str, max_age: u64) {
        let cookie = format!(
            "{}={value}{}",
            self.cookie_name,
            self.cookie_attributes(max_age)
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }

    pub(super) fn clear_cookie(&self, headers: &mut HeaderMap) {
        self.set_cookie(headers, "", 0);
    }
}

/// The values of every cookie named `name` in the request's `Cookie` headers (at most 4:
/// a browser sends one per path, and more is someone playing games).
pub(super) fn cookie_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(n, v)| *n == name && !v.is_empty() && v.len() <= 256)
        .map(|(_, v)| v.to_owned())
        .take(4)
        .collect()
}

fn security_headers(headers: &mut HeaderMap) {
    // The redirect's URL holds the code: no referrer may carry it away, and no cache keep it.
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

pub(super) fn html(status: StatusCode, body: &str) -> Response<Vec<u8>> {
    let mut response = Response::new(body.as_bytes().to_vec());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    security_headers(headers);
    response
}

pub(super) fn plain(status: StatusCode, text: &str) -> Response<Vec<u8>> {
    let mut response = Response::new(text.as_bytes().to_vec());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    security_headers(headers);
    response
}

pub(super) fn redirect(status: StatusCode, location: &str) -> Response<Vec<u8>> {
    match HeaderValue::from_str(location) {
        Ok(value) => {
            let mut response = plain(status, "");
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        Err(_) => plain(StatusCode::INTERNAL_SERVER_ERROR, "invalid redirect URL\n"),
    }
}

pub(super) fn method_not_allowed() -> Response<Vec<u8>> {
    let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}
