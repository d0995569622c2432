//! What every answer of the install flow carries: the state cookie, and the headers that keep
//! the code and the pages from leaking (no referrer, no cache, no framing).

use http::{header, HeaderMap, HeaderValue, Response, StatusCode};

use super::settings::InstallFlow;

impl InstallFlow {
    /// The state cookie's name as sent: `__Host-` and the configured name in the `__Host-`
    /// form (<https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis#name-the-__host-prefix>).
    pub(super) fn cookie_name(&self) -> String {
        if self.host_cookie() {
            format!("__Host-{}", self.cookie_name)
        } else {
            self.cookie_name.clone()
        }
    }

    /// Whether the cookie takes the `__Host-` form: asked for, and `Secure` (https).
    fn host_cookie(&self) -> bool {
        self.host_cookie && self.secure_cookie
    }

    fn cookie_attributes(&self, max_age: u64) -> String {
        // The `__Host-` form requires `Path=/`, `Secure` and no `Domain`: no other host
        // (a sibling subdomain) can then set a cookie of that name for this one.
        let path = if self.host_cookie() {
            "/"
        } else {
            &self.cookie_path
        };
        let mut attributes = format!("; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax");
        if self.secure_cookie {
            attributes.push_str("; Secure");
        }
        attributes
    }

    pub(super) fn set_cookie(&self, headers: &mut HeaderMap, value: &str, max_age: u64) {
        let cookie = format!(
            "{}={value}{}",
            self.cookie_name(),
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

/// The value of the first cookie named `name` in the request's `Cookie` headers, and only
/// that one: a browser sends the most specific path's first, and any other of the name was
/// not set by this flow for this path (another path's, or one a sibling host tossed in).
pub(super) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 256)
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
