//! The pages that end an install: success and failure, or the app's own pages.

use http::{Response, StatusCode};

use super::failure::InstallFailure;
use super::flow::Installed;
use super::flow::RESTART_PARAM;
use super::headers::{html, redirect};
#[cfg(doc)]
use super::receipt::RECEIPT_MAX_AGE;
use super::receipt::{Receipt, RECEIPT_PARAM};
use super::settings::InstallFlow;
use crate::web::page::{document, escape};

impl InstallFlow {
    /// The answer to a successful redirect, with the state cookie cleared: a 303 to the
    /// success page (post/redirect/get), the install path with a signed receipt of what it
    /// shows (`?installed=…`, valid [`RECEIPT_MAX_AGE`] seconds), so a reload or Back shows
    /// the success again and never sends the code to Slack twice. With
    /// [`InstallFlow::with_success_url`], a 303 there instead.
    ///
    /// The success page itself is served by [`InstallFlow::install_page`], which shows it
    /// for such a URL: "Installed in *workspace*", an "Open Slack" link, and nothing secret.
    pub fn success(&self, installed: &Installed) -> Response<Vec<u8>> {
        let mut response = match &self.success_url {
            Some(url) => redirect(StatusCode::SEE_OTHER, url),
            None => {
                let installation = &installed.installation;
                let place = installation
                    .team_name
                    .as_deref()
                    .or(installation.enterprise_name.as_deref())
                    .or(installed.team_name.as_deref())
                    .unwrap_or("your workspace");
                let receipt = Receipt {
                    place: place.to_owned(),
                    link: installed.deep_link(),
                    url: installed.team_url.clone(),
                    at: installation.installed_at,
                };
                let separator = if self.install_path.contains('?') {
                    '&'
                } else {
                    '?'
                };
                let location = format!(
                    "{}{}{separator}{RECEIPT_PARAM}={}",
                    self.origin(),
                    self.install_path,
                    self.seal(&receipt)
                );
                redirect(StatusCode::SEE_OTHER, &location)
            }
        };
        self.clear_cookie(response.headers_mut());
        response
    }

    /// `scheme://host[:port]` of the redirect URI, where the install path is served too;
    /// empty when the install path is a URL of its own.
    fn origin(&self) -> String {
        if self.install_path.starts_with("https://") || self.install_path.starts_with("http://") {
            return String::new();
        }
        // The redirect URI was checked to be an absolute URL in `new`.
        let uri: Option<http::Uri> = self.redirect_uri.parse().ok();
        let parts = uri
            .as_ref()
            .and_then(|u| Some((u.scheme_str()?, u.authority()?)));
        parts.map_or_else(String::new, |(scheme, authority)| {
            format!("{scheme}://{authority}")
        })
    }

    /// The page after a failed install (or a redirect to the app's failure URL with
    /// `?error=<code>`), with the state cookie cleared. Says what happened, never any
    /// detail of Slack's answer beyond its error code.
    ///
    /// [`InstallFailure::StartedAtSlack`] is no failure the person can do anything about: it
    /// is answered with a 303 to the install path (`?restart`), which sends the browser on to
    /// Slack with a fresh state and cookie, and Slack shows its consent again.
    pub fn failure(&self, failure: &InstallFailure) -> Response<Vec<u8>> {
        let restart = matches!(failure, InstallFailure::StartedAtSlack);
        let mut response = match &self.failure_url {
            _ if restart => {
                let separator = if self.install_path.contains('?') {
                    '&'
                } else {
                    '?'
                };
                let location = format!(
                    "{}{}{separator}{RESTART_PARAM}",
                    self.origin(),
                    self.install_path
                );
                redirect(StatusCode::SEE_OTHER, &location)
            }
            Some(url) => {
                let separator = if url.contains('?') { '&' } else { '?' };
                let code: String =
                    form_urlencoded::byte_serialize(failure.code().as_bytes()).collect();
                redirect(
                    StatusCode::SEE_OTHER,
                    &format!("{url}{separator}error={code}"),
                )
            }
            None => {
                let status = failure.status();
                let title = if failure.is_access_denied() {
                    "Installation cancelled"
                } else {
                    "Installation failed"
                };
                let body = format!(
                    "<h1>{title}</h1>\n<p id=\"reason\">{reason}</p>\n<p class=\"detail\">Error: \
<code id=\"error-code\">{code}</code></p>\n<p><a href=\"{again}\">Start again</a></p>",
                    reason = escape(failure.explanation()),
                    code = escape(&failure.code()),
                    again = escape(&self.install_path),
                );
                html(status, &document(title, &body))
            }
        };
        self.clear_cookie(response.headers_mut());
        response
    }
}
